"""What the Data tab shows about an upload, as Markdown built from the health report (plain data)."""

from __future__ import annotations

from typing import Any

from ui.i18n.languages import listing, tr, trf
from ui.tabs.format import md_code, md_inline

TOP_PAIRS = 5


def multi_label_markdown(result: dict[str, Any]) -> list[str]:
    """Lines on multi-label data: how labels were given, labels per row, rows without a label, frequent pairs
    (each line one whole message in the page's language)."""
    stats = (result.get("health") or {}).get("multi_label")
    if not result.get("multi_label") or not stats:
        return []
    rows = max(result["rows"], 1)
    several = stats["rows_with_several"]
    pairs = listing([f"{md_inline(a)} + {md_inline(b)} ({n:,})"
                     for (a, b), n in ((p["labels"], p["rows"]) for p in stats["pairs"][:TOP_PAIRS])])
    given = md_inline(result["label_format"]) if result.get("label_format") else tr("several labels per row")
    return [
        trf("**Multi-label** ({0}): {1} labels · mean {2} labels per row · {3} rows ({4}) with several · {5} with none",
            given, len(stats["labels"]), f"{stats['mean_labels_per_row']:.2f}", f"{several:,}", f"{several / rows:.0%}",
            f"{stats['rows_without_label']:,}"),
        *([trf("Most frequent pairs: {0}", pairs)] if pairs else []),
    ]


def readability_lines(found: dict[str, Any] | None) -> list[str]:
    """The scripts the texts are written in and how much of them the model's tokenizer cannot read (the
    sentence on unreadable data is among the warnings)."""
    if not found:
        return []
    scripts = listing([f"{md_inline(tr(name))} {share:.0%}" for name, share in list(found["scripts"].items())[:5]]) or "—"
    if found.get("byte_level"):
        return [trf("Scripts: {0} · the tokenizer is byte-level: it reads every script", scripts)]
    return [trf("Scripts: {0} · unknown to the model: **{1}** of the tokens, **{2}** of the characters", scripts,
                f"{found['unknown_share']:.1%}", f"{found['unknown_char_share']:.1%}")]


def report_markdown(result: dict[str, Any]) -> str:
    """The health report as short markdown: counts, drops, duplicates, warnings; every line one whole message in
    the page's language (``trf``), the core's warnings translated one by one before they become list items."""
    counts = (f"{result['rows']:,}", f"{result.get('rows_read', result['rows']):,}", len(result["labels"]),
              md_code(result["text_column"]), md_code(result["label_column"]))
    first = (trf("**{0} usable rows** of {1} · {2} labels · text {3} · label {4}", *counts) if result.get("multi_label")
             else trf("**{0} usable rows** of {1} · {2} classes · text {3} · label {4}", *counts))
    if result.get("text_pair_column"):
        first += " · " + trf("second text {0}", md_code(result["text_pair_column"]))
    read = [trf("Read as {0}", result.get("format", "csv"))]
    if result.get("encoding"):
        read.append(trf("encoding {0}", result["encoding"]))
    if result.get("delimiter"):
        read.append(trf("delimiter {0}", f"`{result['delimiter']!r}`"))
    lines = [first, " · ".join(read)]
    tokens = (result.get("health") or {}).get("tokens")
    if tokens:
        lines.append(trf("Tokens ({0}): median {1}, 95th percentile {2}, max {3} · **{4}** of rows truncated at "
                         "max_length {5} · suggested max_length **{6}**", tokens["tokenizer"], tokens["p50"],
                         tokens["p95"], tokens["max"], f"{tokens['truncated_share']:.1%}", tokens["max_length"],
                         tokens["suggested_max_length"]))
    lines += readability_lines((result.get("health") or {}).get("readability"))
    lines += multi_label_markdown(result)
    warnings = [f"- ⚠️ {md_inline(tr(w), 600)}" for w in result.get("warnings", [])]
    text = "\n\n".join(lines[:2]) + ("\n\n" + "\n".join(lines[2:]) if len(lines) > 2 else "")
    return text + ("\n\n" + "\n".join(warnings) if warnings else "")  # a list of its own, never a line's tail


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
