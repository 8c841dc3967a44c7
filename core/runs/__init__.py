"""Run folders: a run is a folder that the app, the CLI and the training child all read and write.

A run folder's bookkeeping only: ``folder`` (paths, ids, load), ``status`` (state, one writer per fact),
``events`` (the event log), ``process`` (start, resume, retry, stop the training child), ``checkpoints``
(verified resume points), ``catalog`` (list runs), ``lock`` (one run per device), ``card`` (the model card).
Creating a run (its checks and data) and running it in the training child is ``core.job``; the training
itself is the recipes'. ``from core import runs; runs.start_run(...)`` reaches the common API.
"""

from core.errors import RunError
from core.runs.catalog import find_run, latest_active_run, list_runs, run_summary
from core.runs.checkpoints import (
    ResumePoint,
    checkpoint_problem,
    find_resume_point,
    last_checkpoint,
    resume_point,
    smaller_batch,
)
from core.runs.diff import diff_runs
from core.runs.events import EventTail, append_event, damage_note, read_events, read_events_noted
from core.runs.folder import (
    RunPaths,
    load_config,
    new_run_id,
    read_json,
    read_object,
    require_run,
    run_folder,
    runs_root,
    write_json,
)
from core.runs.meta import read_meta, read_sharing, rename_run, set_notes, share_run, tag_run, write_owner
from core.runs.process import (
    apply_smaller_batch,
    check_resumable,
    request_stop,
    resume_run,
    retry_smaller_batch,
    start_run,
    wait_for,
)
from core.runs.remove import remove_run
from core.runs.status import ACTIVE_STATES, FINAL_STATES, read_status, write_status

__all__ = ["ACTIVE_STATES", "FINAL_STATES", "EventTail", "ResumePoint", "RunError", "RunPaths", "append_event",
           "apply_smaller_batch", "check_resumable", "checkpoint_problem", "find_resume_point",
           "last_checkpoint", "latest_active_run", "list_runs", "load_config", "run_summary", "new_run_id", "read_events",
           "read_events_noted", "read_object", "damage_note", "read_json", "read_status", "request_stop", "require_run", "resume_point", "resume_run",
           "retry_smaller_batch", "run_folder", "runs_root", "smaller_batch", "start_run", "wait_for", "write_json",
           "write_status", "diff_runs", "find_run", "read_meta", "remove_run", "rename_run", "set_notes", "share_run", "tag_run",
           "read_sharing", "write_owner"]
