"""The ``inspect`` result: a labelled file's columns, labels, dropped rows, warnings and health report.

Plain JSON-ready data shared by the CLI's ``inspect`` command and the Data tab.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.data.labelled import load_labelled


def inspect_file(
    path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    text_pair_column: str | None = None,
    model: str | None = None,
    max_length: int = 128,
    val_path: str | Path | None = None,
    tokenizer: Any = None,
    preview_rows: int = 0,
) -> dict[str, Any]:
    """The CLI's ``inspect`` result as plain JSON-ready data, with a ``health`` report.

    Token lengths are measured when ``model`` ('default', a folder, a run or a hub id) or a loaded
    ``tokenizer`` is given; ``val_path`` adds the validation file's labels and its overlap with training;
    ``preview_rows`` (at most :data:`PREVIEW_ROWS`) adds the first rows as read, so a UI need not read the file again.
    """
    from core.data.health import health_report, validation_report

    data = load_labelled(path, text_column, label_column, text_pair_column)
    rep = data.report
    result: dict[str, Any] = {
        "rows": rep.rows_kept, "rows_read": rep.rows_read, "columns": rep.columns, "text_column": rep.text_column,
        "label_column": rep.label_column, "text_pair_column": rep.text_pair_column, "labels": rep.labels,
        "encoding": rep.encoding, "delimiter": rep.delimiter, "format": rep.format, "has_header": rep.has_header,
        "dropped": rep.dropped, "duplicates": rep.duplicates, "warnings": list(rep.warnings),
    }
    if preview_rows:
        head = data.raw_head.head(preview_rows).astype(object)
        result["preview"] = head.where(head.notna(), None).to_dict("records")
    result["health"] = health_report(data, model=model, max_length=max_length, tokenizer=tokenizer)
    result["warnings"] += result["health"].pop("warnings")
    if val_path is not None:
        val = load_labelled(val_path, rep.text_column, rep.label_column, text_pair_column)
        result["validation"] = validation_report(data, val)
        result["warnings"] += result["validation"].pop("warnings")
    return result
