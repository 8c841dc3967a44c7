"""Every setting of a run, declared once: name, type, default, allowed values, help text, flag, label.

``DataSettings`` and ``TrainSettings`` are dataclasses whose fields carry a ``core.settings.Spec`` (the
way ``HfArgumentParser`` reads dataclass fields). Everything else is derived from these declarations:
validation here, the CLI flags and the *Equivalent command* (``core.cli.settings``), the Train tab's
form (``ui.tabs.train.form``), ``config.json`` (``RunConfig.to_dict``) and the model card's settings table
(``core.runs.card``). Adding a setting means adding one field here. The specs other commands share
with a run (the column choice, ``MULTI_LABEL``, ``MAX_LENGTH``, ``PRECISION``) are declared here once
and reused with ``setting(default, SPEC, ...)``. ``RunConfig.model`` is a ``core.modelref.ModelRef``, written to
``config.json`` as the text runs always held. This module does not read data or load models.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.modelref import ModelRef
from core.settings import Spec, check_fields, setting

MULTI_LABEL_MODES = ("auto", "yes", "no")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
DEFAULT_MAX_LENGTH = 128

TEXT_COLUMN = Spec(optional=True, group="data", label="Text column", help="column with the text (guessed when omitted)")
LABEL_COLUMN = Spec(optional=True, group="data", label="Label column",
                    help="column with the label (guessed when omitted); several 0/1 label columns separated by "
                         "commas for multi-label data")
TEXT_PAIR_COLUMN = Spec(optional=True, group="data", label="Second text column",
                        help="second text column for sentence-pair tasks")
MULTI_LABEL = Spec(choices=MULTI_LABEL_MODES, group="data", label="Multi-label",
                   help="several labels per row ('auto': detected from the label column(s))")
MAX_LENGTH = Spec(minimum=8, maximum=8192, group="basic", label="Max length (tokens)", widget="slider",
                  ui_range=(16, 512, 8), help="longer texts are truncated")
PRECISION = Spec(choices=PRECISIONS, label="Precision", help="mixed precision ('auto': bf16 where the hardware supports it)")


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


def parse_epochs(value: object) -> float | str:
    """'auto' or a number of epochs in (0, 100] from a form field or a command-line flag."""
    text = str(value).strip().lower() if value is not None else "auto"
    if text in ("", "auto"):
        return "auto"
    try:
        epochs = float(text)
    except ValueError:
        raise ConfigError(_epochs_message(value)) from None
    if not 0 < epochs <= 100:
        raise ConfigError(_epochs_message(value))
    return epochs


def _epochs_message(value: object) -> str:
    return f"epochs must be 'auto' or a number of passes above 0 and at most 100, e.g. 3 (got {value!r})."


def _dropout_message(value: object) -> str:
    return f"dropout must be 'auto', 'model' or a rate in [0, 1), e.g. 0.1 (got {value!r})."


@dataclass
class DataSettings:
    """Where the labelled data is and which columns hold text and label."""

    train_file: str = setting("", help="labelled training file", label="Training file", group="data")
    text_column: str | None = setting(None, TEXT_COLUMN)
    label_column: str | None = setting(None, LABEL_COLUMN)
    text_pair_column: str | None = setting(None, TEXT_PAIR_COLUMN)
    val_file: str | None = setting(None, optional=True, flag="--val-data", group="data", label="Validation file",
                                   help="validation file (default: split off --val-fraction)")
    multi_label: str = setting("auto", MULTI_LABEL)
    val_fraction: float = setting(0.1, minimum=0, maximum=0.9, above=True, below=True, group="basic",
                                  label="Validation share", widget="slider", ui_range=(0.05, 0.5, 0.05),
                                  help="share of the training file held out for validation (without --val-data)")

    def validate(self) -> None:
        if not self.train_file:
            raise ConfigError("No training file given: choose a labelled CSV, TSV, JSONL, Parquet or Excel file.")
        check_fields(self, skip={"val_fraction"} if self.val_file else set())


@dataclass
class TrainSettings:
    """Hyper-parameters and runtime options for one fine-tuning run."""

    epochs: float | str = setting("auto", parse=parse_epochs, widget="dropdown-custom",
                                  choices=("auto", 1.0, 2.0, 3.0, 5.0), group="basic", label="Epochs",
                                  help="'auto': train until the validation metric stops improving (the best checkpoint "
                                       "is kept), up to a ceiling from the rows and classes; or a number of passes over "
                                       "the training data (fractions allowed)")
    batch_size: int = setting(32, minimum=1, maximum=4096, group="basic", label="Batch size",
                              help="examples per step and device")
    learning_rate: float = setting(1e-4, minimum=0, maximum=1, above=True, below=True, group="basic",
                                   label="Learning rate", example="5e-5", help="peak learning rate of AdamW")
    max_length: int = setting(DEFAULT_MAX_LENGTH, MAX_LENGTH)
    seed: int = setting(42, minimum=0, maximum=2**32 - 1, group="basic", label="Seed",
                        help="seed for the head's initial weights, shuffling and the validation split")
    warmup_ratio: float = setting(0.06, minimum=0, maximum=1, below=True, label="Warm-up share", widget="slider",
                                  ui_range=(0.0, 0.5, 0.01), help="share of the steps spent warming the learning rate up")
    lr_scheduler: str = setting("linear", choices=("linear", "cosine", "constant"), flag="--scheduler",
                                label="Decay", help="learning-rate decay after warm-up")
    weight_decay: float = setting(0.01, minimum=0, maximum=1, label="Weight decay", help="AdamW weight decay")
    gradient_accumulation_steps: int = setting(1, minimum=1, maximum=1024, flag="--gradient-accumulation",
                                               label="Gradient accumulation",
                                               help="batches summed before each optimizer step")
    time_budget: int | None = setting(None, optional=True, minimum=1, metavar="MINUTES",
                                      label="Time budget (minutes, 0 = none)",
                                      help="stop training after this many minutes (evaluating and saving first: the "
                                           "best checkpoint so far is kept)")
    max_steps: int | None = setting(None, optional=True, minimum=1, label="Max steps (0 = epochs)",
                                    help="stop after this many optimizer steps (overrides epochs)")
    eval_steps: int | None = setting(None, optional=True, minimum=1, label="Evaluate every N steps (0 = auto)",
                                     help="steps between evaluations (default: from the data size with auto epochs, "
                                          "else 4 evaluations per run)")
    logging_steps: int | None = setting(None, optional=True, minimum=1, label="Log every N steps (0 = auto)",
                                        help="steps between loss points on the curve (default: about 60 points)")
    save_steps: int | None = setting(None, optional=True, minimum=1, label="Checkpoint every N steps (0 = at evals)",
                                     help="steps between checkpoints (default: at every evaluation)")
    early_stopping_patience: int | None = setting(None, optional=True, minimum=1, flag="--early-stopping",
                                                  metavar="PATIENCE", label="Early-stopping patience (0 = off)",
                                                  help="stop after this many evaluations without improvement")
    metric_for_best_model: str = setting("f1_macro", choices=("f1_macro", "accuracy", "eval_loss"), flag="--metric",
                                         label="Best-model metric", help="metric that picks the checkpoint kept as model/")
    class_weights: str = setting("auto", choices=("auto", "on", "off"), widget="radio", label="Class weights",
                                 help="weight the loss by inverse class frequency ('auto': when classes are 3x apart)")
    device: str = setting("auto", choices=("auto", "cpu", "cuda", "mps"), label="Device",
                          help="where to train ('auto': a GPU when there is one)")
    gpus: int = setting(1, minimum=1, maximum=64, label="Devices at once (data parallel)",
                        help="train on this many devices of the run's kind at once, one process each through torchrun "
                             "(several GPUs; on the CPU, several of the app's CPU slots); 1: one device")
    precision: str = setting("auto", PRECISION)
    lora: bool = setting(False, label="LoRA adapters (for large models)",
                         help="train LoRA adapters (merged into model/ at the end)")
    lora_rank: int = setting(8, minimum=1, maximum=256, label="LoRA rank", help="rank of the LoRA adapters")
    dropout: float | str = setting("auto", parse=parse_dropout, widget="dropdown-custom",
                                   choices=("auto", "model", 0.0, 0.1), label="Dropout",
                                   help="'auto' (off for runs of up to 2 epochs), 'model' (the model's own rates) "
                                        "or a rate like 0.1")
    freeze_embeddings: bool = setting(True, negated_flag="--train-embeddings",
                                      label="Also train the token embeddings",
                                      help="also train the token-embedding matrix (frozen by default: faster, and "
                                           "rare words keep their pre-trained meaning)")
    max_grad_norm: float = setting(5.0, minimum=0, above=True, label="Clip gradient norm at",
                                   example="5", help="clip the gradient norm to this (Hugging Face uses 1)")
    calibrate: bool = setting(True, negated_flag="--no-calibration", label="Keep the raw probabilities (no calibration)",
                              help="temperature scaling at the end: a temperature fitted on the validation rows (50 or "
                                   "more) is folded into the model so its probabilities read as chances (off keeps the "
                                   "raw probabilities)")
    recipe: str = setting("finetune", choices=("finetune", "setfit"), widget="radio", group="basic", label="Recipe",
                          help="'finetune': train the whole model with a classification head; 'setfit': few-shot "
                               "contrastive training of a sentence-embedding body, then a logistic-regression head "
                               "(for a few labelled rows per class; learning rate 2e-5 unless changed)")
    fewshot_pairs: int = setting(10, minimum=1, maximum=1000, label="SetFit pairs per example",
                                 help="setfit recipe: SetFit's num_iterations, each training row is paired with this "
                                      "many same-label and this many other-label rows")
    allow_unreadable: bool = setting(False, label="Train even if the model cannot read the text",
                                     help="confirm training on text the model's tokenizer mostly cannot read (the data "
                                          "check's 'cannot read' sentence: unknown tokens above the threshold); "
                                          "without it such a run is refused")
    tracking: str = setting("none", choices=("none", "tensorboard", "mlflow", "trackio"), label="Export metrics to",
                            help="also log the run's metrics to TensorBoard, MLflow or Trackio (run folder unchanged)")
    pretrain: str = setting("off", choices=("off", "training text", "file"), group="pretrain",
                            label="Pre-train first on",
                            help="continue masked-LM (encoders) or causal-LM (decoders) training on unlabelled text "
                                 "before fine-tuning: the training data's texts, or a text file")
    pretrain_file: str | None = setting(None, optional=True, group="data", label="Pre-training text file",
                                        help="unlabelled .txt (a text per line or paragraph), .csv or .jsonl for "
                                             "--pretrain file")
    pretrain_epochs: float = setting(1.0, minimum=0, maximum=100, above=True, group="pretrain",
                                     label="Pre-training epochs", help="passes over the unlabelled text")
    pretrain_learning_rate: float = setting(5e-5, minimum=0, maximum=1, above=True, below=True, group="pretrain",
                                            label="Pre-training learning rate", example="5e-5",
                                            help="peak learning rate of the pre-training stage")
    mlm_probability: float = setting(0.15, minimum=0, maximum=1, above=True, below=True, group="pretrain",
                                     label="Masked share", widget="slider", ui_range=(0.05, 0.5, 0.05),
                                     help="share of tokens masked in masked-LM pre-training (encoders)")

    def validate(self) -> None:
        check_fields(self)
        if self.gpus > 1 and self.device == "mps":
            raise ConfigError("Apple MPS is one device: set --gpus 1 (devices at once: 1), or choose cuda or cpu.")
        if self.pretrain == "file" and not self.pretrain_file:
            raise ConfigError("pretrain is 'file' but no pre-training file was given: choose a .txt, .csv or "
                              ".jsonl file of unlabelled text (--pretrain-file).")

    def resolved_dropout(self, epochs: float | None = None) -> float | None:
        """The dropout rate to train with; None keeps the model's own rates.

        'auto' turns dropout off for runs of up to 2 epochs: a short fine-tune sees each example once
        or twice, so dropout's regularisation buys little, while on a CPU its random masks cost about a
        sixth of every step. Longer runs keep the model's own rates. ``epochs`` is the ceiling an auto
        length resolved to (``core.training.length``); an auto length not resolved yet counts as long.
        """
        if self.dropout == "model":
            return None
        if self.dropout == "auto":
            length = epochs if epochs is not None else self.epochs
            return 0.0 if isinstance(length, int | float) and length <= 2 else None
        return float(self.dropout)


@dataclass
class RunConfig:
    """Everything needed to reproduce a run: model, data (with its hash), columns and settings.

    ``model`` may be given as the admin's text (a flag, an older ``config.json``): it is read as a ``ModelRef``.
    """

    data: DataSettings
    train: TrainSettings = field(default_factory=TrainSettings)
    model: ModelRef = field(default_factory=ModelRef)
    labels: list[str] = field(default_factory=list)
    data_hash: str | None = None
    resolved: dict[str, Any] = field(default_factory=dict)
    # a distilled student (core.compress): {"teacher": the teacher run's folder, "layers": the student's layers}
    distil: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, ModelRef):
            self.model = ModelRef.from_admin(self.model)

    def apply_model_defaults(self) -> None:
        """Settings that follow from the model: LoRA adapters for the embedded decoder (``lora_by_default``)."""
        if self.model.lora_by_default:
            self.train.lora = True

    def validate(self) -> None:
        self.data.validate()
        self.train.validate()

    def to_dict(self) -> dict[str, Any]:
        raw = dataclasses.asdict(self)
        raw["model"] = str(self.model)  # the admin's text, as every config.json holds it
        return raw

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunConfig:
        try:
            data = DataSettings(**raw["data"])
            train_raw = dict(raw.get("train", {}))
            # runs written before these settings existed trained with the model's dropout and all weights
            train_raw.setdefault("dropout", "model")
            train_raw.setdefault("freeze_embeddings", False)
            train_raw.setdefault("max_grad_norm", 1.0)
            train_raw.setdefault("calibrate", False)  # and kept the model's raw probabilities
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
            distil=dict(raw["distil"]) if isinstance(raw.get("distil"), dict) else None,
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
