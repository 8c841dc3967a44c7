"""A comparison's table: each candidate's scores, cost and speed, the best trade-offs and one recommendation.

Per candidate (its run): state, validation accuracy and macro-F1 (``metrics.json``), training time (the run's
own clock), and, once finished, single-text latency p50, texts per second and size on disk, timed on this machine
by ``core.compress.measure`` (each model on its own, after a warm-up) and kept in the comparison's record keyed by
the model files' times. The best trade-offs are the Pareto front of macro-F1 against latency: no other finished
candidate is at least as good on both and better on one. The recommendation is the fastest candidate within
:data:`CLOSE` of the best macro-F1, with the reason in ``reason`` (``best`` when the best is also the fastest of
those, else ``close_and_faster``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from core import runs
from core.compare.plan import FOLDER
from core.compress.measure import model_bytes, timing_texts, timings
from core.errors import RunError
from core.files import child_by_id, write_json
from core.inference.loading import files_stamp, load_for_inference

CLOSE = 0.01  # macro-F1 within one point of the best counts as as good
SAMPLES = 30  # single-text predictions timed per candidate
Progress = Callable[[int, int], Any]


def comparisons_folder(root: str | Path | None = None) -> Path:
    return runs.runs_root(root) / FOLDER


def load_comparison(ident: Any, root: str | Path | None = None) -> dict[str, Any]:
    """The comparison's record (its id is a plain name the server issued)."""
    path = child_by_id(comparisons_folder(root), f"{ident}.json" if isinstance(ident, str) else ident,
                       not_an_id="'{id}' is not a comparison id.", error=RunError,
                       missing="There is no comparison {id}: list them with `python -m core comparisons`.",
                       shown=lambda name: name.removesuffix(".json"))
    record = runs.read_json(path)
    if not isinstance(record, dict) or not isinstance(record.get("runs"), list):
        raise RunError(f"The record of comparison {ident} cannot be read: start the comparison again.")
    return record


def list_comparisons(root: str | Path | None = None) -> list[dict[str, Any]]:
    """Every comparison's record, newest first."""
    folder = comparisons_folder(root)
    records = [runs.read_json(path) for path in sorted(folder.glob("*.json"), reverse=True)] if folder.is_dir() else []
    return [r for r in records if isinstance(r, dict) and isinstance(r.get("runs"), list)]


def _measured(run_dir: Path, cached: dict[str, Any]) -> dict[str, Any] | None:
    """This run's speed and size, measured now unless the cache holds them for the same model files."""
    key = [list(item) for item in files_stamp(runs.RunPaths(run_dir).model)]
    if cached.get("key") == key:
        return cached
    loaded = load_for_inference(str(run_dir))
    singles, rates = timings([loaded], timing_texts(run_dir), None, SAMPLES)
    return {"key": key, "p50_ms": round(float(np.percentile(singles[0], 50)) * 1000, 2),
            "texts_per_second": round(rates[0], 1), "size_mb": round(model_bytes(loaded, run_dir) / 1e6, 1)}


def _row(root: Path, entry: dict[str, Any], cache: dict[str, Any], measure: bool) -> dict[str, Any]:
    folder = root / str(entry.get("run_id"))
    summary = runs.run_summary(folder) if folder.is_dir() else None
    row = {"run_id": entry.get("run_id"), "candidate": entry.get("candidate"), "label": entry.get("label"),
           "recipe": entry.get("recipe"), "state": (summary or {}).get("state", "deleted"),
           "accuracy": (summary or {}).get("accuracy"), "f1_macro": (summary or {}).get("f1_macro"),
           "train_seconds": (summary or {}).get("duration_seconds"), "p50_ms": None, "texts_per_second": None,
           "size_mb": None}
    if summary and row["state"] == "finished" and summary.get("has_model") and measure:
        measured = _measured(folder, cache.get(row["run_id"]) or {})
        cache[row["run_id"]] = measured
        row.update({k: measured[k] for k in ("p50_ms", "texts_per_second", "size_mb")})
    return row


def pareto(rows: list[dict[str, Any]]) -> list[str]:
    """Run ids on the front of macro-F1 (higher) against latency (lower), among measured rows."""
    done = [r for r in rows if r["f1_macro"] is not None and r["p50_ms"] is not None]
    front = []
    for r in done:
        beaten = any(o["f1_macro"] >= r["f1_macro"] and o["p50_ms"] <= r["p50_ms"]
                     and (o["f1_macro"] > r["f1_macro"] or o["p50_ms"] < r["p50_ms"]) for o in done)
        if not beaten:
            front.append(r["run_id"])
    return front


def recommend(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The fastest candidate within :data:`CLOSE` of the best macro-F1, the best one and why."""
    done = [r for r in rows if r["f1_macro"] is not None and r["p50_ms"] is not None]
    if not done:
        return None
    best = max(done, key=lambda r: (r["f1_macro"], -r["p50_ms"]))
    chosen = min((r for r in done if r["f1_macro"] >= best["f1_macro"] - CLOSE), key=lambda r: r["p50_ms"])
    reason = "best" if chosen is best else "close_and_faster"
    return {"run_id": chosen["run_id"], "label": chosen["label"], "reason": reason, "f1_macro": chosen["f1_macro"],
            "best_run_id": best["run_id"], "best_label": best["label"], "best_f1_macro": best["f1_macro"],
            "speedup": round(best["p50_ms"] / chosen["p50_ms"], 2) if chosen["p50_ms"] else None}


def comparison_result(ident: str, root: str | Path | None = None, measure: bool = True,
                      progress: Progress | None = None) -> dict[str, Any]:
    """{id, budget, data, rows, front, recommended, pending}: ``pending`` counts candidates not finished yet."""
    base = runs.runs_root(root)
    record = load_comparison(ident, base)
    cache = dict(record.get("measured") or {})
    rows = []
    for done, entry in enumerate(record["runs"], start=1):
        rows.append(_row(base, entry, cache, measure))
        if progress:
            progress(done, len(record["runs"]))
    if cache != (record.get("measured") or {}):
        write_json(comparisons_folder(base) / f"{record['id']}.json", {**record, "measured": cache})
    pending = sum(r["state"] in ("created", "queued", "running", "stopping") for r in rows)
    return {"id": record["id"], "budget": record.get("budget"), "data": record.get("data"),
            "created_at": record.get("created_at"), "rows": rows, "front": pareto(rows), "recommended": recommend(rows),
            "pending": pending}


def recommendation_sentence(result: dict[str, Any]) -> str:
    """The recommendation in one English sentence (the UI composes its own, in the page's language)."""
    chosen = result.get("recommended")
    if not chosen:
        return "No candidate has finished yet." if result.get("pending") else "No candidate finished."
    if chosen["reason"] == "best":
        return f"Recommended: {chosen['label']}: the best macro-F1 ({chosen['f1_macro']:.3f}) and the fastest of those close to it."
    return (f"Recommended: {chosen['label']}: macro-F1 {chosen['f1_macro']:.3f}, within one point of the best "
            f"({chosen['best_label']}, {chosen['best_f1_macro']:.3f}), and {chosen['speedup']:.1f}x faster on one text.")
