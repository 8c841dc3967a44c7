"""A report of a run whose files a crashed or tampered process left damaged, and of labels holding links.

The report still renders: damaged event lines are skipped with a note on the page, a damaged status or
data report reads as unknown, a model card with bytes that are not UTF-8 shows the rest. Labels and texts
that hold a URL or an e-mail address are shown as text, never as a link, in tables and in figures.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from core.report import build_report
from core.text import WORD_JOINER
from tests.core.report.test_report import check_self_contained, hand_made_report

URL, EMAIL = "https://evil.example/login", "bob@example.com"


def test_a_damaged_run_still_gets_its_report_with_a_note(tiny_run: Path, tmp_path: Path) -> None:
    run = Path(shutil.copytree(tiny_run, tmp_path / "run", ignore=shutil.ignore_patterns("checkpoints")))
    with open(run / "events.jsonl", "ab") as handle:
        handle.write(b"\xff\xfe garbage\n[1, 2]\n" + b"x" * (3 * 1024 * 1024) + b'\n{"event": "step", "st')
    (run / "status.json").write_bytes(b'{"state": "fin')
    (run / "data_report.json").write_text("[1]")
    (run / "README.md").write_bytes(b"# card\n\xff\xfe broken bytes but the rest shows\n")
    labels = json.loads((run / "config.json").read_text())["labels"]
    text = build_report(run, evaluation=hand_made_report(labels)).read_text(encoding="utf-8")
    rest = check_self_contained(text).replace(WORD_JOINER, "")  # 'events.jsonl' is written so it never links
    assert '<p class="note warn">events.jsonl: 4 damaged lines skipped</p>' in rest
    assert "unknown (status.json is damaged)" in rest and "has no data report" in rest
    assert "the rest shows" in rest
    assert rest.count('class="plotly-graph-div"') >= 2  # the curves from the readable events


def test_labels_and_texts_holding_links_are_never_links(tiny_run: Path, tmp_path: Path) -> None:
    report = hand_made_report([URL, EMAIL])
    report["misclassified"][0].update(text=f"write to {EMAIL} or see {URL}", true=EMAIL, predicted=URL)
    text = build_report(tiny_run, evaluation=report, output=tmp_path / "report.html").read_text(encoding="utf-8")
    rest = check_self_contained(text)
    assert URL not in text and EMAIL not in text  # neither in the page nor in the figures' data
    assert f"https:{WORD_JOINER}//evil" in rest and f"bob{WORD_JOINER}@example" in rest
    assert all(link.startswith('<a href="#') for link in re.findall(r"<a\b[^>]*>", rest))  # only the contents
