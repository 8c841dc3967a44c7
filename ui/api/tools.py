"""What each published operation's parameters mean, for the API page and for MCP clients (``app.py --mcp``).

Gradio reads a tool's description and its parameters' descriptions from the function's docstring (an ``Args:``
section). :data:`ARGS` holds one sentence per parameter of every operation ``ui.api.endpoints.ENDPOINTS`` names
(a test keeps the two complete), and :func:`described` gives a published operation its docstring with that
section, so an assistant knows what an id is, where it comes from and which values a parameter takes. Leaves out
the operations themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RUN = "a run id, as list_runs returns it"
UPLOAD = "an upload id, as upload_file returns it"
MODEL = "'default', 'run:<run id>' for a trained run's model, or a Hugging Face model id"
SESSION = "a labelling session id, as next_rows returns it"
COLUMNS = {"text_column": "the file's column of texts (default: detected)",
           "label_column": "the file's column of labels, or several 0/1 label columns separated by commas "
                           "(default: detected)",
           "text_pair_column": "the file's column of second texts, for pair tasks (default: none)"}

ARGS: dict[str, dict[str, str]] = {
    "load_model": {"model": MODEL},
    "inspect_data": {"upload": UPLOAD, **COLUMNS, "model": "a model reference whose tokenizer measures the token "
                     "lengths (" + MODEL + "), or empty for none", "max_length": "the token length to report "
                     "truncation against", "preview_rows": "how many rows of the file to include (0: none)",
                     "multi_label": "'auto' (detect), 'yes' or 'no': several labels per row"},
    "start_training": {"upload": UPLOAD + " (the labelled training file)", "base_model": MODEL,
                       "settings": "training settings by name, e.g. {\"epochs\": 1, \"max_steps\": 20, "
                       "\"batch_size\": 8} (see python -m core train -h)", **COLUMNS,
                       "val_upload": "an upload id of a separate validation file (default: split off the training "
                       "file)", "multi_label": "'auto', 'yes' or 'no'", "pretrain_upload": "an upload id of unlabelled "
                       "text for settings {\"pretrain\": \"file\"}"},
    "stop_training": {"run_id": RUN}, "resume_training": {"run_id": RUN}, "retry_smaller_batch": {"run_id": RUN},
    "training_status": {"run_id": RUN + " or start_training"},
    "list_runs": {},
    "predict": {"text": "the text to classify", "model": MODEL, "text_pair": "the second text, for pair tasks"},
    "sweep_start": {"upload": UPLOAD, "base_model": MODEL, "settings": "settings not searched, by name",
                    "space": "the search space, e.g. 'learning_rate=1e-5:3e-4:log epochs=1:4'", "trials": "how many "
                    "runs to try", "minutes": "a time budget in minutes (0: none)", **COLUMNS,
                    "val_upload": "an upload id of a separate validation file"},
    "sweep_status": {"sweep_id": "a sweep id, as sweep_start returns it"},
    "sweep_stop": {"sweep_id": "a sweep id, as sweep_start returns it"},
    "attention": {"text": "the text to look at", "model": MODEL, "view": "'Head', 'Aggregates', 'Head statistics', "
                  "'Head importance', 'Base vs fine-tuned', or 'Attributions' to explain a prediction (which tokens "
                  "drove the label)", "layer": "layer number from 0", "head": "head number from 0",
                  "text_pair": "the second text, for pair tasks", "threshold": "hide attention weights below this",
                  "show_special": "include special tokens such as [CLS]", "renormalise": "renormalise rows without "
                  "special tokens", "target": "the label to explain with 'Attributions' (default: the predicted one)"},
    "fill": {"text": "a text with [MASK] (encoders), or the start of a text (decoders)", "model": MODEL,
             "top": "how many tokens to return"},
    "diff_runs": {"run_a": RUN, "run_b": RUN},
    "describe_run": {"run_id": RUN, "name": "a new display name (empty: unchanged)", "tags": "tags to set"},
    "share_run": {"run_id": RUN, "shared": "true to share the run with every account, false to keep it private"},
    "delete_run": {"run_id": RUN + " (a run that is not training)"},
    "similar": {"run_id": RUN, "text": "the text to compare", "text_pair": "the second text, for pair tasks",
                "k": "how many training examples to return"},
    "evaluate": {"run_id": RUN, "upload": UPLOAD + " of a labelled file (default: the run's validation rows)",
                 "threshold": "a multi-label decision threshold (default: the tuned ones)",
                 "misclassified": "how many wrongly classified rows to return"},
    "report_file": {"run_id": RUN}, "export_file": {"run_id": RUN, "format": "'zip' or 'onnx'"},
    "suspects": {"run_id": RUN + " (finished or stopped)", "top": "how many suspect rows to return"},
    "retrain_fixed": {"run_id": RUN, "drop": "rows to drop (the 'row' numbers suspects returns)",
                      "relabel": "{row: new label} (multi-label: 'a;b')"},
    "upload_file": {"file": "the data file: a http(s) URL or a data: URL (base64) of a CSV, TSV, JSON, JSONL, Excel or "
                    "Parquet file"},
    "next_rows": {"run_id": RUN + " that finished", "pool_upload": UPLOAD + " of unlabelled texts (empty: the rows of "
                  "the run's training file without a label)", "batch": "how many rows to pick",
                  "method": "'margin' (default), 'entropy', or 'random'", "diversity": "spread the batch over "
                  "clusters of uncertain rows (default true)", "text_column": "the pool file's column of texts "
                  "(default: detected)"},
    "labelling_session": {"run_id": RUN, "session": SESSION},
    "label_row": {"run_id": RUN, "session": SESSION, "row": "the pool row to label (its 'row' number)",
                  "label": "one of the run's labels; for a multi-label run a list of them (or 'a;b')"},
    "skip_row": {"run_id": RUN, "session": SESSION, "row": "the pool row to skip"},
    "undo_label": {"run_id": RUN, "session": SESSION},
    "new_labels_file": {"run_id": RUN, "session": SESSION},
    "retrain_labelled": {"run_id": RUN, "session": SESSION},
}


def described(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``fn`` with a docstring ending in an ``Args:`` section from :data:`ARGS` (set on ``fn`` itself)."""
    doc = " ".join((fn.__doc__ or "").split())
    lines = [f"    {param}: {text}" for param, text in ARGS.get(name, {}).items()]
    fn.__doc__ = doc + ("\n\nArgs:\n" + "\n".join(lines) if lines else "")
    return fn
