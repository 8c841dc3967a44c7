"""What the Runs tab shows, as tables and Markdown built from plain data: the runs, and two runs' differences."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ui.i18n.languages import tr, trf
from ui.tabs.format import human_seconds, md_escape

COLUMNS = ["run", "name", "state", "model", "data", "best metric", "duration", "date", "tags"]


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
        rows.append([r["run_id"], r.get("name") or r["run_id"], state, r.get("base_model") or r.get("model"),
                     r.get("data"), best_text, human_seconds(r.get("duration_seconds")),
                     (r.get("created_at") or r.get("updated_at") or "")[:16].replace("T", " "),
                     ", ".join((["🔗 shared"] if r.get("shared") else []) + list(r.get("tags") or []))])
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
