"""core is UI-free and readable: no gradio, packages named by their job, small modules, no import cycles."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import core

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "core").rglob("*.py")) + sorted((ROOT / "ui").rglob("*.py")) + [ROOT / "app.py"]


def core_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(core.__path__, "core."))


def test_core_has_the_designed_packages() -> None:
    names = set(core_modules())
    for required in ("core.config", "core.errors", "core.models", "core.cli", "core.data", "core.training",
                     "core.runs", "core.attention", "core.inference", "core.plots"):
        assert required in names
    for package in ("core.data", "core.training", "core.runs", "core.attention", "core.inference", "core.plots"):
        assert (ROOT / package.replace(".", "/") / "__init__.py").exists(), f"{package} is not a package"


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
    for path in (ROOT / "core").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            assert not stripped.startswith(("import gradio", "from gradio")), f"{path.name}: {line}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 320, f"{path.name} has {len(text.splitlines())} lines: split it by job"
    assert text.lstrip().startswith('"""'), f"{path.name} has no module docstring"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            assert length <= 60, f"{path.name}:{node.lineno} {node.name} has {length} lines"


def _module_imports(path: Path) -> set[str]:
    """core modules imported at the top level of ``path`` (imports inside functions are deferred)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("core"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("core"))
    return found


def test_no_import_cycles_between_core_modules() -> None:
    modules = {name: ROOT / (name.replace(".", "/") + ".py") for name in core_modules()}
    modules.update({name: ROOT / name.replace(".", "/") / "__init__.py" for name in core_modules()
                    if (ROOT / name.replace(".", "/") / "__init__.py").exists()})
    graph = {name: {m for m in _module_imports(path) if m in modules and m != name} for name, path in modules.items()}
    # a package's __init__ re-exporting its own modules is not a cycle through the package
    graph = {name: {m for m in deps if not name.startswith(m + ".")} for name, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in graph[name]:
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(dep):] + [dep]))
            if dep not in state:
                visit(dep, trail + [dep])
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
