"""The UI's one door into core, read from every import of every module (also those inside functions).

Layers, lowest first: ``ui.i18n`` (languages) < ``ui.api`` (every operation, and what they run over) <
``ui.tabs`` (the tabs, their panels and formatting) < the rest of ``ui`` (``ui.interface``, the catalogue
command). A module imports ui modules of its own layer or lower only, and only ``ui.api`` imports ``core``:
tabs call ``ui.api``, never core.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("ui.i18n", "ui.api", "ui.tabs", "ui")
MODULES = sorted((ROOT / "ui").rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, name: str, package: bool = False) -> set[str]:
    """Every module imported anywhere in ``source`` (module level, functions, classes, ``if`` blocks), by its
    absolute name; ``from a import b`` counts ``a`` and ``a.b`` (``b`` may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package upwards
                anchor = name.split(".") if package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def layer(name: str) -> int:
    """The index in ``LAYERS`` of the layer a ui module belongs to."""
    return next(i for i, prefix in enumerate(LAYERS) if name == prefix or name.startswith(prefix + "."))


def is_core(name: str) -> bool:
    return name == "core" or name.startswith("core.")


def test_every_import_is_seen_even_inside_functions() -> None:
    source = ("import os\n\ndef f():\n    from core.runs import read_status\n    import core\n\n"
              "class C:\n    def g(self):\n        from . import sibling\n")
    found = imports(source, "ui.tabs.demo.page")
    assert {"core.runs", "core.runs.read_status", "core", "ui.tabs.demo.sibling"} <= found


@pytest.mark.parametrize("path", [p for p in MODULES if "tabs" in p.relative_to(ROOT / "ui").parts[:1]],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_tabs_never_import_core(path: Path) -> None:
    name = module_name(path)
    found = sorted(m for m in imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
                   if is_core(m))
    assert not found, f"{name} imports {found}: call an operation of ui.api instead"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_ui_modules_import_only_their_layer_or_lower_and_only_ui_api_imports_core(path: Path) -> None:
    name = module_name(path)
    found = imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
    own = layer(name)
    upward = sorted(m for m in found if (m == "ui" or m.startswith("ui.")) and m != "ui" and layer(m) > own)
    assert not upward, f"{name} ({LAYERS[own]}) imports a layer above it: {upward}"
    if LAYERS[own] != "ui.api":
        core = sorted(m for m in found if is_core(m))
        assert not core, f"{name} imports {core}: only ui.api imports core"


def test_the_layers_hold_the_modules_they_name() -> None:
    names = {module_name(p) for p in MODULES}
    for package in ("ui.i18n", "ui.api", "ui.tabs"):
        assert package in names and any(n.startswith(package + ".") for n in names), package
    for tab in ("model", "data", "train", "attention", "predict", "runs", "demo"):
        assert f"ui.tabs.{tab}" in names, tab
