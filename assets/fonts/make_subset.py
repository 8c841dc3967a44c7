"""Regenerate ``assets/fonts/tunescope-cjk.woff2`` and ``.ttf``: WenQuanYi Micro Hei, subset to what the app shows.

The subset holds printable ASCII, Latin-1, general and CJK punctuation, full-width forms, every character of the
Chinese catalogue (``ui/i18n/locales/zh-CN.json``) and the 3,755 common characters of GB 2312 level 1 (so most
Chinese in data, tokens and predictions renders too). The page serves the WOFF2 (``@font-face`` in
``assets/style.css``; report pages embed it); matplotlib's PNG fallback reads the TTF. Licence: Apache-2.0 (or
GPL-3+ with the font exception), as the source font; see ``assets/fonts/LICENSE``.

Run from the repository root after the catalogue changes (needs fonttools and brotli, and the source font,
Debian's ``fonts-wqy-microhei``)::

    python assets/fonts/make_subset.py [--source /usr/share/fonts/truetype/wqy/wqy-microhei.ttc]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
NAME = "tunescope-cjk"
RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203A), (0x2190, 0x2193), (0x2212, 0x2212),
          (0x2460, 0x2473), (0x25A0, 0x25CF), (0x3000, 0x303F), (0xFF01, 0xFF5E)]


def characters() -> str:
    """Every character the subset keeps (sorted, no duplicates)."""
    chars = {chr(c) for low, high in RANGES for c in range(low, high + 1)}
    table = json.loads((ROOT / "ui" / "i18n" / "locales" / "zh-CN.json").read_text(encoding="utf-8"))
    chars |= set("".join(table.values())) | set("".join(table))
    chars |= {"语", "言", "简", "体", "中", "文"}  # the language menu
    for high in range(0xB0, 0xD8):  # GB 2312 level 1: rows 16-55
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(c for c in chars if c.isprintable()))


def build(source: Path) -> list[Path]:
    """Write the WOFF2 and the TTF subset next to this script; returns their paths."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    written = []
    for flavor, suffix in ((None, ".ttf"), ("woff2", ".woff2")):
        font = TTFont(str(source), fontNumber=0)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=characters())
        subsetter.subset(font)
        for record in font["name"].names:  # a family name of its own: never mistaken for an installed WenQuanYi
            if record.nameID in (1, 4, 16):
                record.string = "TuneScope CJK"
            elif record.nameID == 6:
                record.string = "TuneScopeCJK-Regular"
        font.flavor = flavor
        path = HERE / f"{NAME}{suffix}"
        font.save(str(path))
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="the WenQuanYi Micro Hei font (.ttc or .ttf)")
    args = parser.parse_args()
    for path in build(args.source):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1e6:.2f} MB, {len(characters())} characters")


if __name__ == "__main__":
    main()
