"""What the Runs tab shows, as tables and Markdown built from plain data: the runs, and two runs' differences."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ui.i18n.languages import tr, trf
from ui.tabs.format import human_seconds, md_escape

# What a person looks for first (name, state, best metric, duration, date), then where the run came from; the id
# once, last (the handlers read it from there, whatever language the headers are in).
COLUMNS = ["name", "state", "best metric", "duration", "date", "model", "data", "tags", "run"]
RUN_COLUMN = len(COLUMNS) - 1
# Widths that keep the first five columns in view at 1280 px and let the long ones wrap between words.
COLUMN_WIDTHS = ["16%", "11%", "12%", "8%", "11%", "12%", "10%", "8%", "12%"]


def short_name(run: dict[str, Any]) -> str:
    """The user's name of the run; else its id without the time stamp (the date has its own column)."""
    if run.get("name") and run["name"] != run["run_id"]:
        return run["name"]
    parts = str(run["run_id"]).split("-", 2)
    stamped = len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit()
    return parts[2] if stamped and parts[2] else run["run_id"]


def runs_table(listed: list[dict[str, Any]], places: dict[str, int] | None = None) -> pd.DataFrame:
    """The runs as rows for the table (newest first); ``places``: {run id: place} of the runs waiting in the queue."""
    rows = []
    places = places or {}
    for r in listed:
        best = r.get("best_metric")
        state = tr(r["state"]) if r["state"] != "damaged" else trf("damaged: {0}", tr(r.get("reason") or "?"))
        if r["run_id"] in places:
            state = trf("queued · #{0} in line", places[r["run_id"]])
        best_text = f"{tr(r.get('best_metric_name') or 'metric')} {best:.4f}" if isinstance(best, int | float) else ""
        rows.append([short_name(r), state, best_text, human_seconds(r.get("duration_seconds")),
                     (r.get("created_at") or r.get("updated_at") or "")[:16].replace("T", " "),
                     r.get("base_model") or r.get("model"), r.get("data"),
                     ", ".join(([tr("🔗 shared")] if r.get("shared") else []) + list(r.get("tags") or [])), r["run_id"]])
    return pd.DataFrame(rows, columns=COLUMNS)


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "—"


def diff_markdown(diff: dict[str, Any], first: str, second: str) -> str:
    """A config diff as a markdown table: what differs, then what only one run has."""
    e = md_escape
    lines = [f"| setting | {e(first)} | {e(second)} |", "|---|---|---|"]
    for key, (a, b) in sorted(diff.get("changed", {}).items()):
        lines.append(f"| {e(key)} | {e(a)} | {e(b)} |")
    for key, value in sorted(diff.get("only_a", {}).items()):
        lines.append(f"| {e(key)} | {e(value)} | — |")
    for key, value in sorted(diff.get("only_b", {}).items()):
        lines.append(f"| {e(key)} | — | {e(value)} |")
    for metric, (a, b) in sorted(diff.get("metrics", {}).items()):
        lines.append(f"| final {e(metric)} | {_number(a)} | {_number(b)} |")
    if len(lines) == 2:
        return "The two runs have the same configuration."
    return "\n".join(lines) + f"\n\n{diff.get('same', 0)} settings are the same."
