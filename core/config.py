"""Typed settings for data, model and training, validated in one place.

The UI and the CLI both build these objects; a run's ``config.json`` is ``RunConfig.to_dict()``.
Validation raises :class:`ConfigError` with a message naming the setting and its allowed range.
This module does not read data or load models.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError

SCHEDULERS = ("linear", "cosine", "constant")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
CLASS_WEIGHTS = ("auto", "on", "off")
BEST_METRICS = ("f1_macro", "accuracy", "eval_loss")


@dataclass
class DataSettings:
    """Where the labelled data is and which columns hold text and label."""

    train_file: str
    text_column: str | None = None
    label_column: str | None = None
    text_pair_column: str | None = None
    val_file: str | None = None
    val_fraction: float = 0.1

    def validate(self) -> None:
        if not self.train_file:
            raise ConfigError("No training file given: choose a labelled CSV, TSV, JSONL, Parquet or Excel file.")
        if self.val_file is None and not 0.0 < self.val_fraction < 0.9:
            raise ConfigError(
                f"val_fraction must be between 0 and 0.9 (got {self.val_fraction}); "
                "or give a separate validation file."
            )


@dataclass
class TrainSettings:
    """Hyper-parameters and runtime options for one fine-tuning run."""

    epochs: float = 1.0
    batch_size: int = 32
    learning_rate: float = 1e-4
    max_length: int = 128
    seed: int = 42
    warmup_ratio: float = 0.06
    lr_scheduler: str = "linear"
    weight_decay: float = 0.01
    gradient_accumulation_steps: int = 1
    max_steps: int | None = None
    eval_steps: int | None = None
    logging_steps: int | None = None
    save_steps: int | None = None
    early_stopping_patience: int | None = None
    metric_for_best_model: str = "f1_macro"
    class_weights: str = "auto"
    device: str = "auto"
    precision: str = "auto"
    lora: bool = False
    lora_rank: int = 8
    dropout: float | str = "auto"
    freeze_embeddings: bool = True
    max_grad_norm: float = 5.0

    def validate(self) -> None:
        def check(cond: bool, message: str) -> None:
            if not cond:
                raise ConfigError(message)

        check(0 < self.epochs <= 100, f"epochs must be between 0 and 100 (got {self.epochs}).")
        check(1 <= self.batch_size <= 4096, f"batch_size must be between 1 and 4096 (got {self.batch_size}).")
        check(0 < self.learning_rate < 1, f"learning_rate must be between 0 and 1, e.g. 5e-5 (got {self.learning_rate}).")
        check(8 <= self.max_length <= 8192, f"max_length must be between 8 and 8192 tokens (got {self.max_length}).")
        check(0 <= self.warmup_ratio < 1, f"warmup_ratio must be in [0, 1) (got {self.warmup_ratio}).")
        check(self.weight_decay >= 0, f"weight_decay must be >= 0 (got {self.weight_decay}).")
        check(self.gradient_accumulation_steps >= 1, "gradient_accumulation_steps must be at least 1.")
        for name in ("max_steps", "eval_steps", "logging_steps", "save_steps", "early_stopping_patience"):
            value = getattr(self, name)
            check(value is None or value >= 1, f"{name} must be a positive whole number or empty (got {value}).")
        check(self.lr_scheduler in SCHEDULERS, f"lr_scheduler must be one of {', '.join(SCHEDULERS)}.")
        check(self.device in DEVICES, f"device must be one of {', '.join(DEVICES)} (got {self.device!r}).")
        check(self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}.")
        check(self.class_weights in CLASS_WEIGHTS, f"class_weights must be one of {', '.join(CLASS_WEIGHTS)}.")
        check(
            self.metric_for_best_model in BEST_METRICS,
            f"metric_for_best_model must be one of {', '.join(BEST_METRICS)}.",
        )
        check(1 <= self.lora_rank <= 256, f"lora_rank must be between 1 and 256 (got {self.lora_rank}).")
        check(self.max_grad_norm > 0, f"max_grad_norm must be above 0, e.g. 5 (got {self.max_grad_norm}).")
        check(self.dropout in ("auto", "model") or (isinstance(self.dropout, int | float)
                                                     and not isinstance(self.dropout, bool) and 0 <= self.dropout < 1),
              _dropout_message(self.dropout))

    def resolved_dropout(self) -> float | None:
        """The dropout rate to train with; None keeps the model's own rates.

        'auto' turns dropout off for runs of up to 2 epochs: a short fine-tune sees each example once
        or twice, so dropout's regularisation buys little, while on a CPU its random masks cost about a
        sixth of every step. Longer runs keep the model's own rates.
        """
        if self.dropout == "model":
            return None
        if self.dropout == "auto":
            return 0.0 if self.epochs <= 2 else None
        return float(self.dropout)


def _dropout_message(value: object) -> str:
    return f"dropout must be 'auto', 'model' or a rate in [0, 1), e.g. 0.1 (got {value!r})."


def parse_dropout(value: object) -> float | str:
    """'auto', 'model' or a rate from a form field or a command-line flag."""
    text = str(value).strip().lower() if value is not None else "auto"
    if text in ("", "auto"):
        return "auto"
    if text in ("model", "default"):
        return "model"
    try:
        rate = float(text)
    except ValueError:
        raise ConfigError(_dropout_message(value)) from None
    if not 0 <= rate < 1:
        raise ConfigError(_dropout_message(value))
    return rate


@dataclass
class RunConfig:
    """Everything needed to reproduce a run: model, data (with its hash), columns and settings."""

    data: DataSettings
    train: TrainSettings = field(default_factory=TrainSettings)
    model: str = "default"
    labels: list[str] = field(default_factory=list)
    data_hash: str | None = None
    resolved: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        if not self.model or not str(self.model).strip():
            raise ConfigError("No model chosen: use 'default', a Hugging Face id, a local folder or a run folder.")
        self.data.validate()
        self.train.validate()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunConfig:
        try:
            data = DataSettings(**raw["data"])
            train_raw = dict(raw.get("train", {}))
            # runs written before these settings existed trained with the model's dropout and all weights
            train_raw.setdefault("dropout", "model")
            train_raw.setdefault("freeze_embeddings", False)
            train_raw.setdefault("max_grad_norm", 1.0)
            train = TrainSettings(**train_raw)
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"config.json is not a TuneScope run configuration ({exc}).") from exc
        return cls(
            data=data,
            train=train,
            model=raw.get("model", "default"),
            labels=list(raw.get("labels", [])),
            data_hash=raw.get("data_hash"),
            resolved=dict(raw.get("resolved", {})),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RunConfig:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{path} does not exist: is this a TuneScope run folder?") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
        return cls.from_dict(raw)
