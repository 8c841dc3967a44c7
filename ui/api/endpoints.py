"""The app's operations composed per concern, and published as the public API with ``gr.api``.

``Api(places, access, limits)`` makes one ``Context`` (``ui.api.context``) and one small object per concern over it:
``models``, ``uploads``, ``data``, ``training``, ``runs``, ``predictions``, ``attention``, ``evaluations``,
``labels``, ``sweeps`` and ``active``. The tabs call these objects (every button is an operation here first), and
:func:`register` publishes the operations named in :data:`ENDPOINTS` as API endpoints with named
parameters, so the scriptable API and the UI cannot drift apart:
``client.predict(text, model="run:<id>", api_name="/predict")``. Each endpoint takes ids (upload ids, run
ids, model references; see ``ui.api.session``), answers only about what the caller's account may see
(``ui.api.access``), and returns plain JSON-ready data or a file to download (``ui.api.downloads``), never a
server path; core's typed errors become ``gr.Error`` messages (``ui.api.errors``).
"""

from __future__ import annotations

import gradio as gr

from ui.api.access import Access, Limits
from ui.api.active import Active
from ui.api.attention import Attention
from ui.api.compare import Comparisons
from ui.api.compress import Compression
from ui.api.context import Context
from ui.api.data import Data
from ui.api.errors import published
from ui.api.evaluations import Evaluations
from ui.api.housekeeping import Housekeeping
from ui.api.labels import Labels
from ui.api.limits import HEAVY
from ui.api.models import Models
from ui.api.predict import Predictions
from ui.api.runs import Runs
from ui.api.session import Places
from ui.api.sweeps import Sweeps
from ui.api.tools import described
from ui.api.training import Training
from ui.api.uploads import Uploads

# (concern, operation, heavy): heavy ones share the bounded 'heavy' pool with the tabs' heavy events
ENDPOINTS = (
    ("models", "load_model", False), ("data", "inspect_data", False), ("data", "drop_duplicates", False),
    ("training", "start_training", False),
    ("training", "stop_training", False), ("training", "resume_training", False),
    ("training", "retry_smaller_batch", False), ("training", "training_status", False), ("runs", "list_runs", False),
    ("predictions", "predict", False), ("sweeps", "sweep_start", False), ("sweeps", "sweep_status", False),
    ("sweeps", "sweep_stop", False), ("attention", "attention", True), ("predictions", "fill", True),
    ("runs", "diff_runs", False), ("runs", "describe_run", False), ("runs", "share_run", False),
    ("runs", "delete_run", False),
    ("predictions", "similar", False), ("evaluations", "evaluate", True), ("runs", "report_file", True),
    ("runs", "export_file", True), ("labels", "suspects", True), ("labels", "retrain_fixed", False),
    ("uploads", "upload_file", False), ("active", "next_rows", True), ("active", "labelling_session", False),
    ("active", "label_row", False), ("active", "skip_row", False), ("active", "undo_label", False),
    ("active", "new_labels_file", False), ("active", "retrain_labelled", False),
    ("compression", "compress_run", True), ("compression", "compression", True),
    ("comparisons", "compare_models", False), ("comparisons", "comparison", True),
    ("comparisons", "list_comparisons", False),
)


class Api:
    """Every operation of one app, by concern, over one context (its places and access rules)."""

    def __init__(self, places: Places, access: Access | None = None, limits: Limits | None = None) -> None:
        self.context = Context(places, access or Access(), limits)
        self.models = Models(self.context)
        self.uploads = Uploads(self.context)
        self.data = Data(self.context)
        self.training = Training(self.context)
        self.runs = Runs(self.context)
        self.predictions = Predictions(self.context)
        self.attention = Attention(self.context)
        self.evaluations = Evaluations(self.context)
        self.labels = Labels(self.context)
        self.sweeps = Sweeps(self.context, self.training)
        self.active = Active(self.context)
        self.compression = Compression(self.context)
        self.comparisons = Comparisons(self.context, self.training)
        self.housekeeping = Housekeeping(self.context.downloads, places.root, places.uploads,
                                         self.context.limits.upload_days)


def register(api: Api) -> None:
    """Publish the operations of :data:`ENDPOINTS` as named API endpoints (``/load_model``, ``/start_training``,
    ...); call it inside the app's ``gr.Blocks``."""
    for concern, name, heavy in ENDPOINTS:
        operation = described(published(getattr(getattr(api, concern), name), lambda: api.context.caller().sees_all),
                              name)
        gr.api(operation, api_name=name, **(HEAVY if heavy else {}))


def published_tools_only(demo: gr.Blocks) -> None:
    """Leave the tab events that also have an API name (``/upload_data``, ``/use_sample``, ``/predict_file``) out of
    the MCP tool list: an assistant gets the operations of :data:`ENDPOINTS`, each described (``ui.api.tools``)."""
    names = {name for _, name, _ in ENDPOINTS}
    for block_fn in demo.fns.values():
        if block_fn.api_name and block_fn.api_name not in names and callable(block_fn.fn):
            block_fn.fn._mcp_type = "ui-event"  # type: ignore[union-attr]  # neither a tool, a resource nor a prompt
