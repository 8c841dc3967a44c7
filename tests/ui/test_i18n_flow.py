"""One language on screen: the text a realistic flow shows (the data check of a file with duplicates, the
plan line, a run's status lines and device line, the runs table, the class counts) in Chinese holds no English
word but values (file, column, label, model and run names, numbers) and technical tokens.

Each message is translated as the page gets it: composed with ``tr`` where the tab composes it, then passed
through the handler wrapper's ``translate`` (``ui.i18n.localise``). A line the catalogue does not know as a
whole stays English, and this test names it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from gradio.context import LocalContext

import ui.i18n.languages as i18n
from core.data import inspect_file
from core.plots.data import health_figures
from ui.api.attention_render import TABLE_COLUMNS
from ui.i18n.localise import _figure
from ui.tabs.attention.tab import AttentionTab
from ui.tabs.data.format import report_markdown
from ui.tabs.format import md_escape
from ui.tabs.runs.format import runs_table
from ui.tabs.runs.tab import RunsTab
from ui.tabs.train.format import plan_markdown, progress_html, status_markdown

# words that are the same in both languages: settings and ids the user types or reads in files and commands,
# device and precision names, metric abbreviations, units
TECHNICAL = {"max_length", "cpu", "cuda", "mps", "fp32", "fp16", "bf16", "F1", "ETA", "csv", "tsv", "utf-8", "utf",
             "json", "jsonl", "ms", "dropout", "MB", "GB", "M", "k", "B", "s", "Hugging", "Face", "TuneScope", "BERT", "ok"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*[A-Za-z0-9]|[A-Za-z]")


def english_left(text: str, values: set[str]) -> list[str]:
    """The Latin words of ``text`` that are neither a value nor a technical token (markup and code spans out)."""
    plain = re.sub(r"<[^>]+>", " ", text)
    plain = re.sub(r"`[^`]*`", " ", plain)  # code spans hold values (columns, settings)
    plain = re.sub(r"python -m core [a-z-]+", " ", plain)  # a CLI command is typed as it is, in any language
    for value in sorted(values, key=len, reverse=True):
        plain = plain.replace(value, " ")
    plain = re.sub(r"&#\d+;|&\w+;|\b[\w-]+\.(json|jsonl|csv|log|html|zip|onnx)\b", " ", plain)  # file names
    return [w for w in WORD.findall(plain) if w not in TECHNICAL]


@pytest.fixture
def chinese(monkeypatch: pytest.MonkeyPatch):
    """A Chinese request in context, as the language menu's cookie makes it."""
    token = LocalContext.request.set(SimpleNamespace(cookies={i18n.COOKIE: i18n.CHINESE}, headers={}))
    i18n.catalogue.cache_clear()
    i18n._templates.cache_clear()
    yield
    LocalContext.request.reset(token)


def shown(text: str) -> str:
    """``text`` as the page shows it: through the handler wrapper's translation."""
    return i18n.tr(text)


