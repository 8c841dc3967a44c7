"""A labelling session: the ranked batch, and each label as it is given, kept in one small JSON file.

``<run>/active/<session id>.json`` holds the run, the owner (the account that started it, none without accounts),
where the pool came from, the run's labels, the batch to label (row, text, the model's guess and probabilities),
and the ``history`` of answers in order (``label`` with its value, or ``skip``). Every answer rewrites the file
atomically (``core.files.write_json``), so a closed page loses nothing; undo removes the last answer. A row's
answer is its latest one. Labels are checked against the run's labels. Leaves out ranking and retraining.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

from core.active.pool import ROW, Pool
from core.data import LABEL, TEXT, TEXT_PAIR
from core.data.table import short
from core.errors import DataError
from core.files import child_by_id, write_json

FOLDER = "active"
SESSION_FILE = re.compile(r"^s-[0-9a-f]{16}\.json$")  # a session id and its file name
NO_SESSION = "There is no labelling session '{id}' for this run: rank the pool again."
_LOCK = threading.Lock()  # one answer at a time per process: each is read, changed and written whole


def session_file(run_dir: str | Path, session_id: Any) -> Path:
    """The file of a session of the run; one sentence for an id that is not one, or names no session."""
    return child_by_id(Path(run_dir) / FOLDER, f"{session_id}.json" if isinstance(session_id, str) else session_id,
                       not_an_id=NO_SESSION, missing=NO_SESSION, exists=Path.is_file,
                       pattern=SESSION_FILE, error=DataError,
                       shown=lambda name: name.removesuffix(".json"))


def new_session(run_dir: str | Path, table: pd.DataFrame, pool: Pool, labels: list[str], multi_label: bool,
                owner: str | None = None, upload: str | None = None) -> str:
    """Keep a ranked batch (``core.active.rank.rank_pool``'s table) as a new session of the run; its id."""
    session_id = f"s-{secrets.token_hex(8)}"
    items = []
    for line in table.to_dict("records"):
        item = {ROW: int(line[ROW]), TEXT: str(line[TEXT]), "guess": line["guess"],
                "uncertainty": float(line["uncertainty"]),
                "probabilities": {label: float(line[f"p:{label}"]) for label in labels}}
        if TEXT_PAIR in line:
            item[TEXT_PAIR] = str(line[TEXT_PAIR])
        items.append(item)
    record = {"session": session_id, "run": Path(run_dir).name, "owner": owner, "created": time.time(),
              "pool": {"source": pool.source, "text_column": pool.text_column, "upload": upload},
              "labels": list(labels), "multi_label": bool(multi_label), "items": items, "history": [],
              "cold_start": bool(table.attrs.get("cold_start"))}
    (Path(run_dir) / FOLDER).mkdir(exist_ok=True)
    write_json(Path(run_dir) / FOLDER / f"{session_id}.json", record)
    return session_id


def load_session(run_dir: str | Path, session_id: str) -> dict[str, Any]:
    """A session's record; one sentence when it is not one of the run's sessions or cannot be read."""
    path = session_file(run_dir, session_id)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(NO_SESSION.format(id=session_id)) from error
    if not isinstance(record, dict) or not isinstance(record.get("items"), list):
        raise DataError(NO_SESSION.format(id=session_id))
    return record


def checked_label(record: dict[str, Any], label: Any) -> Any:
    """A label as the session keeps it: one of the run's labels, or (multi-label) a sorted list of them."""
    labels = record["labels"]
    if record["multi_label"]:
        values = label if isinstance(label, list | tuple) else [v for v in str(label or "").split(";") if v.strip()]
        unknown = [str(v) for v in values if str(v) not in labels]
        if unknown:
            raise DataError(f"'{short(unknown[0])}' is not one of this run's labels: choose among "
                            f"{', '.join(labels[:10])}.")
        return [v for v in labels if v in {str(x) for x in values}]
    if str(label) not in labels:
        raise DataError(f"'{short(label)}' is not one of this run's labels: choose one of {', '.join(labels[:10])}.")
    return str(label)


def _answer(run_dir: str | Path, session_id: str, entry: dict[str, Any] | None) -> dict[str, Any]:
    """Append ``entry`` to the session's history (None: remove the last answer), written atomically."""
    with _LOCK:
        record = load_session(run_dir, session_id)
        if entry is None:
            if not record["history"]:
                raise DataError("Nothing to undo: no row of this session has an answer yet.")
            record["history"].pop()
        else:
            if entry[ROW] not in {item[ROW] for item in record["items"]}:
                raise DataError(f"Row {entry[ROW]} is not in this session's batch: choose a row it shows.")
            record["history"].append({**entry, "time": time.time()})
        write_json(session_file(run_dir, session_id), record)
    return record


def give_label(run_dir: str | Path, session_id: str, row: int, label: Any) -> dict[str, Any]:
    """Give pool row ``row`` of the session ``label`` (multi-label: a list of labels, or ``a;b``)."""
    record = load_session(run_dir, session_id)
    return _answer(run_dir, session_id, {ROW: int(row), "action": "label", LABEL: checked_label(record, label)})


def skip_row(run_dir: str | Path, session_id: str, row: int) -> dict[str, Any]:
    """Skip pool row ``row`` (no label; it is not added)."""
    return _answer(run_dir, session_id, {ROW: int(row), "action": "skip"})


def undo(run_dir: str | Path, session_id: str) -> dict[str, Any]:
    """Take back the session's last answer (a label or a skip)."""
    return _answer(run_dir, session_id, None)


def answers(record: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Each answered row's latest answer."""
    return {int(entry[ROW]): entry for entry in record["history"]}


def next_row(record: dict[str, Any]) -> dict[str, Any] | None:
    """The first row of the batch without an answer, or None once every row has one."""
    done = answers(record)
    return next((item for item in record["items"] if item[ROW] not in done), None)


def counts(record: dict[str, Any]) -> dict[str, int]:
    """How many rows the batch has, and how many are labelled, skipped and left."""
    done = answers(record).values()
    labelled = sum(entry["action"] == "label" for entry in done)
    skipped = sum(entry["action"] == "skip" for entry in done)
    total = len(record["items"])
    return {"total": total, "labelled": labelled, "skipped": skipped, "left": total - labelled - skipped}


def labels_frame(record: dict[str, Any]) -> pd.DataFrame:
    """The labelled rows: ``row``, ``text`` ([``text_pair``]) and ``label`` (multi-label: a JSON list), in batch order."""
    done = answers(record)
    lines = []
    for item in record["items"]:
        entry = done.get(item[ROW])
        if entry is None or entry["action"] != "label":
            continue
        label = json.dumps(entry[LABEL], ensure_ascii=False) if record["multi_label"] else entry[LABEL]
        line = {ROW: item[ROW], TEXT: item[TEXT], LABEL: label}
        if TEXT_PAIR in item:
            line[TEXT_PAIR] = item[TEXT_PAIR]
        lines.append(line)
    columns = [ROW, TEXT, *([TEXT_PAIR] if any(TEXT_PAIR in item for item in record["items"]) else []), LABEL]
    return pd.DataFrame(lines, columns=columns)
