"""The report's sections as HTML fragments, each from plain data (dicts and lists, no files or models).

Every value that comes from the user's data (texts, labels, column and file names, the model card)
is escaped with ``core.report.page.esc`` or rendered by markdown-it with raw HTML, links and images
off, and never becomes a link (``core.text``); labels drawn in figures go through ``core.text.plot_text``.
Values read from a run's files may be damaged or of the wrong type: a section shows what it can and '?'
for the rest, never fails. Figures come from ``core.plots``; a figure module that is not there leaves its
table alone.
A multi-label report (``multi_label`` in it) shows micro/macro F1, subset accuracy and Hamming loss,
per-label scores with each label's threshold, and each label's TP/FP/FN/TN in place of a confusion matrix.
Gathering the data (run folder, evaluation, attributions) is ``core.report.build``'s job.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from core.report.page import esc, figure_html, table
from core.runs.progress import clock
from core.text import plot_text, unlinked


def _f(value: Any, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) and not isinstance(value, bool) else "–"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _count(value: Any) -> int | float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def notes_html(notes: list[str | None]) -> str:
    """What could not be read, as warning notes (e.g. 'events.jsonl: 2 damaged lines skipped')."""
    return "".join(f'<p class="note warn">{esc(note)}</p>' for note in notes if note)


def run_section(name: str, config: dict[str, Any], status: dict[str, Any]) -> str:
    """Name, base model, data files and columns, labels, state and the main settings."""
    config, status = _dict(config), _dict(status)
    data, train, resolved = _dict(config.get("data")), _dict(config.get("train")), _dict(config.get("resolved"))
    rows = [["run", name], ["state", status.get("state", "?")], ["base model", config.get("model", "?")],
            ["training data", Path(str(data.get("train_file") or "?")).name],
            ["validation", Path(str(data["val_file"])).name if data.get("val_file")
             else f"{_f(data.get('val_fraction'), 2)} of the training data (seeded split)"],
            ["text column", data.get("text_column")], ["label column", data.get("label_column")]]
    if data.get("text_pair_column"):
        rows.append(["second text column", data["text_pair_column"]])
    rows += [["labels", ", ".join(map(str, _list(config.get("labels"))))],
             ["rows (train / validation)", f"{resolved.get('train_rows', '?')} / {resolved.get('val_rows', '?')}"],
             ["steps", resolved.get("total_steps", train.get("max_steps") or "?")],
             *_progress_rows(_dict(status.get("progress"))),
             ["learning rate / batch size", f"{train.get('learning_rate')} / {train.get('batch_size')}"],
             ["max length", train.get("max_length")], ["device / precision",
                                                         f"{resolved.get('device', '?')} / {resolved.get('precision', '?')}"]]
    return table(None, rows, numeric_from=2)


def _progress_rows(progress: dict[str, Any]) -> list[list[Any]]:
    """Steps trained and training time, as ``core.runs.progress`` gives them (the app and the CLI show the same)."""
    if not progress:
        return []
    step, total, seconds = progress.get("step"), progress.get("total_steps"), progress.get("training_seconds")
    attempts = _count(progress.get("attempts"))
    return [["steps trained", f"{step if step is not None else '?'} of {total or '?'}"],
            ["training time", clock(seconds) + (f" over {attempts} attempts" if attempts > 1 else "")]]


def metrics_section(report: dict[str, Any]) -> str:
    """Headline numbers as cards."""
    if report.get("multi_label"):
        cards = [("micro F1", _f(report.get("f1_micro"))), ("macro F1", _f(report.get("f1_macro"))),
                 ("subset accuracy", _f(report.get("subset_accuracy"))), ("Hamming loss", _f(report.get("hamming_loss"))),
                 ("ECE (per label)", _f(report.get("ece"))), ("validation rows", str(report.get("samples", "–")))]
    else:
        cards = [("accuracy", _f(report.get("accuracy"))), ("macro F1", _f(report.get("f1_macro"))),
                 ("weighted F1", _f(report.get("f1_weighted"))), ("ECE", _f(report.get("ece"))),
                 ("validation rows", str(report.get("samples", "–")))]
    body = "".join(f'<div class="card"><div class="value">{esc(v)}</div><div class="name">{esc(n)}</div></div>'
                   for n, v in cards)
    return (f'<div class="cards">{body}</div><p class="note">Scores on the run\'s validation rows with the saved '
            "model. ECE: expected calibration error (0 is perfectly calibrated).</p>")


def curves_section(events: list[dict[str, Any]], note: str | None = None) -> str:
    """Loss and validation-metric curves from the run's events (``note``: the damaged lines skipped)."""
    from core.plots.training import loss_figure, metrics_figure

    if not any(e.get("event") in ("step", "eval") for e in events):
        return notes_html([note]) + '<p class="note">This run recorded no training steps.</p>'
    return notes_html([note]) + figure_html(loss_figure(events)) + figure_html(metrics_figure(events))


