"""Labelled data: read any tabular file, pick the text and label columns, clean, check its health.

``readers`` (with ``encoding``, ``sniff``, ``delimited``, ``records`` and ``table``) turns bytes into
a table of strings and refuses damaged files; ``columns`` holds the column choice (:class:`Columns`: text,
label, second text and multi-label mode, passed as one value everywhere), guesses which column is which and
``content`` checks that the text is text and the labels are classes; ``labelled`` cleans rows and
labels (``labelvalues`` writes and orders label values for it and for ``multilabel``), ``findings`` words its
warnings; ``duplicates`` says which rows hold the same text (case, spaces and full-width forms aside),
``split`` splits off validation data keeping each text on one side, ``dedupe`` writes a copy of a file
without its repeated texts; ``health`` measures class
balance, duplicates and lengths; ``inspect`` builds the report the CLI and the Data tab show;
``uploads`` stores uploads under ids and names files in messages as the user knows them. Messages
name files, lines, columns, counts and classes, never other content. Tokenization for training is
``core.training.datasets``; figures are ``core.plots.data``.
"""

from core.data.columns import Columns, guess_columns
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
)
from core.data.split import SPLIT, split_train_val, without_overlap

__all__ = ["LABEL", "MAX_FILE_BYTES", "PREVIEW_ROWS", "SPLIT", "TEXT", "TEXT_PAIR", "Columns", "DataReport", "LabelledData", "file_hash",
           "guess_columns", "inspect_file", "load_labelled", "overlap_report", "read_table", "sort_labels",
           "split_train_val", "without_overlap"]
