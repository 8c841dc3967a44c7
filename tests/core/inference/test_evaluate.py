"""Evaluation logic on fixed probabilities: exact scores, calibration bins, thresholds, cells, saving;
and row-order exact probabilities from a tiny model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, DataError
from core.inference import load_for_inference
from core.inference.calibration import reliability, threshold_curve
from core.inference.evaluate import Evaluation, evaluate_file, evaluate_predictions
from core.inference.probabilities import length_batches, predict_probabilities, resolve_precision
from tests.tiny import make_tiny_model

# p(pos) and the true label of 7 rows; hand-computed scores below
P_POS = [0.9, 0.6, 0.3, 0.2, 0.7, 0.1, 0.45]
TRUE = ["pos", "pos", "pos", "neg", "neg", "neg", "neg"]


def fixed() -> Evaluation:
    probabilities = [[1 - p, p] for p in P_POS]
    return evaluate_predictions(["neg", "pos"], TRUE, probabilities, texts=[f"t{i}" for i in range(7)],
                                pairs=[f"p{i}" for i in range(7)])


def test_report_at_the_default_threshold_matches_hand_computed_scores() -> None:
    report = fixed().report()
    # predicted pos: rows 0, 1, 4 -> TN 3, FP 1, FN 1, TP 2
    assert report["confusion_matrix"] == [[3, 1], [1, 2]]
    assert report["accuracy"] == pytest.approx(5 / 7)
    assert report["per_class"]["pos"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3})
    assert report["per_class"]["neg"] == pytest.approx({"precision": 3 / 4, "recall": 3 / 4, "f1": 3 / 4, "support": 4})
    assert report["f1_macro"] == pytest.approx(17 / 24)
    assert report["f1_weighted"] == pytest.approx((4 * 3 / 4 + 3 * 2 / 3) / 7)
    assert report["precision_macro"] == pytest.approx(17 / 24) and report["recall_macro"] == pytest.approx(17 / 24)
    assert report["labels"] == ["neg", "pos"] and report["samples"] == 7 and report["threshold"] == 0.5


def test_a_lower_threshold_moves_rows_to_the_positive_class() -> None:
    evaluation = fixed()
    report = evaluation.report(threshold=0.25)  # rows 2 (0.3) and 6 (0.45) turn positive; 3 (0.2) stays negative
    assert report["confusion_matrix"] == [[2, 2], [0, 3]] and report["threshold"] == 0.25
    assert report["per_class"]["pos"]["precision"] == pytest.approx(3 / 5)
    assert report["per_class"]["pos"]["recall"] == 1.0
    assert evaluation.report(threshold=0.0)["confusion_matrix"] == [[0, 4], [0, 3]]  # p >= 0 for every row
    assert evaluation.report(threshold=0.9)["confusion_matrix"] == [[4, 0], [2, 1]]  # 0.9 itself is positive
    assert evaluation.report(threshold=1.0)["confusion_matrix"] == [[4, 0], [3, 0]]
    assert evaluation.report()["ece"] == evaluation.report(threshold=0.25)["ece"]  # ECE is top-label, threshold-free


def test_ece_and_reliability_bins_match_hand_computed_values() -> None:
    report = fixed().report()
    # top-label confidences 0.9 0.6 0.7 0.8 0.7 0.9 0.55 (right, right, wrong, right, wrong, right, right)
    bins = {round(b["upper"], 1): b for b in report["reliability"]}
    assert [b["count"] for b in report["reliability"]] == [0, 0, 0, 0, 0, 2, 2, 1, 2, 0]
    assert bins[0.6]["mean_confidence"] == pytest.approx(0.575) and bins[0.6]["accuracy"] == 1.0  # 0.6 in (0.5, 0.6]
    assert bins[0.7]["accuracy"] == 0.0 and bins[0.8]["accuracy"] == 1.0
    assert bins[0.1] == {"lower": 0.0, "upper": 0.1, "count": 0, "mean_confidence": None, "accuracy": None}
    assert report["ece"] == pytest.approx((2 * 0.425 + 2 * 0.7 + 0.2 + 2 * 0.1) / 7)


@pytest.mark.parametrize("confidence, right, expected_ece, expected_bin", [
    (0.8, 8, 0.0, 7),      # 80% confident, 8 of 10 right: perfectly calibrated
    (1.0, 5, 0.5, 9),      # certain and half wrong: ECE 0.5, in the last bin
    (0.35, 10, 0.65, 3),   # under-confident, three classes
])
def test_constructed_calibration_cases(confidence: float, right: int, expected_ece: float, expected_bin: int) -> None:
    rest = (1 - confidence) / 2
    probabilities = np.array([[confidence, rest, rest]] * 10)
    true = np.array([0] * right + [1] * (10 - right))
    ece, bins = reliability(probabilities, true)
    assert ece == pytest.approx(expected_ece)
    assert [b["count"] for b in bins] == [10 if b == expected_bin else 0 for b in range(10)]


def test_threshold_curve_agrees_with_scikit_learn() -> None:
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    rng = np.random.default_rng(0)
    positive = rng.random(200)
    true = (rng.random(200) < positive).astype(int)
    curve = threshold_curve(np.column_stack([1 - positive, positive]), true)
    assert len(curve["thresholds"]) == 99 and curve["thresholds"][0] == 0.01 and curve["thresholds"][-1] == 0.99
    for i in (0, 24, 49, 80, 98):
        predicted = (positive >= curve["thresholds"][i]).astype(int)
        assert curve["precision"][i] == pytest.approx(precision_score(true, predicted, zero_division=0))
        assert curve["recall"][i] == pytest.approx(recall_score(true, predicted, zero_division=0))
        assert curve["f1"][i] == pytest.approx(f1_score(true, predicted, zero_division=0))
        assert curve["f1_macro"][i] == pytest.approx(f1_score(true, predicted, average="macro", zero_division=0))
        assert curve["accuracy"][i] == pytest.approx(accuracy_score(true, predicted))
    evaluation = fixed()
    at = evaluation.threshold_curve()
    assert at["positive"] == "pos"
    assert at["accuracy"][24] == pytest.approx(evaluation.report(0.25)["accuracy"])


def test_cells_and_mistakes_are_sorted_by_confidence() -> None:
    evaluation = fixed()
    mistakes = evaluation.misclassified()
    # both mistakes are 70% confident (1 - 0.3 and 0.7): ties keep row order
    assert [(m["index"], m["true"], m["predicted"]) for m in mistakes] == [(2, "pos", "neg"), (4, "neg", "pos")]
    assert mistakes[0] == {"index": 2, "text": "t2", "pair": "p2", "true": "pos", "predicted": "neg", "confidence": 0.7}
    at_quarter = evaluation.misclassified(threshold=0.25)  # rows 4 and 6 predicted pos: p(pos) 0.7 and 0.45
    assert [(m["index"], m["confidence"]) for m in at_quarter] == [(4, 0.7), (6, 0.45)]
    assert [r["index"] for r in evaluation.examples("neg", "neg")] == [5, 3, 6]  # 0.9, 0.8, 0.55
    assert [r["index"] for r in evaluation.examples("pos", "pos", limit=1)] == [0]
    assert [r["index"] for r in evaluation.examples("pos", "neg", threshold=0.25)] == []
    assert [m["index"] for m in evaluation.misclassified(limit=1)] == [2]
    with pytest.raises(DataError, match="not one of the model's labels: neg, pos"):
        evaluation.examples("neutral", "pos")


def test_threshold_is_refused_when_it_cannot_apply() -> None:
    with pytest.raises(ConfigError, match="between 0 and 1"):
        fixed().report(threshold=1.5)
    three = evaluate_predictions(["a", "b", "c"], ["a", "b"], [[0.5, 0.3, 0.2], [0.1, 0.8, 0.1]])
    assert "threshold" not in three.report() and three.report()["accuracy"] == 1.0
    with pytest.raises(ConfigError, match="needs two classes; this model has 3"):
        three.report(threshold=0.5)
    with pytest.raises(ConfigError, match="needs two classes"):
        three.threshold_curve()


def test_saved_evaluation_reloads_with_the_same_report(tmp_path: Path) -> None:
    evaluation = fixed()
    evaluation.info = {"model": "m", "warnings": []}
    again = Evaluation.from_dict(evaluation.to_dict())
    assert again.report(0.3) == evaluation.report(0.3) and again.texts == evaluation.texts
    assert again.pairs == evaluation.pairs and again.info == evaluation.info
    loaded = Evaluation.load(evaluation.save(tmp_path / "sub" / "evaluation.json"))
    assert loaded.misclassified() == evaluation.misclassified()
    (tmp_path / "other.json").write_text('{"accuracy": 1}')
    with pytest.raises(DataError, match="not a saved TuneScope evaluation"):
        Evaluation.load(tmp_path / "other.json")
    with pytest.raises(DataError, match="Cannot read"):
        Evaluation.load(tmp_path / "missing.json")


@pytest.mark.parametrize("labels, names, probabilities, match", [
    (["neg", "pos"], ["neg", "maybe"], [[0.5, 0.5], [0.5, 0.5]], "does not know: maybe"),
    (["neg", "pos"], ["neg"], [[0.2, 0.3, 0.5]], "one row of 2 probabilities"),
    (["neg", "pos"], ["neg", "pos"], [[0.5, 0.5]], "one row of 2 probabilities"),
    (["neg", "pos"], ["neg"], [[0.9, 0.9]], "add up to 1"),
    (["neg", "pos"], ["neg"], [[float("nan"), 1.0]], "between 0 and 1"),
    (["neg", "pos"], [], np.zeros((0, 2)), "no labelled rows"),
    (["neg"], ["neg"], [[1.0]], "at least two labels"),
])
def test_bad_predictions_are_refused(labels: list[str], names: list[str], probabilities: object, match: str) -> None:
    with pytest.raises(DataError, match=match):
        evaluate_predictions(labels, names, probabilities)


def test_texts_must_match_the_rows() -> None:
    with pytest.raises(DataError, match="one of the texts for each of the 2 examples"):
        evaluate_predictions(["a", "b"], ["a", "b"], [[1, 0], [0, 1]], texts=["only one"])


def test_length_batches_go_longest_first_and_bound_tokens() -> None:
    lengths = [5, 50, 3, 400, 7, 50]
    batches = length_batches(lengths, batch_size=2, max_tokens=500)
    assert batches == [[3], [1, 5], [4, 0], [2]]
    assert sorted(i for batch in batches for i in batch) == list(range(6))
    assert length_batches(lengths, batch_size=4, max_tokens=None) == [[3, 1, 5, 4], [0, 2]]  # the Trainer's batches


def test_precision_falls_back_to_what_the_device_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from core import devices

    cpu = torch.device("cpu")
    monkeypatch.setattr(devices, "cpu_supports_bf16", lambda: False)
    assert [resolve_precision(p, cpu) for p in ("auto", "bf16", "fp16", "fp32", None)] == ["fp32"] * 5
    monkeypatch.setattr(devices, "cpu_supports_bf16", lambda: True)
    assert [resolve_precision(p, cpu) for p in ("auto", "bf16", "fp16", "fp32")] == ["bf16", "bf16", "fp32", "fp32"]
    with pytest.raises(ConfigError, match="precision must be one of auto, bf16, fp16, fp32"):
        resolve_precision("int8", cpu)


def test_an_exact_tie_goes_to_the_first_class_unless_a_threshold_is_given() -> None:
    tie = evaluate_predictions(["neg", "pos"], ["neg", "pos"], [[0.5, 0.5], [0.2, 0.8]])
    assert tie.report()["confusion_matrix"] == [[1, 0], [0, 1]] and tie.report()["threshold"] == 0.5
    assert tie.report(0.5)["confusion_matrix"] == [[0, 1], [0, 1]]  # p(pos) >= 0.5


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("clf"), "bert", labels=["negative", "positive"])


def one_by_one(loaded: object, texts: list[str], pairs: list[str] | None = None) -> np.ndarray:
    """fp32 probabilities computed one text at a time, without padding: the reference."""
    import torch

    rows = []
    with torch.inference_mode():
        for i, text in enumerate(texts):
            encoded = loaded.tokenizer(text, pairs[i] if pairs else None, truncation=True, max_length=512,
                                       return_tensors="pt")
            rows.append(torch.softmax(loaded.model(**encoded).logits, dim=-1)[0].numpy())
    return np.array(rows)


def test_probabilities_keep_row_order_whatever_the_batching(classifier: Path) -> None:
    loaded = load_for_inference(str(classifier))
    texts = ["a fine film " * n for n in (9, 1, 5, 12, 2, 7, 3)] + ["x"]
    expected = one_by_one(loaded, texts)
    done: list[tuple[int, int]] = []
    for batch_size in (1, 3, 64):
        got = predict_probabilities(loaded, texts, batch_size=batch_size, precision="fp32",
                                    progress=lambda d, t: done.append((d, t)))
        np.testing.assert_allclose(got, expected, atol=1e-5)
    assert done[-1] == (8, 8) and done[0] == (1, 8)
    pairs = [f"second {i}" for i in range(len(texts))]
    with_pairs = predict_probabilities(loaded, texts, pairs, batch_size=2, precision="fp32")
    np.testing.assert_allclose(with_pairs, one_by_one(loaded, texts, pairs), atol=1e-5)
    assert predict_probabilities(loaded, []).shape == (0, 2)


def test_evaluate_file_scores_every_row_in_order(classifier: Path, sentiment_csv: Path) -> None:
    import pandas as pd

    evaluation = evaluate_file(str(classifier), sentiment_csv, precision="fp32")
    source = pd.read_csv(sentiment_csv)
    assert evaluation.texts == source["review"].tolist()
    assert [evaluation.labels[i] for i in evaluation.true] == source["sentiment"].tolist()
    expected = one_by_one(load_for_inference(str(classifier)), source["review"].tolist())
    np.testing.assert_allclose(evaluation.probabilities, expected, atol=1e-5)
    assert evaluation.info["data"] == "reviews.csv" and evaluation.info["max_length"] == 512
    assert evaluation.info["precision"] == "fp32"
    assert sum(map(sum, evaluation.report()["confusion_matrix"])) == 40
