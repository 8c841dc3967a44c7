"""Formatting shared by the tabs: counts, durations, user text made inert in Markdown, the run menus."""

from __future__ import annotations

from typing import Any


def human_count(value: int | float | None) -> str:
    if value is None:
        return "?"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return str(int(value))


def human_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


_MARKDOWN_SPECIALS = str.maketrans({ch: f"&#{ord(ch)};" for ch in "\\`*_{}[]<>()#+-.!|~"})


def md_escape(text: object, limit: int = 200) -> str:
    """User text (run names, tags, config values, labels) made inert inside markdown and HTML, shortened."""
    value = str(text)
    value = value if len(value) <= limit else value[: limit - 1] + "…"
    return value.replace("\n", " ").translate(_MARKDOWN_SPECIALS)


def run_choices(listed: list[dict[str, Any]], with_model: bool = False) -> list[tuple[str, str]]:
    """(label, run id) for runs in the catalog, optionally only those with a saved model."""
    return [(f"{r['run_id']} · {r['state']}" + (f" · acc {r['accuracy']:.3f}" if r.get("accuracy") is not None else ""),
             r["run_id"]) for r in listed if r["has_model"] or not with_model]
