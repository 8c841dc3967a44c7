"""Knowledge distillation: a smaller student trained on a finished run's soft labels (``core.compress``).

A run whose ``RunConfig.distil`` is set trains a *student*: its base model (the teacher run itself) with only
``layers`` of its transformer layers kept, evenly spaced from the first to the last (6 -> 3 keeps 0, 2, 5),
as DistilBERT started its student from every other layer of its teacher. The embeddings, the pooler and the
classification head are the teacher's. Each training step runs the teacher on the same batch (no
gradients; it is loaded once, frozen) and the loss is

    ``ALPHA * T² * KL(softmax(teacher / T) || softmax(student / T)) + (1 - ALPHA) * cross-entropy(labels)``

(Hinton et al., 2015), with each label's sigmoid in place of the softmax and binary cross-entropy for a
multi-label run. The teacher's logits are its calibrated ones (its temperature is folded into its weights),
so the student learns the probabilities the teacher reports. Everything else is a normal fine-tune run:
queue, progress, stop and resume (the student is rebuilt the same way before a checkpoint loads), the
best checkpoint, calibration and the final outputs.
"""

from __future__ import annotations

from typing import Any

from core.errors import ConfigError
from core.models import load_classifier

TEMPERATURE = 2.0
ALPHA = 0.5
LAYER_FIELDS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers")


def layer_stack(model: Any) -> tuple[Any, str, Any]:
    """(owner module, attribute, ``ModuleList``) of the model's transformer layers: the first module list
    whose length is the config's layer count (``encoder.layer``, GPT-2's ``h``, Llama's ``layers``, ...)."""
    import torch

    count = layer_count(model.config)
    for owner in model.modules():
        for name, child in owner.named_children():
            if isinstance(child, torch.nn.ModuleList) and len(child) == count and count > 0:
                return owner, name, child
    raise ConfigError(f"{type(model).__name__} has no list of {count} transformer layers to take a student from: "
                      "distil a BERT-, RoBERTa-, DistilBERT- or GPT-style model.")


def layer_count(config: Any) -> int:
    """The number of transformer layers a model config declares (0 when it names none)."""
    for name in LAYER_FIELDS:
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return 0


def kept_layers(total: int, layers: int) -> list[int]:
    """``layers`` indices spread evenly over ``total`` layers, first and last included."""
    if not 0 < layers < total:
        raise ConfigError(f"A student needs fewer layers than its teacher's {total} and at least 1 (got {layers}).")
    if layers == 1:
        return [total - 1]
    return sorted({round(i * (total - 1) / (layers - 1)) for i in range(layers)})


def shrink(model: Any, layers: int) -> list[int]:
    """Keep ``layers`` of ``model``'s transformer layers (in place; the config says the new count); returns the
    teacher's indices that were kept."""
    import torch

    owner, name, stack = layer_stack(model)
    keep = kept_layers(len(stack), layers)
    setattr(owner, name, torch.nn.ModuleList([stack[i] for i in keep]))
    for index, layer in enumerate(getattr(owner, name)):
        for module in layer.modules():  # attention modules that know their place (caches, masks per layer)
            if isinstance(getattr(module, "layer_idx", None), int):
                module.layer_idx = index
    for field in LAYER_FIELDS:
        if isinstance(getattr(model.config, field, None), int):
            setattr(model.config, field, len(keep))
    types = getattr(model.config, "layer_types", None)
    if isinstance(types, list) and len(types) == len(stack):
        model.config.layer_types = [types[i] for i in keep]
    return keep


def load_teacher(source: Any, tokenizer: Any, attention: str | None) -> Any:
    """The teacher classifier, frozen and in eval mode, in fp32 (autocast lowers it where training does)."""
    import torch

    teacher = load_classifier(source, tokenizer=tokenizer, attn_implementation=attention, dtype=torch.float32)
    teacher.eval()
    for parameter in teacher.parameters():
        parameter.requires_grad_(False)
    return teacher


def distillation_loss(student: Any, teacher: Any, hard: Any, multi_label: bool) -> Any:
    """The mixed loss above from the student's and the teacher's logits and the ``hard`` loss on the labels."""
    import torch.nn.functional as F

    student, teacher = student.float() / TEMPERATURE, teacher.float() / TEMPERATURE
    if multi_label:
        soft = F.binary_cross_entropy_with_logits(student, torch_sigmoid(teacher), reduction="none").sum(-1).mean()
    else:
        soft = F.kl_div(F.log_softmax(student, -1), F.log_softmax(teacher, -1), log_target=True,
                        reduction="batchmean")
    return ALPHA * TEMPERATURE**2 * soft + (1 - ALPHA) * hard


def torch_sigmoid(tensor: Any) -> Any:
    """``torch.sigmoid`` (kept apart so the loss above reads as its formula)."""
    import torch

    return torch.sigmoid(tensor)
