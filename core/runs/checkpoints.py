"""Checkpoints of a run for resume (verified before use), and the smaller-batch settings to retry after out-of-memory.

The Trainer writes a checkpoint in place, file by file (weights, optimizer, scheduler, RNG state, then
``trainer_state.json``), so a kill or a full disk can leave the newest one half-written. A checkpoint
counts as intact only when every file resume reads is present, non-empty and readable: the state parses,
the safetensors header covers the file, and the torch files load with ``weights_only=True``.
:func:`resume_point` picks the newest intact checkpoint and says in one sentence what it skipped.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import RunError
from core.runs.folder import RunPaths

STATE = "trainer_state.json"
WEIGHTS = ("model.safetensors", "adapter_model.safetensors")
TORCH_FILES = ("optimizer.pt", "scheduler.pt")


def _step(folder: Path) -> int:
    return int(folder.name.split("-")[-1])


def checkpoint_folders(run_dir: str | Path) -> list[Path]:
    """The run's ``checkpoint-N`` folders, newest (highest step) first."""
    folder = RunPaths(Path(run_dir)).checkpoints
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return sorted(found, key=_step, reverse=True)


def _torch_problem(path: Path) -> str | None:
    """Why ``path`` (a ``torch.save`` file) cannot be loaded, or None."""
    import torch
    from transformers.trainer_pt_utils import safe_globals

    with open(path, "rb") as handle:
        head = handle.read(4)
        handle.seek(max(0, path.stat().st_size - 65_558))
        tail = handle.read()
    is_zip = head == b"PK\x03\x04"
    try:
        with safe_globals():  # the numpy types of the RNG state, as the Trainer loads them
            torch.load(path, map_location="cpu", weights_only=True, mmap=is_zip)
    except Exception:  # noqa: BLE001 - any failure means the Trainer could not load it either
        return "is truncated" if is_zip and b"PK\x05\x06" not in tail else "is corrupt"
    return None


def _safetensors_problem(path: Path) -> str | None:
    """Why ``path`` is not a complete safetensors file, or None (the header is checked, not every weight)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            handle.keys()
        return None
    except Exception:  # noqa: BLE001 - the library's own message is not for users
        pass
    size = path.stat().st_size
    with open(path, "rb") as handle:
        raw = handle.read(8)
        length = struct.unpack("<Q", raw)[0] if len(raw) == 8 else 0
        if len(raw) < 8 or 8 + length > size:
            return "is truncated" if length < 100_000_000 else "is corrupt"
        try:
            header = json.loads(handle.read(length))
            end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
        except (ValueError, KeyError, TypeError, IndexError):
            return "is corrupt"
    return "is truncated" if 8 + length + end > size else "is corrupt"


def _json_problem(path: Path) -> str | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return "is not valid JSON"
    if path.name == STATE and not (isinstance(state, dict) and isinstance(state.get("global_step"), int)):
        return "has no global step"
    return None


def _weights(folder: Path) -> list[Path]:
    """The weight files resume loads: single or sharded model weights, or LoRA adapter weights."""
    index = folder / "model.safetensors.index.json"
    if index.exists():
        try:
            shards = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
        except (ValueError, KeyError, TypeError, AttributeError):
            return [index]
        return [index] + [folder / name for name in sorted(shards)]
    present = [folder / name for name in WEIGHTS if (folder / name).exists()]
    return present or [folder / WEIGHTS[1 if (folder / "adapter_config.json").exists() else 0]]


def checkpoint_problem(folder: str | Path) -> str | None:
    """What makes checkpoint ``folder`` unusable for resume, e.g. 'model.safetensors is truncated'; None if intact.

    Files are checked in the order the Trainer writes them, so the first problem named is where a
    save stopped.
    """
    folder = Path(folder)
    rng = sorted(folder.glob("rng_state*.pth")) or [folder / "rng_state.pth"]
    optional = [folder / name for name in ("config.json", "adapter_config.json", "scaler.pt") if (folder / name).exists()]
    files = _weights(folder) + [folder / name for name in TORCH_FILES] + rng + optional + [folder / STATE]
    for path in files:
        if not path.is_file():
            return f"{path.name} is missing"
        if path.stat().st_size == 0:
            return f"{path.name} is empty"
        if path.suffix == ".json":
            problem = _json_problem(path)
        elif path.suffix == ".safetensors":
            problem = _safetensors_problem(path)
        else:
            problem = _torch_problem(path)
        if problem:
            return f"{path.name} {problem}"
    return None


@dataclass
class ResumePoint:
    """The newest intact checkpoint (or None) and the newer ones skipped as damaged, with why."""

    checkpoint: Path | None
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        """One sentence naming what was skipped and why, e.g. 'checkpoint-8 is damaged (...): resuming from checkpoint-4.'"""
        if not self.skipped:
            return None
        damaged = _listing(self.skipped)
        if self.checkpoint is None:
            return f"{damaged}: there is no intact checkpoint to resume from."
        return f"{damaged}: resuming from {self.checkpoint.name}."

    def to_list(self) -> list[dict[str, str]]:
        return [{"checkpoint": name, "problem": problem} for name, problem in self.skipped]


def _listing(skipped: list[tuple[str, str]]) -> str:
    parts = [f"{name} is damaged ({problem})" for name, problem in skipped]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def find_resume_point(run_dir: str | Path) -> ResumePoint:
    """Check checkpoints newest first until one is intact."""
    point = ResumePoint(None)
    for folder in checkpoint_folders(run_dir):
        problem = checkpoint_problem(folder)
        if problem is None:
            point.checkpoint = folder
            break
        point.skipped.append((folder.name, problem))
    return point


def last_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest intact checkpoint (a hard kill or a full disk can leave newer ones half-written)."""
    return find_resume_point(run_dir).checkpoint


def resume_point(run_dir: str | Path) -> ResumePoint:
    """Where a resume starts; a :class:`RunError` when the run has checkpoints but none is intact."""
    point = find_resume_point(run_dir)
    if point.checkpoint is None and point.skipped:
        raise RunError(f"Run {Path(run_dir).name} has no intact checkpoint to resume from "
                       f"({_listing(point.skipped)}): start a new run instead.")
    return point


def smaller_batch(batch_size: int, gradient_accumulation_steps: int) -> dict[str, int]:
    """Half the batch and twice the accumulation: the same effective batch in less memory."""
    if batch_size <= 1:
        raise RunError("The batch size is already 1: lower max_length, use LoRA or a smaller model instead.")
    return {"batch_size": batch_size // 2,
            "gradient_accumulation_steps": gradient_accumulation_steps * 2}
