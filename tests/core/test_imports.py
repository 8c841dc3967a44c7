"""core is UI-free: importing every core module must not load gradio."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import core

ROOT = Path(__file__).resolve().parents[2]


def core_modules() -> list[str]:
    return sorted(f"core.{m.name}" for m in pkgutil.iter_modules(core.__path__))


def test_core_has_the_designed_modules() -> None:
    names = set(core_modules())
    for required in ("core.config", "core.data", "core.models", "core.training", "core.runs", "core.attention",
                     "core.predict", "core.plots", "core.cli"):
        assert required in names


def test_importing_every_core_module_loads_no_gradio() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'gradio' or m.startswith('gradio.') or m.startswith('gradio_'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"core imported: {result.stdout.strip()}"


def test_no_core_source_mentions_gradio_imports() -> None:
    for path in (ROOT / "core").glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            assert not stripped.startswith(("import gradio", "from gradio")), f"{path.name}: {line}"