def per_class_section(report: dict[str, Any]) -> str:
    """Precision, recall, F1 and support per label (and the figure when available); multi-label adds thresholds."""
    if report.get("multi_label"):
        rows = [[label, _f(s.get("precision")), _f(s.get("recall")), _f(s.get("f1")), s.get("support", ""),
                 _f(s.get("threshold"), 2)] for label, s in (report.get("per_label") or {}).items()]
        note = ('<p class="note">Each label is chosen when its own probability (sigmoid) reaches its threshold, '
                "tuned on the validation rows when the run ended.</p>")
        return note + _figure("per_class_figure", report) + table(
            ["label", "precision", "recall", "F1", "support", "threshold"], rows)
    rows = [[label, _f(s.get("precision")), _f(s.get("recall")), _f(s.get("f1")), s.get("support", "")]
            for label, s in (report.get("per_class") or {}).items()]
    return _figure("per_class_figure", report) + table(["label", "precision", "recall", "F1", "support"], rows)


def confusion_section(report: dict[str, Any]) -> str:
    """The confusion matrix, rows true and columns predicted, as a figure and a table; for multi-label each
    label's true/false positives and negatives."""
    if report.get("multi_label"):
        rows = [[label, s.get("tp"), s.get("fp"), s.get("fn"), s.get("tn")]
                for label, s in (report.get("per_label") or {}).items()]
        return _figure("label_outcomes_figure", report) + table(
            ["label", "true positives", "false positives", "false negatives", "true negatives"], rows)
    labels = [str(label) for label in report.get("labels") or []]
    matrix = report.get("confusion_matrix") or []
    rows = [[f"true {label}", *row] for label, row in zip(labels, matrix, strict=False)]
    grid = table(["", *[f"predicted {label}" for label in labels]], rows)
    return _figure("confusion_figure", report) + grid


def calibration_section(report: dict[str, Any], training: dict[str, Any] | None = None) -> str:
    """The reliability diagram, its bins and the expected calibration error; with ``training`` (metrics.json's
    ``calibration``) also the end of training's temperature scaling, its ECE and bins before and after."""
    bins = [b for b in report.get("reliability") or [] if b.get("count")]
    rows = [[f"{_f(b.get('lower'), 2)}–{_f(b.get('upper'), 2)}", b.get("count"), _f(b.get("mean_confidence")),
             _f(b.get("accuracy"))] for b in bins]
    text = (f"<p>Expected calibration error (ECE): <b>{esc(_f(report.get('ece')))}</b>. A well-calibrated model's "
            "accuracy in each confidence bin equals its mean confidence (the diagonal).</p>") + scaling_text(training)
    if not rows:
        return text + '<p class="note">No reliability bins in this evaluation.</p>'
    return text + _figure("reliability_figure", report) + table(
        ["confidence bin", "rows", "mean confidence", "accuracy"], rows)


def scaling_text(record: dict[str, Any] | None) -> str:
    """The temperature scaling done at the end of training, with the validation reliability before and after."""
    if not record or "ece_before" not in record:
        return ""
    if not record.get("applied"):
        return (f"<p>Not calibrated at the end of training: {esc(str(record.get('reason', '')))} (validation ECE "
                f"{esc(_f(record['ece_before']))}).</p>")
    t = record["temperature"]
    shown = _f(t) if isinstance(t, int | float) else f"one per label, {_f(min(t))} to {_f(max(t))}"
    pairs = zip(record.get("reliability_before") or [], record.get("reliability_after") or [], strict=False)
    rows = [[f"{_f(b.get('lower'), 2)}–{_f(b.get('upper'), 2)}", f"{b.get('count')} · {_f(b.get('accuracy'))}",
             f"{a.get('count')} · {_f(a.get('accuracy'))}"] for b, a in pairs if b.get("count") or a.get("count")]
    return (f"<p>Calibrated at the end of training: temperature {esc(shown)} fitted on {record.get('rows')} validation "
            f"rows and folded into the model; validation ECE <b>{esc(_f(record['ece_before']))}</b> before, "
            f"<b>{esc(_f(record['ece_after']))}</b> after.</p>"
            + table(["confidence bin", "before: rows · accuracy", "after: rows · accuracy"], rows))


