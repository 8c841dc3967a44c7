"""What the Data tab shows about an upload, as Markdown built from the health report (plain data)."""

from __future__ import annotations

from typing import Any

from ui.tabs.format import md_code, md_inline

TOP_PAIRS = 5


def multi_label_markdown(result: dict[str, Any]) -> list[str]:
    """Lines on multi-label data: how labels were given, labels per row, rows without a label, frequent pairs."""
    stats = (result.get("health") or {}).get("multi_label")
    if not result.get("multi_label") or not stats:
        return []
    rows = max(result["rows"], 1)
    several = stats["rows_with_several"]
    pairs = ", ".join(f"{md_inline(a)} + {md_inline(b)} ({n:,})" for (a, b), n in ((p["labels"], p["rows"]) for p in stats["pairs"][:TOP_PAIRS]))
    return [
        f"**Multi-label** ({result.get('label_format') or 'several labels per row'}): {len(stats['labels'])} labels · "
        f"mean {stats['mean_labels_per_row']:.2f} labels per row · {several:,} rows ({several / rows:.0%}) with "
        f"several · {stats['rows_without_label']:,} with none",
        *([f"Most frequent pairs: {pairs}"] if pairs else []),
    ]


def report_markdown(result: dict[str, Any]) -> str:
    """The health report as short markdown: counts, drops, duplicates, warnings."""
    lines = [
        f"**{result['rows']:,} usable rows** of {result.get('rows_read', result['rows']):,} · "
        f"{len(result['labels'])} {'labels' if result.get('multi_label') else 'classes'} · text "
        f"{md_code(result['text_column'])} · label {md_code(result['label_column'])}"
        + (f" · second text {md_code(result['text_pair_column'])}" if result.get("text_pair_column") else ""),
        f"Read as {result.get('format', 'csv')}"
        + (f", encoding {result['encoding']}" if result.get("encoding") else "")
        + (f", delimiter `{result['delimiter']!r}`" if result.get("delimiter") else ""),
    ]
    tokens = (result.get("health") or {}).get("tokens")
    if tokens:
        lines.append(
            f"Tokens ({tokens['tokenizer']}): median {tokens['p50']}, 95th percentile {tokens['p95']}, "
            f"max {tokens['max']} · **{tokens['truncated_share']:.1%}** of rows truncated at max_length "
            f"{tokens['max_length']} · suggested max_length **{tokens['suggested_max_length']}**"
        )
    lines += multi_label_markdown(result)
    lines += [f"- ⚠️ {md_inline(w, 600)}" for w in result.get("warnings", [])]
    return "\n\n".join(lines[:2]) + ("\n\n" + "\n".join(lines[2:]) if len(lines) > 2 else "")


def label_choices(columns: list[str], result: dict[str, Any]) -> list[str]:
    """The columns, plus the comma-separated 0/1 label columns in use (so the dropdown can show them)."""
    label = result["label_column"]
    return columns if label in columns else [*columns, label]


def dedupe_message(done: dict[str, Any]) -> str:
    """One sentence on what *Drop duplicates* did (the counts of ``ui.api.data.Data.drop_duplicates``)."""
    if not done.get("written") and done.get("conflicting_texts"):
        return (f"{done['conflicting_texts']:,} text(s) repeat with different labels, one row per label, so nothing "
                "was dropped: fix their labels.")
    if not done.get("written"):
        return "No text repeats in this file: nothing was dropped."
    if done["conflicting_texts"] and done["conflicting"] == "keep":
        return (f"Dropped {done['rows_dropped']:,} repeated row(s), keeping the first row of each text, but "
                f"{done['conflicting_texts']:,} text(s) with different labels keep one row per label: fix their labels.")
    if done["conflicting_texts"]:
        return (f"Dropped {done['rows_dropped']:,} repeated row(s), keeping the first row of each text and none of the "
                f"{done['conflicting_texts']:,} text(s) given different labels.")
    return f"Dropped {done['rows_dropped']:,} repeated row(s), keeping the first row of each text: {done['rows_kept']:,} rows remain."
