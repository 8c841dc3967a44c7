"""The *Label next* panel: which unlabelled rows the run would learn most from, labelled one at a time.

*Rank* runs the run (the one the Train tab trained or watched) over a pool — an uploaded file of texts, or, with no
file, the rows of its training file that have no label — with a progress bar, and starts a labelling session
(``ui.api.active``). One text is shown at a time with the model's guess pre-selected and its probabilities; keys
1..9 choose a label and save it (multi-label: toggle it, Enter saves), S skips, U undoes. Every answer is saved on
the server at once, and the session is kept in the browser (``gr.BrowserState``), so a closed page reopens at the
next row. *Download CSV* hands out the new labels, *Retrain with the new labels* starts a run with the same
settings and the rows added. Leaves out the ranking and the session files (``ui.api.active``).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.context import Context as BlocksContext

from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.session import browser_secret
from ui.tabs.busy import busy
from ui.tabs.format import md_escape

DEFAULT_BATCH = 20
METHODS = [("Margin (two likeliest labels)", "margin"), ("Entropy", "entropy"), ("Random (baseline)", "random")]
KEYS = """() => {
  if (window.tunescopeActiveKeys) return;
  window.tunescopeActiveKeys = true;
  document.addEventListener('keydown', (event) => {
    const panel = document.getElementById('active-labelling');
    const target = event.target, tag = (target && target.tagName || '').toLowerCase();
    if (!panel || panel.offsetParent === null || event.ctrlKey || event.metaKey || event.altKey) return;
    if (tag === 'textarea' || (tag === 'input' && !['radio', 'checkbox'].includes(target.type))) return;
    const click = (id) => { const b = document.getElementById(id); if (b) b.click(); };
    const multi = document.querySelector('#active-toggles input[type=checkbox]') && document.getElementById('active-toggles').offsetParent !== null;
    if (/^[1-9]$/.test(event.key)) {
      const inputs = document.querySelectorAll(multi ? '#active-toggles input' : '#active-choice input');
      const input = inputs[Number(event.key) - 1];
      if (!input) return;
      event.preventDefault();
      input.click();
      if (!multi) setTimeout(() => click('active-save'), 80);
    } else if (event.key === 'Enter') { event.preventDefault(); click('active-save'); }
    else if (event.key === 's' || event.key === 'S') { event.preventDefault(); click('active-skip'); }
    else if (event.key === 'u' || event.key === 'U') { event.preventDefault(); click('active-undo'); }
  });
}"""


def probabilities(item: dict[str, Any] | None) -> dict[str, float]:
    """The model's probabilities of the shown row, for ``gr.Label``."""
    return dict(item["probabilities"]) if item else {}


def progress_line(view: dict[str, Any]) -> str:
    """Where the session stands, in one Markdown line."""
    c = view["counts"]
    if view["next"] is None:
        return (f"All {c['total']} rows answered: {c['labelled']} labelled, {c['skipped']} skipped. Download them "
                "or retrain with them; *Undo* takes back the last answer.")
    if view.get("cold_start"):  # the run knows nothing yet: the rows are a random sample of the pool
        return (f"Row {c['labelled'] + c['skipped'] + 1} of {c['total']}: {c['labelled']} labelled, {c['skipped']} "
                "skipped. Keys: 1-9 label, Enter save, S skip, U undo. The run is not yet better than chance on its "
                "validation rows, so its doubts mean nothing yet: these rows are a random sample of the pool.")
    return (f"Row {c['labelled'] + c['skipped'] + 1} of {c['total']}: {c['labelled']} labelled, {c['skipped']} "
            "skipped. Keys: 1-9 label, Enter save, S skip, U undo.")


