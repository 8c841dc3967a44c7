"""Run-folder files that a crashed or tampered process wrote never break status, curves, the run list or a diff.

Garbage bytes, invalid UTF-8, JSON lines that are not objects, a 200 MB line, a last line cut short, and
truncated or non-object JSON files: the readers skip them, count them in one note per file, never quote a
codec or parser message, and read in bounded blocks (``tracemalloc`` measures the peak of what the
reading allocated, so a reader that held the giant line whole fails here).
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.errors import RunError
from core.plots.training import compare_figure, loss_figure, metrics_figure, perplexity_figure
from core.runs import EventTail, read_events, read_events_noted, read_json, read_object
from core.runs.catalog import list_runs
from core.runs.diff import diff_runs
from core.runs.meta import read_meta
from core.runs.timeline import last_event

MB = 1024 * 1024


def event(step: int, **extra: Any) -> bytes:
    return (json.dumps({"event": "step", "step": step, "loss": 1.0 / step, **extra}) + "\n").encode()


def write_giant_line(handle: Any, size: int) -> None:
    block = b"x" * MB
    for _ in range(size // MB):
        handle.write(block)


@pytest.fixture
def peak() -> Iterator[Callable[[], float]]:
    """The peak of Python allocations (MB) since the test started."""
    tracemalloc.start()
    yield lambda: tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()


def test_damaged_event_lines_are_skipped_with_one_note(tmp_path: Path) -> None:
    with open(tmp_path / "events.jsonl", "wb") as handle:
        handle.write(event(1))
        handle.write(b"\xff\xfe\x00 garbage \x80\n")  # not UTF-8
        handle.write(b"[1, 2, 3]\n" + b'"a string"\n' + b"42\n" + b"null\n")  # JSON, but not objects
        handle.write(b"{not json\n" + b"\n")  # broken JSON, a blank line (not counted)
        handle.write(b"[" * 100_000 + b"]" * 100_000 + b"\n")  # too deep for the json module
        handle.write(event(2))
        handle.write(b'{"event": "step", "st')  # the last line, cut short by a crash
    events, note = read_events_noted(tmp_path)
    assert [e["step"] for e in events] == [1, 2]
    assert note == "events.jsonl: 8 damaged lines skipped"
    assert read_events(tmp_path) == events
    assert read_events_noted(tmp_path / "nowhere") == ([], None)


def test_a_200_mb_line_is_skipped_without_being_read_whole(tmp_path: Path, peak: Callable[[], float]) -> None:
    with open(tmp_path / "events.jsonl", "wb") as handle:
        handle.write(event(1))
        write_giant_line(handle, 200 * MB)
        handle.write(b"\n" + event(2))
    events, note = read_events_noted(tmp_path)
    assert [e["step"] for e in events] == [1, 2] and note == "events.jsonl: 1 damaged line skipped"
    assert peak() < 16, peak()


def test_the_live_tail_skips_a_giant_line_arriving_in_pieces(tmp_path: Path, peak: Callable[[], float]) -> None:
    path = tmp_path / "events.jsonl"
    tail = EventTail(tmp_path)
    assert tail.read_new() == []
    with open(path, "ab") as handle:
        handle.write(event(1))
        write_giant_line(handle, 3 * MB)
    assert [e["step"] for e in tail.read_new()] == [1]
    offset = tail.offset
    assert offset > 3 * MB and tail.damaged == 1  # the giant part was passed over, not kept for the next call
    with open(path, "ab") as handle:
        write_giant_line(handle, 2 * MB)
        handle.write(b"\n" + event(2) + event(3)[:10])
    assert [e["step"] for e in tail.read_new()] == [2] and tail.damaged == 1
    with open(path, "ab") as handle:
        handle.write(event(3)[10:])
    assert [e["step"] for e in tail.read_new()] == [3]
    assert peak() < 16, peak()


def test_the_last_event_is_found_behind_garbage_and_a_long_line(tmp_path: Path, peak: Callable[[], float]) -> None:
    path = tmp_path / "events.jsonl"
    with open(path, "wb") as handle:
        handle.write(event(1) + event(2))
        write_giant_line(handle, 20 * MB)
        handle.write(b"\n\xff\xfe garbage\n[1]\n" + b'{"event": "st')
    assert last_event(path)["step"] == 2
    with open(path, "ab") as handle:  # a last line longer than the search back: given up, bounded
        write_giant_line(handle, 80 * MB)
        handle.write(b"\n")
    assert last_event(path) is None
    assert peak() < 16, peak()
    path.write_bytes(event(7))
    assert last_event(path)["step"] == 7


JSON_DAMAGE = {  # content: the reason read_object gives
    b"": "is not valid JSON", b'{"state": "fini': "is not valid JSON", b"\xff\xfe{}": "is not UTF-8 text",
    b"[1, 2]": "does not hold a JSON object", b'"finished"': "does not hold a JSON object",
    b"[" * 100_000 + b"]" * 100_000: "is not valid JSON", b"{}" + b" " * (17 * MB): "is larger than 16 MB",
}


@pytest.mark.parametrize("content", list(JSON_DAMAGE), ids=range(len(JSON_DAMAGE)))
def test_json_files_that_are_not_one_object_read_as_missing_with_a_reason(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "status.json"
    path.write_bytes(content)
    value, problem = read_object(path)
    assert value is None and problem == f"status.json {JSON_DAMAGE[content]}"
    assert read_json(path, {"fallback": 1}) == {"fallback": 1}
    assert read_object(tmp_path / "metrics.json") == (None, "missing")


def test_status_config_meta_and_diff_of_a_damaged_run_are_one_sentence(tmp_path: Path, copy_run: Callable[..., Path],
                                                                     trained_runs: dict[str, Path]) -> None:
    run = copy_run(trained_runs["a"], tmp_path / "runs", "20260101-000009-broken")
    (run / "status.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RunError, match="no status.json"):  # never a UnicodeDecodeError
        runs.read_status(run)
    (run / "status.json").write_text("[1]")
    with pytest.raises(RunError):
        runs.read_status(run)
    (run / "config.json").write_bytes(b'{"data": {"train_file": "x.csv"}, "tra')
    with pytest.raises(RunError) as info:
        runs.load_config(run)
    assert str(info.value) == ("Run 20260101-000009-broken is damaged: config.json is not valid JSON. Delete the run, "
                               "or restore its config.json.")
    (run / "config.json").write_text('{"data": 5, "labels": 3}')
    with pytest.raises(RunError, match="does not hold a run's settings"):
        runs.load_config(run)
    with pytest.raises(RunError, match="cannot be compared: config.json does not hold a JSON object"):
        (run / "config.json").write_text("[]")
        diff_runs(trained_runs["a"], run)
    (run / "meta.json").write_bytes(b"\xff" * 100)
    assert read_meta(run)["name"] == run.name
    listed = {r["run_id"]: r for r in list_runs(tmp_path / "runs")}
    assert listed[run.name]["state"] == "damaged" and "Traceback" not in listed[run.name]["reason"]


def test_the_run_list_survives_a_giant_event_log_line(tmp_path: Path, copy_run: Callable[..., Path],
                                                      trained_runs: dict[str, Path]) -> None:
    run = copy_run(trained_runs["a"], tmp_path / "runs")
    with open(run / "events.jsonl", "ab") as handle:
        write_giant_line(handle, 200 * MB)
    [listed] = list_runs(tmp_path / "runs")
    assert listed["state"] == "finished"


TAMPERED = [
    {"event": "started", "resumed_from_step": "three"}, {"event": "step", "step": "x", "loss": 1.0},
    {"event": "step", "step": 1, "loss": "high"}, {"event": "step", "step": 2, "loss": None},
    {"event": "step", "loss": 0.5}, {"event": "step", "step": True, "loss": float("nan")},
    {"event": "eval", "step": 2, "accuracy": "0.5", "f1_macro": [1], "loss": {"a": 1}, "perplexity": -3},
    {"event": "step", "step": 3, "loss": 0.4}, {"event": "eval", "step": 3, "accuracy": 0.5, "loss": 0.6},
    {"event": "eval", "step": 4, "perplexity": 12.0, "stage": "pretrain"}, {"stage": ["x"]}, {},
]


def test_curves_draw_the_numbers_and_leave_tampered_values_out() -> None:
    loss = loss_figure(TAMPERED)
    assert list(loss.data[0].x) == [3] and list(loss.data[0].y) == [0.4]
    assert list(loss.data[-1].x) == [3]  # eval loss
    metrics = metrics_figure(TAMPERED)
    assert list(metrics.data[0].y) == [0.5] and list(metrics.data[1].y) == []
    assert list(perplexity_figure(TAMPERED).data[0].y) == [12.0]
    figure = compare_figure({"<a href='https://example.com'>run</a>": TAMPERED}, metric="accuracy")
    assert "<a" not in figure.data[0].name and "&lt;a" in figure.data[0].name
