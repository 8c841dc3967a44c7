"""Gather a run's facts and write its one-file HTML report (``python -m core report RUN``).

Reads the run folder (config, status, events, data report, model card) through the readers that skip
what a crashed or tampered process left (``core.runs``: damaged event lines are skipped with a note on
the page, an unreadable status or data report reads as unknown), scores the saved model on the
run's validation rows (``core.inference.evaluate.evaluate_run``, imported only when no evaluation is
passed in) and explains a few rows with integrated gradients. Old runs without an evaluation cache
render the same way: the evaluation is recomputed. The page itself is ``core.report.page`` and
``core.report.sections``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

from core import runs
from core.errors import RunError, TuneScopeError
from core.files import atomic_write
from core.inference import load_for_inference
from core.report import examples as picks
from core.report import sections
from core.report.page import page
from core.runs.progress import run_progress
from core.training.datasets import load_frames

CARD_BYTES = 2 * 1024 * 1024  # a model card is a few KB; more is not shown
HEADINGS = ("Run", "Headline metrics", "Training curves", "Per-class scores", "Confusion matrix", "Calibration",
            "Example explanations", "Data health", "Model card")


def run_evaluation(run_dir: Path) -> Any:
    """``evaluate_run(run_dir)``, or a clear error when this installation has no ``core.inference.evaluate``."""
    found = importlib.util.find_spec("core.inference.evaluate") is not None
    module = importlib.import_module("core.inference.evaluate") if found else None
    if module is None or not hasattr(module, "evaluate_run"):
        raise RunError("This TuneScope has no run evaluation (core.inference.evaluate.evaluate_run): update "
                       "TuneScope, or pass the evaluation report to build_report.")
    return module.evaluate_run(run_dir)


def build_report(run_dir: str | Path, evaluation: Any = None, output: str | Path | None = None) -> Path:
    """Write the run's report and return its path (default ``RUN/report.html``).

    ``evaluation`` is an ``Evaluation`` (``core.inference.evaluate``), a report dict of the same shape as
    ``Evaluation.report()`` (optionally with ``misclassified`` rows), or None to evaluate the run now.
    """

    run_dir = runs.require_run(run_dir)
    paths = runs.RunPaths(run_dir)
    if not (paths.model / "config.json").exists():
        raise RunError(f"Run {run_dir.name} has no saved model yet: wait for it to finish, stop it (Stop saves a "
                       "model) or resume it, then make the report.")
    config = runs.load_config(run_dir)
    if evaluation is None:
        evaluation = run_evaluation(run_dir)
    report = evaluation if isinstance(evaluation, dict) else evaluation.report()
    loaded = load_for_inference(str(run_dir))
    chosen, note = _examples(loaded, config, evaluation, report)
    explained = picks.explain(loaded, chosen, max_length=config.train.max_length)
    events, damaged = runs.read_events_noted(run_dir)
    bodies = [
        sections.run_section(run_dir.name, runs.read_json(paths.config, {}), _status(run_dir)),
        sections.metrics_section(report),
        sections.curves_section(events, damaged),
        sections.per_class_section(report),
        sections.confusion_section(report),
        sections.calibration_section(report, (runs.read_json(paths.metrics, {}) or {}).get("calibration")),
        sections.examples_section(explained, note),
        sections.data_section(runs.read_json(paths.data_report)),
        sections.card_section(_card(paths.readme)),
    ]
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    subtitle = (f"{config.model} fine-tuned on {Path(config.data.train_file).name}, {len(config.labels)} labels; "
                f"report made {stamp}")
    text = page(run_dir.name, subtitle, list(zip(HEADINGS, bodies, strict=True)))
    return _write(Path(output) if output else run_dir / "report.html", text)


def _status(run_dir: Path) -> dict[str, Any]:
    """The run's state and its numbers (``core.runs.progress``), or a state saying why it is unknown (a damaged
    status.json does not stop the report)."""
    try:
        status = runs.read_status(run_dir)
        return {**status, "progress": run_progress(run_dir, status)}
    except (RunError, TypeError, ValueError):
        return {"state": "unknown (status.json is damaged)"}


def _card(readme: Path) -> str | None:
    """The model card's text (bytes that are not UTF-8 shown as '\ufffd'), at most CARD_BYTES of it."""
    try:
        with open(readme, "rb") as handle:
            return handle.read(CARD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


def _examples(loaded: Any, config: Any, evaluation: Any, report: dict[str, Any]) -> tuple[list[dict], str | None]:
    """The rows to explain, and a note when the validation rows could not be read."""
    labels = [str(label) for label in report.get("labels") or config.labels]
    if hasattr(evaluation, "examples") and hasattr(evaluation, "misclassified"):
        return picks.from_evaluation(evaluation, labels), None
    rows, note = list(report.get("misclassified") or []), None
    try:
        rows += picks.predicted_sample(loaded, load_frames(config)[1])
    except (TuneScopeError, OSError) as exc:
        reason = (exc.strerror or type(exc).__name__) if isinstance(exc, OSError) else str(exc)  # never a path
        note = f"Only the listed mistakes are explained: the validation rows could not be read ({reason})"
    return picks.choose_examples(rows, labels), note


def _write(path: Path, text: str) -> Path:
    """Write atomically (temp file + rename) so a browser never opens half a report."""
    if path.is_dir():
        raise RunError(f"{path} is a folder: give a file name ending in .html for --output.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
    except OSError as exc:
        raise RunError(f"Cannot write the report to {path}: {exc.strerror or exc}. Choose another --output.") from exc
    return path
