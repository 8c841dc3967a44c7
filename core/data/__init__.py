"""Labelled data: read any tabular file, pick the text and label columns, clean, check its health.

``readers``/``encoding``/``sniff`` turn bytes into a table of strings; ``columns`` guesses which
column is which; ``labelled`` cleans rows and labels and splits off validation data; ``health``
measures class balance, duplicates and lengths; ``inspect`` builds the report the CLI and the Data
tab show. Tokenization for training is ``core.training.datasets``; figures are ``core.plots.data``.
"""

from core.data.columns import guess_columns
from core.data.health import overlap_report
from core.data.inspect import inspect_file
from core.data.labelled import (
    LABEL,
    MAX_FILE_BYTES,
    PREVIEW_ROWS,
    TEXT,
    TEXT_PAIR,
    DataReport,
    LabelledData,
    file_hash,
    load_labelled,
    read_table,
    sort_labels,
    split_train_val,
)

__all__ = ["LABEL", "MAX_FILE_BYTES", "PREVIEW_ROWS", "TEXT", "TEXT_PAIR", "DataReport", "LabelledData", "file_hash",
           "guess_columns", "inspect_file", "load_labelled", "overlap_report", "read_table", "sort_labels",
           "split_train_val"]