def _plotted(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its labels as figures must show them (``plot_text``): never markup or a link."""
    shown = dict(report)
    shown["labels"] = [plot_text(label) for label in _list(report.get("labels"))]
    for key in ("per_class", "per_label"):
        if isinstance(report.get(key), dict):
            shown[key] = {plot_text(label): value for label, value in report[key].items()}
    return shown


def _figure(name: str, report: dict[str, Any]) -> str:
    """``core.plots.evaluation.<name>(report)`` as HTML, or nothing when that module is not there or the
    report lacks what the figure needs (an older report: its table still shows)."""
    try:
        from core.plots import evaluation
    except ImportError:
        return ""
    function = getattr(evaluation, name, None)
    try:
        return figure_html(function(_plotted(report))) if function else ""
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return ""


def examples_section(examples: list[dict[str, Any]], note: str | None = None) -> str:
    """Highlighted texts: ``[{kind, text, true, predicted, confidence, html}]`` (``html`` from
    ``attribution_html``, which escapes the tokens itself)."""
    intro = ('<p class="note">Integrated gradients of the predicted class\'s probability for a few validation '
             "rows: green words push towards the prediction, red words against it.</p>")
    if any(example.get("target") for example in examples):
        intro = ('<p class="note">Integrated gradients of one label\'s logit for a few validation rows (a label the '
                 "row holds, or the label most confidently wrong): green words push towards that label, red words "
                 "against it.</p>")
    if note:
        intro += f'<p class="note warn">{esc(note)}</p>'
    parts = []
    for example in examples:
        kind = "mistake" if example["true"] != example["predicted"] else "correct"
        title = (f"true <b>{esc(example['true'] or '(none)')}</b>, predicted <b>{esc(example['predicted'] or '(none)')}"
                 f"</b> ({esc(_f(example.get('confidence'), 2))})")
        if example.get("target") and example["target"] != example["predicted"]:
            title += f", explaining <b>{esc(example['target'])}</b>"
        parts.append(f'<div class="example {kind}"><h3>{"Mistake" if kind == "mistake" else "Correct"}: '
                     f"{title}</h3>{example.get('html') or '<pre>' + esc(example['text']) + '</pre>'}</div>")
    return intro + ("".join(parts) or '<p class="note">No examples to explain.</p>')


def data_section(data_report: dict[str, Any] | None) -> str:
    """What the data check found when the run was created (``data_report.json``)."""
    if not isinstance(data_report, dict) or not data_report:
        return '<p class="note">This run has no data report (data_report.json).</p>'
    dropped = _dict(data_report.get("dropped"))
    rows = [["rows read", data_report.get("rows_read")], ["rows kept", data_report.get("rows_kept")],
            ["duplicates", data_report.get("duplicates", 0)],
            ["format", f"{data_report.get('format')} ({data_report.get('encoding') or '?'})"],
            ["columns", ", ".join(map(str, _list(data_report.get("columns"))))]]
    rows += [[f"dropped: {reason}", count] for reason, count in dropped.items()]
    labels = {k: _count(v) for k, v in _dict(data_report.get("labels")).items()}
    total = max(sum(labels.values()), 1)
    balance = table(["label", "rows", "share"], [[k, v, f"{v / total:.1%}"] for k, v in labels.items()])
    warnings = "".join(f"<li>{esc(w)}</li>" for w in _list(data_report.get("warnings")))
    return (table(None, rows) + "<h3>Class balance</h3>" + balance
            + (f'<h3>Warnings</h3><ul class="warn">{warnings}</ul>' if warnings else ""))


def card_section(markdown: str | None) -> str:
    """The model card (README.md) as HTML: markdown-it with raw HTML, links and images off, else escaped text."""
    if not markdown:
        return '<p class="note">This run has no model card (README.md) yet.</p>'
    markdown = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)  # the hub's YAML metadata block
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        return f"<pre>{esc(markdown)}</pre>"
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table").disable(["image", "link", "autolink"])
    return f'<div class="card-md">{renderer.render(unlinked(markdown))}</div>'
