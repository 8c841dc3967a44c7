"""Share a run's model: a zip of the Hugging Face folder and model card (``archive``), or an ONNX model
checked against PyTorch on the run's validation rows (``onnx_export``, needs the ``onnx`` extra).

``export_run(run_dir, "zip" | "onnx", output)`` is what ``python -m core export`` calls. The HTML
report is ``core.report``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.export.archive import export_zip, require_model
from core.export.onnx_export import export_onnx

FORMATS = ("zip", "onnx")


def export_run(run_dir: str | Path, format: str = "zip", output: str | Path | None = None) -> dict[str, Any]:
    """Export the run's model as ``format``; returns what was written (path, size, and the ONNX check's figures)."""
    if format not in FORMATS:
        raise ConfigError(f"Unknown export format '{format}': choose one of {', '.join(FORMATS)}.")
    if format == "onnx":
        return export_onnx(run_dir, output)
    return export_zip(run_dir, output)


__all__ = ["FORMATS", "export_run", "export_zip", "require_model"]
