"""``python -m ui.catalogue``: build the app and print the strings the Chinese catalogue lacks, as JSON.

The command sits beside ``ui.interface`` because it builds the whole app (over an empty temporary runs
folder, so the names of the runs in ``./runs`` are not taken for strings of the app); finding the strings is
``ui.i18n.catalogue``. Translate the printed values into ``ui/i18n/locales/zh-CN.json``.
"""

from __future__ import annotations

import json
import sys
import tempfile

from ui.i18n.catalogue import missing
from ui.interface import build_app


def main() -> int:
    with tempfile.TemporaryDirectory() as runs:
        gaps = missing(build_app(runs_root=runs))
    json.dump({s: "" for s in gaps}, sys.stdout, ensure_ascii=False, indent=1)
    print(f"\n{len(gaps)} strings missing", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