@pytest.fixture
def duplicated_file(tmp_path: Path) -> Path:
    sample = pd.read_csv(Path(__file__).resolve().parents[2] / "assets" / "sample.csv")
    frame = pd.concat([sample, sample.head(30), sample.head(5).assign(topic="food")], ignore_index=True)
    path = tmp_path / "tickets.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_realistic_flow_speaks_only_chinese(chinese, duplicated_file: Path, tmp_path: Path, tiny_models) -> None:
    result = inspect_file(duplicated_file, model=str(tiny_models("bert")))
    values = {"tickets.csv", "text", "topic", *result["labels"], str(tiny_models("bert")), "bert"}
    lines = {"data check": shown(report_markdown(result))}
    assert any("重复" in line for line in lines["data check"].splitlines())  # the duplicates are reported
    lines["plan"] = shown(plan_markdown("bert-tiny", "tickets.csv", {"text_column": "text", "label_column": "topic"}))
    lines["plan, no data"] = shown(plan_markdown("bert-tiny", "", None))
    values |= {"bert-tiny", "20261207-101500-ab12"}

    run = tmp_path / "runs" / "20261207-101500-ab12"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"resolved": {
        "device": "cpu", "precision": "fp32", "dropout": 0.0, "class_weights": {"food": 1.5, "travel": 0.8},
        "train_val_overlap": {"val_rows_in_train": 3, "val_share_in_train": 0.05}}}), encoding="utf-8")
    (run / "metrics.json").write_text(json.dumps({"accuracy": 0.96, "f1_macro": 0.95, "samples": 48}), encoding="utf-8")
    for state in ("running", "finished", "stopped", "failed"):
        lines[f"status {state}"] = shown(status_markdown(run, {"state": state, "message": None}))
    numbers = {"state": "running", "phase": "training", "step": 52, "total_steps": 90, "training_seconds": 262,
               "remaining_seconds": 237, "samples_per_second": 12.5}  # core.runs.progress's keys
    lines["progress"] = shown(progress_html(numbers))
    lines["progress, resuming"] = shown(progress_html({"state": "running", "phase": "loading", "resuming": True,
                                                       "step": 52}))
    lines["progress, idle"] = shown(progress_html({"state": "idle"}))  # what a page load shows with no run

    listed = [{"run_id": "20261207-101500-ab12", "state": "finished", "base_model": "bert-tiny", "data": "tickets.csv",
               "best_metric": 0.96, "best_metric_name": "accuracy", "duration_seconds": 487, "has_model": True},
              {"run_id": "20261207-101500-ab13", "state": "damaged", "reason": "status.json is missing: the run's state is unknown; delete it or train it again.",
               "base_model": "bert-tiny", "data": "tickets.csv"},
              {"run_id": "20261207-101500-ab14", "state": "queued", "base_model": "bert-tiny", "data": "tickets.csv"}]
    values |= {"20261207-101500-ab13", "20261207-101500-ab14", "ab12", "ab13", "ab14"}  # ids and their short names
    table = runs_table(listed, {"20261207-101500-ab14": 2}).rename(columns=shown)  # the wrapper renames headers only
    lines["runs table"] = "\n".join([" | ".join(table.columns), *(" | ".join(str(c) for c in row)
                                                                  for row in table.itertuples(index=False))])

    balance = _figure(health_figures(result)["class_balance"])
    lines["class counts"] = " ".join([balance.layout.title.text or "", balance.layout.xaxis.title.text or "",
                                      balance.layout.yaxis.title.text or ""])
    mixed = {name: english_left(text, values) for name, text in lines.items()}
    mixed = {name: words for name, words in mixed.items() if words}
    assert not mixed, "English left in Chinese text: " + "; ".join(f"{n}: {w}" for n, w in mixed.items()) + \
        "\n" + "\n".join(f"--- {n}\n{lines[n]}" for n in mixed)


def test_a_row_picked_in_a_translated_table_is_read_by_position(chinese) -> None:
    """The page sends a table back with the headers it shows (in Chinese): picking a row still finds the run, and
    the selected run's line names its state in Chinese; picking a head still opens that layer and head."""
    table = runs_table([{"run_id": "20261207-101500-ab12", "state": "finished", "base_model": "bert-tiny"}], {})
    table = table.rename(columns=shown)
    assert "run" not in table.columns
    tab = RunsTab.__new__(RunsTab)  # the handler alone: its components are only keys of the answer
    for name in ("selected", "name", "tags", "current", "chosen", "share"):
        setattr(tab, name, name)
    tab.api = SimpleNamespace(runs=SimpleNamespace(summary=lambda run_id: {"state": "finished"}))
    answer = tab.on_select(table, None, SimpleNamespace(index=[0, 2]))
    assert answer["selected"] == "20261207-101500-ab12"
    assert english_left(answer["current"], {md_escape("20261207-101500-ab12")}) == [], answer["current"]

    heads = pd.DataFrame([[3, 7, 0.5, "entropy (most focused)"]], columns=TABLE_COLUMNS).rename(columns={
        "layer": "层", "head": "头"})
    assert AttentionTab.on_pick(None, heads, "Head", SimpleNamespace(index=[0, 1]))[:2] == (3, 7)
