"""Temperature scaling: fit a temperature on the validation logits and fold it into the classifier's last layer.

Single-label: one temperature ``T`` minimising the cross-entropy of ``softmax(logits / T)``; multi-label: one
per label minimising the sigmoid BCE of ``logits / T``. Both are fitted with L-BFGS on ``log T`` (so ``T``
stays positive) and clipped to ``[MIN_T, MAX_T]``. :func:`fold_temperature` divides the weight and bias rows
of the linear layer that produces the logits by ``T``, so every consumer of the saved model (prediction, the
report, ONNX, ``transformers.pipeline``) reads calibrated probabilities with no extra code; multiplying them
back by ``T`` (:func:`unfold_temperature`) restores the raw model. The layer is found generically
(:func:`output_layer`: the last ``nn.Linear`` with one output per label) and the fold is checked on a real
forward pass (logits after == logits before / T), else undone. Argmax and the multi-label decisions (with
thresholds moved by :func:`moved_thresholds`) do not change. The job (``core.job.calibrate``) decides
when to calibrate and records it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MIN_ROWS = 50  # below this a fitted temperature (and the ECE it is judged by) is mostly noise
MIN_T, MAX_T = 0.05, 20.0
CONFIG_KEY = "tunescope_temperature"


def too_few_rows(rows: int, classes: int, multi_label: bool) -> str | None:
    """Why ``rows`` validation rows are too few to fit a temperature honestly, or None when they suffice.

    At least ``MIN_ROWS`` rows (ten confidence bins of five rows each, the least an ECE can be read from) and,
    single-label, two rows per class: fewer and the classes the fit never sees decide nothing about T.
    """
    if rows < MIN_ROWS:
        return f"only {rows} validation rows (at least {MIN_ROWS} are needed to fit a temperature honestly)"
    if not multi_label and rows < 2 * classes:
        return f"only {rows} validation rows for {classes} classes (at least two per class are needed)"
    return None


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising the cross-entropy of ``softmax(logits / T)`` against class ids ``labels``."""
    import torch

    z = torch.as_tensor(np.asarray(logits, dtype=np.float64))
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    return float(_fit(lambda t: torch.nn.functional.cross_entropy(z / t, y), 1)[0])


def fit_label_temperatures(logits: np.ndarray, multi_hot: np.ndarray) -> np.ndarray:
    """Per label, the temperature minimising the BCE of ``sigmoid(logits / T)``; 1 for a label whose validation
    rows are all positive or all negative (nothing to calibrate against)."""
    import torch

    z = torch.as_tensor(np.asarray(logits, dtype=np.float64))
    y = torch.as_tensor((np.asarray(multi_hot) > 0.5).astype(np.float64))
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    fitted = _fit(lambda t: bce(z / t, y, reduction="none").mean(dim=0).sum(), z.shape[1])
    both = (y.sum(dim=0) > 0) & (y.sum(dim=0) < len(y))
    return np.where(both.numpy(), fitted, 1.0)


def _fit(loss: Any, size: int) -> np.ndarray:
    """L-BFGS on ``log T`` (``size`` temperatures, starting at 1) of ``loss(T)``; clipped to [MIN_T, MAX_T]."""
    import torch

    log_t = torch.zeros(size, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> Any:
        optimizer.zero_grad()
        value = loss(torch.exp(log_t) if size > 1 else torch.exp(log_t[0]))
        value.backward()
        return value

    optimizer.step(closure)
    t = np.exp(log_t.detach().numpy())
    return np.clip(np.where(np.isfinite(t), t, 1.0), MIN_T, MAX_T)


def output_layer(model: Any) -> Any:
    """The ``nn.Linear`` that produces the logits: the last one with ``num_labels`` outputs (BERT's ``classifier``,
    RoBERTa's ``classifier.out_proj``, a decoder's ``score``, a merged LoRA head, SetFit's head), else None."""
    import torch

    wanted = int(getattr(model.config, "num_labels", 0) or 0)
    found = None
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and module.out_features == wanted:
            found = module
    return found


def _scale(layer: Any, factor: np.ndarray) -> None:
    import torch

    with torch.no_grad():
        f = torch.as_tensor(np.asarray(factor, dtype=np.float64).reshape(-1), device=layer.weight.device)
        layer.weight.mul_(f.to(layer.weight.dtype)[:, None] if f.numel() > 1 else f.item())
        if layer.bias is not None:
            layer.bias.mul_(f.to(layer.bias.dtype) if f.numel() > 1 else f.item())


def fold_temperature(model: Any, temperature: float | np.ndarray, probe: dict[str, Any]) -> str | None:
    """Divide the output layer of ``model`` by ``temperature`` and record it in ``model.config``; None when done,
    else why not (the model is then left as it was). ``probe`` is a tokenized batch for the check."""
    import torch

    layer = output_layer(model)
    if layer is None:
        return "no linear output layer with one output per label was found to fold the temperature into"
    t = np.asarray(temperature, dtype=np.float64)
    model.eval()
    probe = {k: v.to(layer.weight.device) for k, v in probe.items()}
    with torch.no_grad():
        before = model(**probe).logits.double().cpu().numpy()
        _scale(layer, 1.0 / t)
        after = model(**probe).logits.double().cpu().numpy()
    scale = np.abs(before).max() + 1.0
    if not np.allclose(after, before / t.reshape(1, -1) if t.ndim else before / float(t), atol=2e-2 * scale):
        _scale(layer, t)
        return "the logits are not the output layer's own (something follows it), so the temperature cannot be folded"
    setattr(model.config, CONFIG_KEY, t.tolist() if t.ndim else float(t))
    return None


def unfold_temperature(model: Any) -> Any:
    """The raw model back: multiply the output layer by the recorded temperature and forget it."""
    t = getattr(model.config, CONFIG_KEY, None)
    if t is not None:
        _scale(output_layer(model), np.asarray(t, dtype=np.float64))
        delattr(model.config, CONFIG_KEY)
    return model


def moved_thresholds(thresholds: np.ndarray, temperatures: np.ndarray) -> np.ndarray:
    """Probability thresholds that take the same decisions on ``sigmoid(z / T)`` as ``thresholds`` on ``sigmoid(z)``."""
    p = np.clip(np.asarray(thresholds, dtype=np.float64), 1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p))
    return 1.0 / (1.0 + np.exp(-logit / np.asarray(temperatures, dtype=np.float64)))
