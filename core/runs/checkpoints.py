"""Checkpoints of a run for resume, and the smaller-batch settings to retry after out-of-memory."""

from __future__ import annotations

from pathlib import Path

from core.errors import RunError
from core.runs.folder import RunPaths


def last_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest complete checkpoint (one a hard kill did not leave half-written)."""
    folder = RunPaths(Path(run_dir)).checkpoints
    if not folder.is_dir():
        return None
    complete = [
        p for p in folder.glob("checkpoint-*")
        if (p / "trainer_state.json").exists() and any(p.glob("*.safetensors")) and p.name.split("-")[-1].isdigit()
    ]
    return max(complete, key=lambda p: int(p.name.split("-")[-1]), default=None)



def smaller_batch(batch_size: int, gradient_accumulation_steps: int) -> dict[str, int]:
    """Half the batch and twice the accumulation: the same effective batch in less memory."""
    if batch_size <= 1:
        raise RunError("The batch size is already 1: lower max_length, use LoRA or a smaller model instead.")
    return {"batch_size": batch_size // 2,
            "gradient_accumulation_steps": gradient_accumulation_steps * 2}