class ActivePanel:
    """The panel's components and handlers; ``run_id`` is the component holding the run id. ``self.new_run``
    (a ``gr.State``) receives the id of the run *Retrain* started, for the tab to chain into watching it."""

    def __init__(self, api: Api, run_id: Any) -> None:
        self.api, self.run_id = api, run_id
        writable = not api.context.access.read_only
        self.saved = gr.BrowserState(None, storage_key="tunescope-active", secret=browser_secret(api.context.places))
        with gr.Accordion("Label next (active learning)", open=False, visible=writable):
            gr.Markdown("The rows of an unlabelled pool that the run would learn most from: the model is unsure of "
                        "them, and they are spread over different kinds of text. Upload a file of texts, or leave "
                        "it empty to use the training file's rows that have no label.")
            with gr.Row():
                self.pool = gr.File(label="Pool of unlabelled texts (optional)", file_count="single", scale=2)
                with gr.Column(scale=1):
                    self.batch = gr.Number(DEFAULT_BATCH, label="Rows to label", precision=0, minimum=1, maximum=1000)
                    self.method = gr.Dropdown(METHODS, value="margin", label="Uncertainty")
                    self.rank = gr.Button("Rank the pool", variant="primary")
            with gr.Column(elem_id="active-labelling"):
                self.where = gr.Markdown()
                self.text = gr.Textbox(label="Text", lines=3, interactive=False)
                self.pair = gr.Textbox(label="Second text", lines=2, interactive=False, visible=False)
                self.probs = gr.Label(label="The model's probabilities", num_top_classes=9)
                self.choice = gr.Radio([], label="Label (the model's guess is selected)", elem_id="active-choice")
                self.toggles = gr.CheckboxGroup([], label="Labels (toggle)", visible=False, elem_id="active-toggles")
                with gr.Row():
                    self.save = gr.Button("Save label", variant="primary", elem_id="active-save")
                    self.skip = gr.Button("Skip", elem_id="active-skip")
                    self.undo = gr.Button("Undo", elem_id="active-undo")
                with gr.Row():
                    self.download = gr.Button("Download CSV")
                    self.retrain = gr.Button("Retrain with the new labels")
                self.file = gr.File(label="New labels (CSV)", visible=False)
                self.status = gr.Markdown()
        self.new_run = gr.State(None)
        self.wire()

    @property
    def shown(self) -> list[Any]:
        return [self.saved, self.where, self.text, self.pair, self.probs, self.choice, self.toggles]

    def wire(self) -> None:
        busy(self.rank.click, [self.rank], self.on_rank, [self.run_id, self.pool, self.batch, self.method], self.shown,
             concurrency_id="heavy", api_visibility="private")
        self.save.click(self.on_save, [self.saved, self.choice, self.toggles], self.shown, api_visibility="private")
        self.skip.click(self.on_skip, [self.saved], self.shown, api_visibility="private")
        self.undo.click(self.on_undo, [self.saved], self.shown, api_visibility="private")
        busy(self.download.click, [self.download], self.on_download, [self.saved], [self.file], show=[self.file],
             api_visibility="private")
        self.retrain_event = busy(self.retrain.click, [self.retrain], self.on_retrain, [self.saved],
                                  [self.new_run, self.status], api_visibility="private")
        root = BlocksContext.root_block
        if root is not None:
            root.load(self.on_restore, [self.saved], self.shown, api_visibility="private")
            root.load(None, None, None, js=KEYS, api_visibility="private")

    def show(self, view: dict[str, Any]) -> tuple[Any, ...]:
        """The components for a session's view: the next row, its probabilities, the guess selected."""
        item, multi = view["next"], view["multi_label"]
        guess = item["guess"] if item else None
        pair = item.get("text_pair") if item else None
        return ({"run_id": view["run_id"], "session": view["session"], "row": item["row"] if item else None},
                progress_line(view), item["text"] if item else "", gr.Textbox(value=pair or "", visible=bool(pair)),
                probabilities(item),
                gr.Radio(choices=view["labels"], value=None if multi else guess, visible=not multi),
                gr.CheckboxGroup(choices=view["labels"], value=guess if multi else [], visible=multi))

    @friendly_errors
    def on_rank(self, run_id: str | None, pool: Any, batch: float | None, method: str | None,
                request: gr.Request = None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not run_id:
            raise gr.Error("Choose a finished run first.")
        upload = self.api.uploads.store(pool, request) if pool else None
        view = self.api.active.rank(run_id, upload, int(batch or DEFAULT_BATCH), method or "margin",
                                    progress=lambda done, total: progress(done / max(1, total), desc="Ranking the pool…"),
                                    request=request)
        return self.show(view)

    def _session(self, saved: Any) -> tuple[str, str, Any]:
        if not isinstance(saved, dict) or not saved.get("session"):
            raise gr.Error("Rank a pool first: there is no labelling session yet.")
        return saved["run_id"], saved["session"], saved.get("row")

    @friendly_errors
    def on_save(self, saved: Any, choice: str | None, toggles: list[str] | None,
                request: gr.Request = None) -> tuple[Any, ...]:
        run_id, session, row = self._session(saved)
        view = self.api.active.view(run_id, session, request)
        if row is None or view["next"] is None:
            raise gr.Error("Every row of this session has an answer: download the labels or retrain.")
        label = list(toggles or []) if view["multi_label"] else choice
        if not view["multi_label"] and not label:
            raise gr.Error("Choose a label first (keys 1-9), or skip the row.")
        return self.show(self.api.active.label_row(run_id, session, row, label, request=request))

    @friendly_errors
    def on_skip(self, saved: Any, request: gr.Request = None) -> tuple[Any, ...]:
        run_id, session, row = self._session(saved)
        if row is None:
            raise gr.Error("Every row of this session has an answer: download the labels or retrain.")
        return self.show(self.api.active.skip_row(run_id, session, row, request=request))

    @friendly_errors
    def on_undo(self, saved: Any, request: gr.Request = None) -> tuple[Any, ...]:
        run_id, session, _ = self._session(saved)
        return self.show(self.api.active.undo_label(run_id, session, request=request))

    def on_restore(self, saved: Any, request: gr.Request = None) -> tuple[Any, ...]:
        """The session this browser was labelling, at its next row (nothing when it is gone or not the caller's)."""
        try:
            run_id, session, _ = self._session(saved)
            return self.show(self.api.active.view(run_id, session, request))
        except (gr.Error, Exception):  # a stale or foreign session: start empty
            return (None, "", "", gr.Textbox(value="", visible=False), {}, gr.Radio(choices=[], value=None),
                    gr.CheckboxGroup(choices=[], value=[], visible=False))

    @friendly_errors
    def on_download(self, saved: Any, request: gr.Request = None) -> Any:
        run_id, session, _ = self._session(saved)
        return gr.File(value=self.api.active.labels_csv(run_id, session, request), visible=True)

    @friendly_errors
    def on_retrain(self, saved: Any, request: gr.Request = None) -> tuple[Any, str]:
        run_id, session, _ = self._session(saved)
        started = self.api.active.retrain_labelled(run_id, session, request=request)
        return started["run_id"], (f"Started run {md_escape(started['run_id'])} with {started['added']} new labelled "
                                   "rows; they are listed in its data_added.json.")


def build_active_panel(api: Api, run_id: Any) -> ActivePanel:
    """Build the panel inside the current Blocks/Tab; ``run_id`` is the component holding the run id."""
    return ActivePanel(api, run_id)
