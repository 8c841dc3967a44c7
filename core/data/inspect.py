"""The ``inspect`` result: a labelled file's columns, labels (single- or multi-label), dropped rows, warnings
and health report.

Plain JSON-ready data shared by the CLI's ``inspect`` command and the Data tab.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config import DEFAULT_MAX_LENGTH
from core.data.columns import Columns
from core.data.health import health_report, validation_report
from core.data.labelled import load_labelled
from core.modelref import ModelLike


def inspect_file(
    path: str | Path,
    columns: Columns | None = None,
    model: ModelLike = None,
    max_length: int = DEFAULT_MAX_LENGTH,
    val_path: str | Path | None = None,
    tokenizer: Any = None,
    preview_rows: int = 0,
) -> dict[str, Any]:
    """The CLI's ``inspect`` result as plain JSON-ready data, with a ``health`` report.

    ``columns`` names the columns to read (the others are guessed; ``label`` may name several 0/1 label
    columns separated by commas) and its ``multi_label`` ('auto', 'yes', 'no') overrides the multi-label
    detection. Token lengths are measured when ``model`` ('default', a folder, a run or a hub id) or a
    loaded ``tokenizer`` is given; ``val_path`` adds the validation file's labels and its overlap with
    training; ``preview_rows`` (at most :data:`PREVIEW_ROWS`) adds the first rows as read, so a UI need not
    read the file again. Multi-label data adds ``health["multi_label"]``.
    """
    data = load_labelled(path, columns)
    rep = data.report
    result: dict[str, Any] = {
        "rows": rep.rows_kept, "rows_read": rep.rows_read, "columns": rep.columns, "text_column": rep.text_column,
        "label_column": rep.label_column, "text_pair_column": rep.text_pair_column, "labels": rep.labels,
        "encoding": rep.encoding, "delimiter": rep.delimiter, "format": rep.format, "has_header": rep.has_header,
        "dropped": rep.dropped, "duplicates": rep.duplicates,
        "duplicate_groups": rep.duplicate_groups, "warnings": list(rep.warnings),
        "multi_label": rep.multi_label, "label_format": rep.label_format, "label_columns": rep.label_columns,
        "rows_without_label": rep.rows_without_label,
    }
    if preview_rows:
        head = data.raw_head.head(preview_rows).astype(object)
        result["preview"] = head.where(head.notna(), None).to_dict("records")
    result["health"] = health_report(data, model=model, max_length=max_length, tokenizer=tokenizer)
    result["warnings"] += result["health"].pop("warnings")
    if val_path is not None:
        val = load_labelled(val_path, data.chosen)  # read as the training file was read
        result["validation"] = validation_report(data, val)
        result["warnings"] += result["validation"].pop("warnings")
    return result
