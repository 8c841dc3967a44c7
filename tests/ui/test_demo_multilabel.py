"""Presenter mode on a multi-label run: its curated examples are true positives of each label and mistakes."""

from __future__ import annotations

from pathlib import Path

from tests.core.inference.multilabel_model import make_multilabel_run
from ui.api.presenter import curated_examples


def test_presenter_mode_curates_examples_of_a_multilabel_run(tmp_path: Path, tiny_models) -> None:
    run = make_multilabel_run(tmp_path, tiny_models("bert"))
    examples = curated_examples(run)
    assert examples and all(isinstance(text, str) and why for text, why in examples)
