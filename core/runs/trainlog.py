"""What a person reads of a run's ``train.log``: progress, evaluations, notes, warnings that matter and errors.

``train.log`` keeps everything the training child wrote (its stdout and stderr). The app's log box shows
:func:`readable_tail` of it: terminal codes (ANSI colours, cursor moves) removed; a line rewritten with carriage
returns reduced to what a terminal would show last; progress bars (tqdm), library log blocks (``[transformers]``
load reports, "checkpoint seem corrupted", "mtime may not be reliable" and the table lines under them), the
Trainer's own log dicts, Python
deprecation warnings and warnings raised inside installed libraries (with the source line printed under them)
left out; a traceback reduced to its exception line; the JSON summary the child prints at its end turned into one
line ("finished at step 40 of 40"). Our own lines (``started:``, ``step``, ``eval at step``, ``note:``,
``warning:``, ``error:``...) always pass. Any other line passes too: an unknown line may matter.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from core.runs.folder import RunPaths

TAIL_BYTES = 64 * 1024  # read back from the end of train.log: old logs with progress bars fill this fast
BLOCK_LINES = 40  # lines after a library log line that are taken as its continuation (a load report's table)

ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])|[\x00-\x08\x0b-\x1f\x7f]")
BAR = re.compile(r"\d{1,3}%\|.*\||\|\s*\d+/\d+\s*\[|\[\d+:\d+(?::\d+)?(?:<[^,\]]*)?,\s*[?\d.]+\s*[^\s\]]+/s\]")
OURS = re.compile(r"^(started:|step \d|eval at step|pre-training|stage |note:|warning:|error:|similar-examples "
                  r"index|trial \d|(finished|stopped|failed|interrupted) at step)")
LIBRARY = re.compile(r"^\[(transformers|datasets|accelerate|huggingface_hub|peft|setfit|sentence_transformers|"
                     r"tokenizers|torch|optuna)\]|^(WARNING|INFO|DEBUG):(?!tunescope)\S*:")
LOADER = re.compile(r"^Some weights of |^- This IS (NOT )?expected|You should probably TRAIN this model|"
                    r"seem corrupted|mtime may not be reliable|LOAD REPORT")
LIBRARY_BODY = re.compile(r"^(\s|-|\||Key\b|Notes:|[\w.\-]+\s*\|)")  # a load report's table and notes
TRAINER_DICT = re.compile(r"^\{'[\w/]+': ")  # the Trainer's own log dicts: our step and eval lines say the same
PY_WARNING = re.compile(r"^(?P<path>\S.*?):\d+: (?P<kind>[A-Za-z]*Warning): (?P<text>.*)$")
LIBRARY_PATH = re.compile(r"[/\\](site|dist)-packages[/\\]|[/\\]lib[/\\]python\d")
NOISY_KINDS = ("DeprecationWarning", "FutureWarning", "PendingDeprecationWarning")
JSON_PIECE = re.compile(r'^\s+"[^"]*":|^\s*[\]}],?$|^\s+[\d"\-\]\[{}]')


def terminal_line(raw: str) -> str:
    """A line as a terminal would show it last: terminal codes gone, only the text after its last carriage return."""
    pieces = [piece for piece in raw.split("\r") if piece.strip()]
    return ANSI.sub("", pieces[-1] if pieces else "").rstrip()


def _summary(block: list[str]) -> str | None:
    """The child's closing JSON summary as one line, or None when the block is not one."""
    try:
        value = json.loads("\n".join(block))
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("state"), str):
        return None
    step, total = value.get("global_step"), value.get("total_steps")
    return f"{value['state']} at step {step if step is not None else '?'} of {total if total is not None else '?'}"


def _warning(line: str) -> str | None:
    """A Python warning worth reading (from the project, not a deprecation) as 'warning: ...'; None to leave out."""
    found = PY_WARNING.match(line)
    if found is None:
        return line
    if found["kind"] in NOISY_KINDS or LIBRARY_PATH.search(found["path"]):
        return None
    return f"warning: {found['text']}"


def readable_lines(text: str) -> list[str]:
    """The lines of ``text`` (a piece of ``train.log``) a person needs, in order (see the module docstring)."""
    kept: list[str] = []
    mode, left, block = "", 0, []  # mode: "library", "warning", "traceback" or "json"
    for raw in text.split("\n"):
        line = terminal_line(raw)
        if mode == "json":
            block.append(line)
            if line == "}":
                summary = _summary(block)
                kept += [summary] if summary else []
                mode = ""
            elif len(block) > 5000:
                mode = ""
            continue
        if not line.strip() or BAR.search(line):
            continue
        if OURS.match(line):
            kept.append(line)
            mode = ""
            continue
        if mode == "traceback":
            if line.startswith((" ", "\t", "Traceback", "During handling", "The above exception")):
                continue
            mode = ""  # the exception line ends the traceback: it says what went wrong
        elif mode == "warning" and line.startswith((" ", "\t")):
            continue  # the source line Python prints under a warning
        elif mode == "library" and left > 0 and LIBRARY_BODY.match(line) and not PY_WARNING.match(line):
            left -= 1
            continue
        mode = ""
        if line == "{":
            mode, block = "json", [line]
        elif line.startswith("Traceback (most recent call last)"):
            mode = "traceback"
        elif LIBRARY.match(line) or LOADER.search(line):
            mode, left = "library", BLOCK_LINES
        elif TRAINER_DICT.match(line):
            continue
        elif PY_WARNING.match(line):
            mode = "warning"
            shown = _warning(line)
            kept += [shown] if shown else []
        elif not JSON_PIECE.match(line):
            kept.append(line)
    return kept


def readable_tail(run_dir: str | Path, lines: int = 25) -> str:
    """The last ``lines`` readable lines of the run's ``train.log`` (read back at most :data:`TAIL_BYTES`), oldest
    first; '' when there is no log yet."""
    try:
        with open(RunPaths(Path(run_dir)).log, "rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - TAIL_BYTES))
            data = handle.read()
    except OSError:
        return ""
    if size > TAIL_BYTES:
        data = data.split(b"\n", 1)[-1]  # the first line is cut
    return "\n".join(readable_lines(data.decode("utf-8", errors="replace"))[-lines:])
