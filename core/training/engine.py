"""The training engine's cheaper phases: checkpoints without frozen weights, and the final report from the
best checkpoint's own evaluation instead of one more pass.

**Checkpoints.**
With the token-embedding matrix frozen (the default, ``core.training.trainer.freeze_word_embeddings``),
half of a small encoder's weights never change during training. A checkpoint only has to hold what
resume and the best-model reload cannot get elsewhere: the trained weights, the optimizer (which only
ever sees trainable weights), scheduler, RNG and data position. The frozen weights come back from the
base model, which every resume and the final best-model reload start from: the Trainer loads
checkpoint weights with ``strict=False`` into a model built exactly as at the start of the run, so
the result is bit-for-bit the model that was saved. ``model/`` (written by ``core.training.saving``)
always holds every weight; a checkpoint folder is not a complete model on its own, and its
``frozen_weights.json`` names what it leaves out.

**Evaluations** run as the Trainer runs them. A throw-away bf16-weight SDPA copy evaluated ~1.2x faster on
CPU, but its scores differed by a row or two from ``python -m core evaluate``, which must reproduce a run's
metrics.json exactly, so it is not used (bench/README.md).

**The final report** needs the validation logits of the model that is kept. That model is the best
checkpoint, which was evaluated on the same rows just before it was saved: its logits are reused
(kept in memory for this process's evaluations). When that evaluation is not in memory (a resume
whose best checkpoint predates it, a resume after a failed final save) the model predicts again. Leaves out: LoRA checkpoints (PEFT already saves only the adapters), sharded models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FROZEN_FILE = "frozen_weights.json"  # in a checkpoint folder: the weights its model file leaves out


def frozen_weight_names(model: Any) -> set[str]:
    """State-dict names of ``model``'s parameters that do not train (empty for PEFT models)."""
    if type(model).__name__.startswith("Peft") or not hasattr(model, "named_parameters"):
        return set()
    return {name for name, weight in model.named_parameters() if not weight.requires_grad}


def checkpoint_state(model: Any) -> dict[str, Any] | None:
    """``model``'s state dict without its frozen weights, or None (save everything) when nothing is frozen."""
    frozen = frozen_weight_names(model)
    if not frozen:
        return None
    return {name: tensor for name, tensor in model.state_dict().items() if name not in frozen}


class EnginePhases:
    """A ``transformers.Trainer`` mixin: slim checkpoints, evaluations kept for the end."""

    _in_checkpoint = False
    _evaluations: dict[int, Any] | None = None

    def evaluation_loop(self, dataloader: Any, description: str, prediction_loss_only: bool | None = None,
                        ignore_keys: list[str] | None = None, metric_key_prefix: str = "eval") -> Any:
        """The Trainer's loop; evaluations are kept by step, so the final report reuses the best one.

        Not on a faster bf16-weight copy of the model (measured 1.2x on CPU): its scores differed from
        ``python -m core evaluate`` by a row or two, and a run's metrics.json must be reproducible exactly.
        """
        output = super().evaluation_loop(dataloader, description, prediction_loss_only,  # type: ignore[misc]
                                         ignore_keys, metric_key_prefix)
        if metric_key_prefix == "eval":
            self._evaluations = {**(self._evaluations or {}), self.state.global_step: output}
        return output

    def final_predictions(self, dataset: Any) -> Any:
        """``predict(dataset)`` of the model now held: the kept evaluation of its checkpoint when there is one."""
        from transformers.trainer_utils import PredictionOutput

        best = self.state.best_model_checkpoint
        step = int(str(best).rsplit("-", 1)[-1]) if best else None
        reloaded = self.args.load_best_model_at_end and best is not None and Path(best).is_dir()
        output = (self._evaluations or {}).get(step) if reloaded or step == self.state.global_step else None
        if output is None or dataset is not self.eval_dataset:
            return self.predict(dataset)  # type: ignore[attr-defined]
        metrics = {"test_" + k.removeprefix("eval_"): v for k, v in (output.metrics or {}).items()}
        return PredictionOutput(predictions=output.predictions, label_ids=output.label_ids, metrics=metrics)

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        self._in_checkpoint = True
        try:
            super()._save_checkpoint(model, trial)  # type: ignore[misc]
        finally:
            self._in_checkpoint = False

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        """A checkpoint's model file without frozen weights, named in ``FROZEN_FILE`` beside it (such a folder
        is not a complete model on its own); any other ``save_model`` writes every weight."""
        import json

        slim = checkpoint_state(self.model) if state_dict is None and self._in_checkpoint else None
        super()._save(output_dir, slim if slim is not None else state_dict)  # type: ignore[misc]
        if slim is not None and output_dir and self.args.should_save:  # type: ignore[attr-defined]
            left_out = sorted(frozen_weight_names(self.model))
            note = {"left_out": left_out, "restored_from": "the run's base model, on resume and best-model reload"}
            (Path(output_dir) / FROZEN_FILE).write_text(json.dumps(note, indent=1) + "\n", encoding="utf-8")

    def _issue_warnings_after_load(self, load_result: Any) -> None:
        """The Trainer's warnings about missing keys, leaving out the frozen weights checkpoints omit on purpose."""
        frozen = frozen_weight_names(self.model)
        missing = [key for key in load_result.missing_keys if key not in frozen]
        super()._issue_warnings_after_load(  # type: ignore[misc]
            load_result._replace(missing_keys=missing) if hasattr(load_result, "_replace") else load_result)
