"""The one-file HTML report: self-contained (no network loads), every section, user data escaped."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.errors import RunError
from core.report import HEADINGS, build_report
from core.report import build as report_build
from core.report.page import CSP, page
from core.report.sections import card_section, data_section, examples_section, per_class_section, run_section
from tests.core.report.tiny_run import HOSTILE_LABEL, HOSTILE_TEXT, TEXT_COLUMN

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""", re.I)


def hand_made_report(labels: list[str]) -> dict[str, Any]:
    """A report dict of ``Evaluation.report()``'s shape, with one confident mistake on the hostile text."""
    return {
        "accuracy": 0.75, "f1_macro": 0.7, "f1_weighted": 0.72, "samples": 12, "labels": labels, "ece": 0.125,
        "per_class": {label: {"precision": 0.8, "recall": 0.7, "f1": 0.75, "support": 6} for label in labels},
        "confusion_matrix": [[5, 1], [2, 4]],
        "reliability": [{"lower": 0.5, "upper": 0.6, "count": 7, "mean_confidence": 0.55, "accuracy": 0.6},
                        {"lower": 0.6, "upper": 0.7, "count": 0, "mean_confidence": 0.0, "accuracy": 0.0},
                        {"lower": 0.9, "upper": 1.0, "count": 5, "mean_confidence": 0.95, "accuracy": 0.8}],
        "misclassified": [{"text": HOSTILE_TEXT, "true": labels[1], "predicted": labels[0], "confidence": 0.9}],
    }


def without_plotly(text: str) -> str:
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs().replace("</script", "<\\/script")
    assert text.count(bundle) == 1, "plotly.js must be inlined exactly once"
    return text.replace(bundle, "")


def check_self_contained(text: str) -> str:
    """The page without the plotly bundle; asserts it loads nothing from outside the file."""
    rest = without_plotly(text)
    assert not EXTERNAL.search(rest), EXTERNAL.search(rest)
    assert not re.search(r"<(?:script|img|link|iframe|object|embed)\b[^>]*\b(?:src|href)=", rest, re.I)
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in rest
    assert "default-src 'none'" in CSP
    return rest


def test_sections_escape_user_data() -> None:
    hostile = {"data": {"train_file": "/x/<img src=x onerror=alert(1)>.csv", "text_column": TEXT_COLUMN},
               "labels": [HOSTILE_LABEL, "good"], "model": "<svg onload=alert(2)>"}
    html = run_section("run <b>1</b>", hostile, {"state": "finished"})
    html += examples_section([{"text": HOSTILE_TEXT, "true": HOSTILE_LABEL, "predicted": "good", "confidence": 0.9}],
                             note="<script>note()</script>")
    html += data_section({"rows_read": 3, "columns": [TEXT_COLUMN], "labels": {HOSTILE_LABEL: 3},
                          "warnings": ["<script>warn()</script>"], "dropped": {"<u>empty</u>": 1}})
    html += card_section(f"---\ntags: [x]\n---\n# run\n<script>card()</script> `{HOSTILE_LABEL}` "
                         "[link](http://example.com) ![img](https://example.com/x.png)\n")
    html += per_class_section({"labels": [HOSTILE_LABEL], "per_class": {
        HOSTILE_LABEL: {"precision": 1, "recall": 1, "f1": 1, "support": 3}}})
    rest = re.sub(r"<script>\s*window\.PLOTLYENV.*?</script>", "", html, flags=re.S)  # figure scripts (JSON escaped)
    for raw in (HOSTILE_TEXT, HOSTILE_LABEL, TEXT_COLUMN, "<img", "<svg", "<script>note", "<script>warn",
                "<script>card", "<u>", "<b>1</b>"):
        assert raw not in rest, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;bad&lt;/b&gt;" in html
    assert "tags: [x]" not in html  # the hub metadata block is left out
    assert not EXTERNAL.search(html)  # markdown links and images are not rendered as such


def test_page_is_one_document_with_every_heading() -> None:
    text = page("run <b>", "sub <i>", [(h, f"<p>{i}</p>") for i, h in enumerate(HEADINGS)], plotly_js="/*js*/")
    assert text.startswith("<!DOCTYPE html>") and text.count("<html") == 1
    assert "run &lt;b&gt;" in text and "sub &lt;i&gt;" in text
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in text


