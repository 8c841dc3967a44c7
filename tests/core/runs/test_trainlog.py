"""The log box's text: what a person needs of train.log (progress, evaluations, notes, warnings that matter, errors),
never terminal codes, progress bars or library noise; train.log itself is never changed.

``data/noisy_train.log`` is a real train.log of a tiny run stopped and resumed (before the child quieted its
libraries: tqdm bars, a pyarrow FutureWarning, transformers load reports), with typical lines of other runs added
at its end (an ANSI-coloured line, torch and transformers warnings, a warning from a user's script, "checkpoint seem
corrupted", a tqdm training bar, the Trainer's log dict, a traceback and the error line).
"""

from __future__ import annotations

import re
from pathlib import Path

from core.runs import trainlog
from core.runs.process import QUIET_CHILD
from core.runs.trainlog import readable_lines, readable_tail

NOISY = Path(__file__).parent / "data" / "noisy_train.log"


def test_a_real_noisy_log_keeps_progress_evaluations_notes_and_errors_only() -> None:
    text = NOISY.read_text(encoding="utf-8", errors="replace")
    kept = readable_lines(text)
    shown = "\n".join(kept)
    assert not re.search(r"\x1b|\r|%\||it/s|examples/s", shown)  # no terminal codes, no progress bars
    for noise in ("FutureWarning", "UserWarning", "pin_memory", "seem corrupted", "LOAD REPORT", "MISSING",
                  "Some weights", "TRAIN this model", "site-packages", "warnings.warn", "{'loss'", "Traceback",
                  'File "', '"run_dir"', "Writing model shards", "Loading weights"):
        assert noise not in shown, noise
    assert kept[0] == "started: 40 steps"
    assert [line for line in kept if line.startswith("started:")] == ["started: 40 steps",
                                                                        "started: 40 steps, resumed at step 8"]
    assert sum(line.startswith("step ") for line in kept) == 14 and sum("eval at step" in line for line in kept) == 5
    assert "stopped at step 8 of 40" in kept and "finished at step 40 of 40" in kept  # the child's JSON summaries
    assert "warning: 3 rows have no label and were dropped" in kept  # a warning from the user's own code matters
    assert kept[-2:] == ["torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
                         "error: Out of memory at batch size 32: retry with batch size 16 and gradient accumulation 2 "
                         "(same effective batch)."]
    assert any(line.startswith("note: stopped, so no similar-examples index") for line in kept)


def test_a_line_rewritten_by_carriage_returns_reads_as_its_last_state() -> None:
    assert readable_lines("\x1b[1mstep 5/10\x1b[0m loss 0.5\rstep 6/10 loss 0.4\r\n") == ["step 6/10 loss 0.4"]
    assert readable_lines("Map: 100%|██████████| 9/9 [00:00<00:00, 614.04 examples/s]\n") == []
    assert readable_lines("Map: 9 examples [00:00, 614.04 examples/s]\nstep 1/2 loss 1.0\n") == ["step 1/2 loss 1.0"]


def test_unknown_lines_pass_and_a_library_block_ends_at_the_next_line_of_ours() -> None:
    text = ("[transformers] BertModel LOAD REPORT from: x\nKey | Status |\n---+---\nw | MISSING |\n\nNotes:\n"
            "- MISSING: newly initialized\nsomething nobody expected\nstarted: 4 steps\n")
    assert readable_lines(text) == ["something nobody expected", "started: 4 steps"]


def test_the_tail_skips_a_line_cut_by_the_read_and_train_log_is_not_changed(tmp_path: Path,
                                                                           monkeypatch) -> None:
    log = tmp_path / "train.log"
    body = "".join(f"step {n}/500 loss 0.5\n" for n in range(1, 501))
    log.write_bytes(b"\x1b[1m" + "é".encode() * 10 + body.encode())
    before = log.read_bytes()
    monkeypatch.setattr(trainlog, "TAIL_BYTES", 100)
    tail = readable_tail(tmp_path, lines=3).splitlines()
    assert tail == ["step 498/500 loss 0.5", "step 499/500 loss 0.5", "step 500/500 loss 0.5"]
    assert all(line.startswith("step ") for line in readable_tail(tmp_path, lines=50).splitlines())
    assert log.read_bytes() == before
    assert readable_tail(tmp_path / "missing") == ""


def test_the_training_child_quiets_library_bars_and_logs_unless_the_admin_says_otherwise(
        monkeypatch, tmp_path: Path) -> None:
    import subprocess

    from core.runs import process

    seen: dict[str, str] = {}

    class Fake:
        pid = 4242

        def __init__(self, command, **kwargs):
            seen.update(kwargs["env"])

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(subprocess, "Popen", Fake)
    monkeypatch.setenv("TRANSFORMERS_VERBOSITY", "info")
    process.spawn_child(["train"], tmp_path / "train.log", tmp_path / "launch.json")
    assert seen["TRANSFORMERS_VERBOSITY"] == "info"  # the admin's own setting wins
    assert all(seen[key] == value for key, value in QUIET_CHILD.items() if key != "TRANSFORMERS_VERBOSITY")
    assert seen["HF_HUB_DISABLE_PROGRESS_BARS"] == seen["HF_DATASETS_DISABLE_PROGRESS_BARS"] == "1"
