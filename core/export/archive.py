"""Share a run's model as one zip: the Hugging Face folder (weights, config with the labels, tokenizer)
plus the model card, inside a folder named after the run.

The unzipped folder loads with ``transformers.pipeline("text-classification", model=folder)`` and
answers with the user's label names. Names inside the archive are checked (plain file names under
one safe top folder, no links, no paths), so unpacking it cannot write outside that folder. The ONNX
export is ``core.export.onnx_export``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from core import runs
from core.errors import RunError
from core.files import written_aside

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
WEIGHTS = ("*.safetensors", "*.bin", "*.pt", "*.pth", "*.ckpt", "*.h5", "*.msgpack", "*.onnx")


def require_model(run_dir: str | Path) -> Path:
    """The run folder when it holds a saved model (``RUN/model/config.json``); a one-sentence RunError if not."""
    run_dir = runs.require_run(run_dir)
    if not (runs.RunPaths(run_dir).model / "config.json").is_file():
        raise RunError(f"Run {run_dir.name} has no saved model yet: wait for it to finish, stop it (Stop saves a "
                       "model) or resume it, then export.")
    return run_dir


def folder_name(run_dir: Path, suffix: str = "") -> str:
    """The run id as a safe file and folder name (other characters become '-')."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", run_dir.resolve().name).strip("-.") or "run"
    return name[:100] + suffix


def model_files(run_dir: Path, weights: bool = True) -> list[Path]:
    """The regular files of ``RUN/model`` (without weights when ``weights`` is False), by name."""
    files = [p for p in sorted((run_dir / "model").iterdir())
             if p.is_file() and not p.is_symlink() and SAFE_NAME.match(p.name) and p.name != "README.md"]
    if not weights:
        files = [p for p in files if not any(p.match(pattern) for pattern in WEIGHTS)]
    return files


def card_text(run_dir: Path, folder: str, usage: bool = True) -> str | None:
    """The run's model card with its usage snippet pointing at the shared ``folder`` instead of this machine's
    path (or without the snippet when ``usage`` is False)."""
    card = run_dir / "README.md"
    if not card.is_file():
        return None
    text = card.read_text(encoding="utf-8")
    if not usage:
        return re.sub(r"^## Use\n```python\n.*?```\n+", "", text, flags=re.M | re.S)
    return re.sub(r'^(classifier = pipeline\("text-classification", model=)"[^"\n]*"\)',
                  lambda m: f'{m.group(1)}"{folder}")', text, flags=re.M)


def write_zip(output: Path, folder: str, files: list[Path], texts: dict[str, str]) -> Path:
    """Write ``files`` and ``texts`` (name -> content) under ``folder/`` in a zip, atomically."""
    names = [p.name for p in files] + list(texts)
    bad = [n for n in names if not SAFE_NAME.match(n)] + ([folder] if not SAFE_NAME.match(folder) else [])
    if bad or len(set(names)) != len(names):
        raise RunError(f"Cannot export: unsafe or repeated file names {', '.join(bad) or 'in the model folder'}.")
    if output.is_dir():
        raise RunError(f"{output} is a folder: give a file name ending in .zip for --output.")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with written_aside(output) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED,
                                                           compresslevel=6) as archive:
            for path in files:
                archive.write(path, f"{folder}/{path.name}")
            for name, text in texts.items():
                archive.writestr(f"{folder}/{name}", text)
    except OSError as exc:
        raise RunError(f"Cannot write {output}: {exc.strerror or exc}. Choose another --output.") from exc
    return output


def export_zip(run_dir: str | Path, output: str | Path | None = None) -> dict[str, Any]:
    """Zip ``RUN/model`` and the model card as ``<run-id>/`` into ``output`` (default ``./<run-id>.zip``)."""
    run_dir = require_model(run_dir)
    folder = folder_name(run_dir)
    output = Path(output) if output else Path.cwd() / f"{folder}.zip"
    files = model_files(run_dir)
    card = card_text(run_dir, folder)
    write_zip(output, folder, files, {"README.md": card} if card else {})
    return {"format": "zip", "output": str(output), "folder": folder, "bytes": output.stat().st_size,
            "files": sorted([p.name for p in files] + (["README.md"] if card else []))}