def test_report_from_a_hand_made_report_dict(tiny_run: Path, tmp_path: Path) -> None:
    labels = json.loads((tiny_run / "config.json").read_text())["labels"]
    output = build_report(tiny_run, evaluation=hand_made_report(labels), output=tmp_path / "r" / "report.html")
    assert output == tmp_path / "r" / "report.html" and list(output.parent.iterdir()) == [output]
    text = output.read_text(encoding="utf-8")
    rest = check_self_contained(text)
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in text
    # user data never appears raw: plotly's JSON escapes '<' as \u003c, the page escapes it as &lt;
    for raw in (HOSTILE_TEXT, "<script>alert", HOSTILE_LABEL, TEXT_COLUMN, "run <b>1"):
        assert raw not in text, raw
    assert "run &lt;b&gt;1" in rest
    assert "&lt;b&gt;bad&lt;/b&gt;" in rest and "&lt;i&gt;review&lt;/i&gt;" in rest
    assert "0.750" in rest and "0.125" in rest  # accuracy and ECE from the given report
    explained = re.findall(r'<div class="example (correct|mistake)">', rest)
    assert "mistake" in explained and len(explained) <= 6
    assert re.search(r'<span title="[^"]*alert[^"]*: [-+]\d', rest)  # the hostile row got attributions
    assert rest.count('class="plotly-graph-div"') >= 2  # at least the loss and metric curves


def test_report_of_an_old_run_without_card_or_data_report(tiny_run: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(tiny_run, old, ignore=shutil.ignore_patterns("checkpoints"))
    (old / "README.md").unlink()
    (old / "data_report.json").unlink()
    labels = json.loads((old / "config.json").read_text())["labels"]
    text = build_report(old, evaluation=hand_made_report(labels)).read_text(encoding="utf-8")
    assert (old / "report.html").exists()
    assert "has no model card" in text and "has no data report" in text


def test_report_evaluates_the_run_itself(tiny_run: Path, tmp_path: Path) -> None:
    evaluate = pytest.importorskip("core.inference.evaluate")
    if not hasattr(evaluate, "evaluate_run"):
        pytest.skip("core.inference.evaluate has no evaluate_run yet")
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("checkpoints"))
    text = check_self_contained(build_report(run).read_text(encoding="utf-8"))
    metrics = json.loads((run / "metrics.json").read_text())
    assert f'<div class="value">{metrics["accuracy"]:.3f}</div><div class="name">accuracy</div>' in text
    assert "Expected calibration error (ECE): <b>" in text
    assert text.count('<div class="example correct">') >= 1


def test_a_missing_evaluate_module_is_one_clear_error(tiny_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = report_build.importlib.util.find_spec
    monkeypatch.setattr(report_build.importlib.util, "find_spec",
                        lambda name, *a: None if name == "core.inference.evaluate" else real(name, *a))
    with pytest.raises(RunError, match="no run evaluation"):
        build_report(tiny_run)


def test_a_run_without_a_model_is_refused(tiny_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "unfinished"
    run.mkdir()
    for name in ("config.json", "status.json", "events.jsonl"):
        shutil.copy(tiny_run / name, run / name)
    with pytest.raises(RunError, match="has no saved model yet"):
        build_report(run, evaluation={})


def test_calibration_section_shows_the_training_scaling_before_and_after() -> None:
    from core.report.sections import calibration_section

    bins = [{"lower": 0.9, "upper": 1.0, "count": 60, "mean_confidence": 0.95, "accuracy": 0.7}]
    after = [{"lower": 0.7, "upper": 0.8, "count": 60, "mean_confidence": 0.72, "accuracy": 0.7}]
    record = {"applied": True, "temperature": 1.9, "rows": 60, "ece_before": 0.25, "ece_after": 0.02,
              "reliability_before": bins, "reliability_after": after}
    html = calibration_section(hand_made_report(["a", "b"]), record)
    assert "temperature 1.900" in html and "<b>0.250</b> before" in html and "<b>0.020</b> after" in html
    skipped = calibration_section(hand_made_report(["a", "b"]), {"applied": False, "ece_before": 0.3,
                                                                 "reason": "only 12 validation rows"})
    assert "Not calibrated at the end of training: only 12 validation rows" in skipped
    assert calibration_section(hand_made_report(["a", "b"])).count("<table") == 1
