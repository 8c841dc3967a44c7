"""Multi-label prediction: sigmoid probabilities against each label's threshold, the chosen labels (none is an
answer), one p_<label> column per label plus predicted_labels in files, the bf16 copy agreeing with fp32."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data import Columns
from core.errors import DataError
from core.inference import load_for_inference, predict_file, predict_texts
from core.inference.predict import class_probabilities
from tests.core.inference.multilabel_model import (
    LABELS,
    ROWS,
    THRESHOLDS,
    make_multilabel_model,
    write_emotions,
)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_multilabel_model(tmp_path_factory.mktemp("multi"))


def exact_sigmoid(folder: Path, texts: list[str]) -> np.ndarray:
    """Each label's sigmoid straight from a freshly loaded transformers model, one text at a time."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    with torch.no_grad():
        return np.stack([torch.sigmoid(model(**tokenizer(t, return_tensors="pt")).logits[0]).numpy() for t in texts])


def test_scores_are_sigmoids_and_labels_are_those_at_their_thresholds(model: Path) -> None:
    loaded = load_for_inference(str(model))
    assert loaded.multi_label and loaded.labels == LABELS and loaded.thresholds == [0.45, 0.5, 0.55]
    texts = [text for text, _ in ROWS]
    results = predict_texts(loaded, texts, precision="fp32")
    expected = exact_sigmoid(model, texts)
    scores = np.array([[r["scores"][label] for label in LABELS] for r in results])
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    assert not np.allclose(scores.sum(axis=1), 1, atol=1e-3)  # not a softmax
    for result in results:
        chosen = [label for label in LABELS if result["scores"][label] >= THRESHOLDS[label]]
        assert result["labels"] == chosen and result["label"] == ";".join(chosen)
        assert result["thresholds"] == THRESHOLDS


def test_no_label_is_a_valid_answer(tmp_path: Path) -> None:
    folder = make_multilabel_model(tmp_path / "strict", thresholds=dict.fromkeys(LABELS, 1.0))
    result = predict_texts(load_for_inference(str(folder)), ["anything at all"])[0]
    assert result["labels"] == [] and result["label"] == "" and len(result["scores"]) == 3


def test_a_label_missing_from_the_thresholds_is_decided_at_one_half(tmp_path: Path) -> None:
    folder = make_multilabel_model(tmp_path / "partial", thresholds={"joy": 0.2})
    assert load_for_inference(str(folder)).thresholds == [0.5, 0.5, 0.2]


def test_bf16_copy_agrees_with_fp32(model: Path) -> None:
    loaded = load_for_inference(str(model))
    texts = [text for text, _ in ROWS] * 3
    fast = class_probabilities(loaded, texts, precision="bf16")
    exact = class_probabilities(loaded, texts, precision="fp32")
    assert fast.shape == exact.shape == (len(texts), 3)
    np.testing.assert_allclose(fast, exact, atol=2e-2)


def test_predict_file_writes_one_column_per_label_and_the_chosen_labels(model: Path, tmp_path: Path) -> None:
    data = write_emotions(tmp_path / "emotions.csv")
    out = tmp_path / "out.csv"
    summary = predict_file(load_for_inference(str(model)), data, out, precision="fp32")
    frame = pd.read_csv(out, keep_default_na=False)
    assert list(frame.columns) == ["predicted_labels", "p_anger", "p_fear", "p_joy", "text", "emotions"]
    probabilities = frame[["p_anger", "p_fear", "p_joy"]].to_numpy()
    np.testing.assert_allclose(probabilities, exact_sigmoid(model, frame["text"].tolist()), atol=1e-5)
    chosen = [";".join(label for label, p in zip(LABELS, row, strict=True) if p >= THRESHOLDS[label])
              for row in summary["probabilities"]]
    assert frame["predicted_labels"].tolist() == chosen
    assert summary["label_column"] == "emotions"
    assert summary["true_labels"] == [tuple(labels.split(";")) if labels else () for _, labels in ROWS]
    assert sum(summary["predicted"].values()) >= len(ROWS) and set(summary["predicted"]) == {*LABELS, "(none)"}


def test_predict_file_refuses_labels_the_model_does_not_know(model: Path, tmp_path: Path) -> None:
    data = tmp_path / "odd.csv"
    data.write_text("text,emotions\nhello,joy|surprise\nbye,fear\n", encoding="utf-8")
    with pytest.raises(DataError, match="labels the model does not know: surprise"):
        predict_file(load_for_inference(str(model)), data, tmp_path / "out.csv", Columns(label="emotions"))
    summary = predict_file(load_for_inference(str(model)), data, tmp_path / "out.csv")  # guessed: not scored
    assert "true_labels" not in summary
