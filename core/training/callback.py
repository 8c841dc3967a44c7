"""The observing Trainer callback that writes a run's ``events.jsonl`` and turns a stop request into a stop.

Reading events back is ``core.runs.events``; drawing them is ``core.plots.training``.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from core import runs

# Seconds to sleep after each step: lets tests and demos stop or kill a tiny run mid-way. Off by default.
_STEP_DELAY = float(os.environ.get("TUNESCOPE_STEP_DELAY") or 0)
AGREE_EVERY = 8  # steps between two agreements on a stop request under torchrun


class EventCallback(TrainerCallback):
    """Writes started/step/eval/checkpoint events (rank 0 only) and turns a stop request into a stop.

    It only observes, except for three control flags: stop when asked or when the loss is not
    finite, and evaluate + save at the very last step so the final model is always scored. Each eval
    and checkpoint event carries its wall ``seconds`` (``phases`` sums them), so the time outside the
    training steps is visible (``bench/bench_train.py`` prints it).
    """

    def __init__(self, run_dir: Path, stop_requested: Callable[[Path], bool],
                 info: dict[str, Any] | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.stop_requested = stop_requested
        self.info = dict(info or {})
        self.non_finite: str | None = None
        self.stopping = False
        self._t0 = self._last_time = 0.0
        self._step0 = self._last_step = 0
        self._phase_start = 0.0  # end of the last training step: an evaluation or a save after it starts here
        self.phases = {"evaluate": 0.0, "save": 0.0}  # seconds spent outside the training steps

    def emit(self, state: Any, event: dict[str, Any]) -> None:
        """Append ``event`` to the run's events (rank 0 only); also for the other callbacks (the time budget)."""
        if state.is_world_process_zero:
            runs.append_event(self.run_dir, event)

    _emit = emit

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._t0 = self._last_time = time.time()
        self._step0 = self._last_step = state.global_step
        self._emit(state, {
            "event": "started", "total_steps": state.max_steps, "epochs": args.num_train_epochs,
            "resumed_from_step": state.global_step, "batch_size": args.per_device_train_batch_size,
            "gradient_accumulation_steps": args.gradient_accumulation_steps, "world_size": args.world_size,
            "learning_rate": args.learning_rate, "lr_scheduler": str(getattr(args.lr_scheduler_type, "value",
                                                                            args.lr_scheduler_type)),
            "warmup": args.warmup_steps, "seed": args.seed, **self.info,
            "pid": os.getpid(),  # tells this attempt from one whose process died before a resume (core.runs.progress)
        })
        if state.is_world_process_zero:
            echo(f"started: {state.max_steps} steps" + (f", resumed at step {state.global_step}" if state.global_step else ""))
            if self.info.get("length_plan"):
                echo(f"plan: {self.info['length_plan']}.")

    def _stop_now(self, args: Any, step: int) -> bool:
        """The stop request, agreed by all processes under torchrun (a rank stopping alone would hang) every
        :data:`AGREE_EVERY` steps: the collective and its host sync are not paid on every step."""
        wanted = self.stop_requested(self.run_dir)
        if args.world_size <= 1:
            return wanted
        if step % AGREE_EVERY:
            return False
        import torch
        import torch.distributed as dist

        if not dist.is_available() or not dist.is_initialized():
            return wanted
        flag = torch.tensor([1.0 if wanted else 0.0], device=args.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item() > 0)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if _STEP_DELAY:
            time.sleep(_STEP_DELAY)
        self._phase_start = time.time()
        if not self.stopping and self._stop_now(args, state.global_step):
            self.stopping = True
            control.should_training_stop = True
            control.should_save = True
            control.should_evaluate = True
            self._emit(state, {"event": "stopping", "step": state.global_step})
        if state.global_step >= state.max_steps and not self.non_finite:
            control.should_evaluate = True
            control.should_save = True

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        logs = logs or {}
        now, step = time.time(), state.global_step
        if "loss" in logs:
            loss = float(logs["loss"])
            samples = (step - self._last_step) * args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size
            rate = samples / max(now - self._last_time, 1e-9)
            done = step - self._step0
            eta = (state.max_steps - step) * (now - self._t0) / done if done else None
            self._last_time, self._last_step = now, step
            event = {"event": "step", "step": step, "epoch": logs.get("epoch", state.epoch), "loss": loss,
                     "learning_rate": logs.get("learning_rate"), "grad_norm": logs.get("grad_norm"),
                     "samples_per_second": rate, "elapsed": now - self._t0, "eta_seconds": eta,
                     "total_steps": state.max_steps}
            self._emit(state, event)
            if state.is_world_process_zero:
                echo(f"step {step}/{state.max_steps} loss {loss:.4f} lr {event['learning_rate'] or 0:.2e} "
                     f"{rate:.1f} samples/s" + (f" eta {eta:.0f}s" if eta is not None else ""))
            if not math.isfinite(loss) and not self.non_finite:
                self.non_finite = (f"The training loss became {loss} at step {step}: training was stopped. "
                                   "Lower the learning rate, or use fp32 precision.")
                control.should_training_stop = True
                control.should_save = False
                control.should_evaluate = False
                self._emit(state, {"event": "nonfinite", "step": step, "loss": str(loss)})
        elif "eval_loss" in logs:
            metrics = {k.removeprefix("eval_"): v for k, v in logs.items() if k.startswith("eval_")}
            seconds = self._phase("evaluate")
            self._emit(state, {"event": "eval", "step": step, "epoch": logs.get("epoch", state.epoch), **metrics,
                               "seconds": round(seconds, 3)})
            if state.is_world_process_zero:
                echo(f"eval at step {step}: loss {metrics.get('loss', float('nan')):.4f} "
                     f"accuracy {metrics.get('accuracy', float('nan')):.4f} f1_macro {metrics.get('f1_macro', float('nan')):.4f}")

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._restart_rate(state)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        seconds = self._phase("save")
        self._emit(state, {"event": "checkpoint", "step": state.global_step, "checkpoint_dir": str(path),
                           "best": state.best_model_checkpoint, "best_metric": state.best_metric,
                           "seconds": round(seconds, 3)})
        self._restart_rate(state)

    def _phase(self, name: str) -> float:
        """Seconds since the last step (or the last evaluation or save) ended, added to ``phases[name]``."""
        now = time.time()
        seconds = now - self._phase_start if self._phase_start else 0.0
        self.phases[name] += seconds
        self._phase_start = now
        return seconds

    def _restart_rate(self, state: Any) -> None:
        """Samples/s measures training only: evaluation and checkpoint time are left out."""
        self._last_time, self._last_step = time.time(), state.global_step


def echo(line: str) -> None:
    """Readable progress lines where no tqdm bar is shown (child runs' train.log, pipes)."""
    if os.environ.get("TUNESCOPE_CHILD") == "1" or not sys.stderr.isatty():
        print(line, file=sys.stderr, flush=True)
