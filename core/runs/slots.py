"""The devices an app schedules queued runs on ("slots"): their names, kinds, lock names and the child's environment.

The admin names them (``python app.py --devices ...``, else ``$TUNESCOPE_DEVICES``, else 'auto'): 'auto' is every
CUDA device, Apple MPS when present, and the CPU; otherwise a comma-separated list of ``cpu``, ``cpu:N`` (several
CPU slots on a large machine), ``cuda`` (every CUDA device), ``cuda:N`` and ``mps``. A queued run goes to a free
slot of the kind its ``device`` setting asks for; 'auto' takes the best kind the app schedules on (CUDA, then
MPS, then the CPU), so with 'auto' the CPU slot serves only runs that ask for the CPU. Each slot has one lock file
(``core.runs.lock``) named after the physical device, shared by every app and CLI run of the user on the machine.
A child on ``cuda:N`` sees only that GPU (``CUDA_VISIBLE_DEVICES``); a child on a CPU slot sees none.
"""

from __future__ import annotations

import os
import re

from core.errors import ConfigError, RunError

KINDS = ("cuda", "mps", "cpu")  # best first: the kind a run with device 'auto' gets
FORMS = "auto, cpu, cpu:N, cuda, cuda:N or mps (comma-separated)"


def cuda_count() -> int:
    """How many CUDA devices this process sees (0 without CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def mps_available() -> bool:
    import torch

    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def _one(part: str, spec: str) -> list[str]:
    """The slots one item of a ``--devices`` list names; a ConfigError for an item this machine lacks."""
    kind, colon, index = part.partition(":")
    if kind not in KINDS or (colon and not index.isdigit()) or (kind == "mps" and colon):
        raise ConfigError(f"--devices {spec}: '{part}' is not a device; write {FORMS}.")
    if kind == "cuda":
        count = cuda_count()
        if not count:
            raise ConfigError(f"--devices {spec}: this machine has no CUDA device; use cpu (or auto).")
        if colon and int(index) >= count:
            raise ConfigError(f"--devices {spec}: this machine has {count} CUDA device(s), cuda:0 to "
                              f"cuda:{count - 1}.")
        return [f"cuda:{int(index)}"] if colon else [f"cuda:{i}" for i in range(count)]
    if kind == "mps" and not mps_available():
        raise ConfigError(f"--devices {spec}: Apple MPS is not available here; use cpu (or auto).")
    return [f"{kind}:{int(index)}" if colon else kind]


def parse_devices(spec: str | None = None) -> tuple[str, ...]:
    """The slots an app schedules on, from the admin's ``--devices`` value ('auto' when empty)."""
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return tuple([f"cuda:{i}" for i in range(cuda_count())] + (["mps"] if mps_available() else []) + ["cpu"])
    names = [name for part in spec.split(",") if part.strip() for name in _one(part.strip(), spec)]
    if not names:
        raise ConfigError(f"--devices is empty; write {FORMS}.")
    return tuple(dict.fromkeys(names))


def app_devices() -> tuple[str, ...]:
    """The slots of this app: ``$TUNESCOPE_DEVICES`` (``app.py --devices`` sets it), else 'auto'."""
    return parse_devices(os.environ.get("TUNESCOPE_DEVICES"))


def kind(slot: str) -> str:
    return slot.partition(":")[0]


def kind_for(requested: str | None, slots: tuple[str, ...] | list[str]) -> str | None:
    """The kind of slot a run asking for ``requested`` ('auto', 'cpu', 'cuda', 'mps') gets here; None: none."""
    kinds = {kind(slot) for slot in slots}
    if not requested or requested == "auto":
        return next((k for k in KINDS if k in kinds), None)
    return requested if requested in kinds else None


def slots_for(requested: str | None, slots: tuple[str, ...] | list[str]) -> list[str]:
    """The slots a run asking for ``requested`` may take, in the admin's order."""
    wanted = kind_for(requested, slots)
    return [slot for slot in slots if kind(slot) == wanted]


def check_device(requested: str | None, slots: tuple[str, ...] | list[str], count: int = 1) -> None:
    """Refuse, in one sentence, a run whose device this app does not schedule on, or that asks for more devices
    at once (``count``) than the app has of that kind."""
    if kind_for(requested, slots) is None:
        kinds = sorted({kind(slot) for slot in slots}, key=KINDS.index)
        raise RunError(f"This app trains on {', '.join(slots)} only: choose the device 'auto' or "
                       f"{' or '.join(repr(k) for k in kinds)} for this run.")
    have = slots_for(requested, slots)
    if count > len(have):
        raise RunError(f"This run asks for {count} devices at once and this app has {len(have)} "
                       f"({', '.join(have)}): set devices at once (--gpus) to {len(have)} or fewer, or start the app "
                       "with --devices listing more.")


def physical_gpu(index: int) -> str:
    """The id of CUDA device ``index`` of this process as the machine names it (``CUDA_VISIBLE_DEVICES``)."""
    visible = [part.strip() for part in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if part.strip()]
    return visible[index] if index < len(visible) else str(index)


def lock_name(slot: str) -> str:
    """The name of a slot's lock file: 'cpu', 'cpu-1', 'mps', or 'cuda-<physical id>'."""
    slot_kind, _, index = slot.partition(":")
    if slot_kind == "cuda":
        index = physical_gpu(int(index or 0))
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{slot_kind}-{index}" if index else slot_kind)


def foreground_slot(device: str) -> str:
    """The slot of a run trained in the foreground (``python -m core train``) on ``device``: the first visible GPU."""
    return "cuda:0" if device == "cuda" else device


def foreground_slots(device: str, count: int) -> list[str]:
    """The slots of a run trained in the foreground on ``count`` devices: the first ``count`` visible GPUs, or the
    CPU's first slot and ``cpu:1`` ... ``cpu:N-1``."""
    if device == "cuda":
        return [f"cuda:{i}" for i in range(count)]
    return [foreground_slot(device)] + [f"{device}:{i}" for i in range(1, count)]


def child_env(slot: str | list[str] | tuple[str, ...]) -> dict[str, str]:
    """What a child started on ``slot`` (or on several slots of one kind) sees: those GPUs on CUDA slots, no GPU on
    CPU slots."""
    group = [slot] if isinstance(slot, str) else list(slot)
    slot_kind = kind(group[0])
    if slot_kind == "cuda":
        return {"CUDA_VISIBLE_DEVICES": ",".join(physical_gpu(int(s.partition(":")[2] or 0)) for s in group)}
    return {"CUDA_VISIBLE_DEVICES": ""} if slot_kind == "cpu" else {}
