"""The layering, declared once and checked on every import between project modules.

``LAYERS`` is the one ordered list (lowest first) of the project's units; ``docs/ARCHITECTURE.md`` shows it
as :func:`render` writes it (a test keeps the two equal). Every import of a project module, at module level
or inside a function, is read from the source: a unit imports only itself or units listed before it; there
is no import circle between modules; no private name (``_x``) is imported from another package; and a
project import inside a function is allowed only where it defers a heavy third-party library: the module it
imports loads (itself or through its own module-level imports) one of ``HEAVY`` that the importer does not
already load.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# lowest first; a unit is a module or a package (every module below it)
LAYERS: tuple[tuple[str, str], ...] = (
    ("core.errors", "typed errors with a fix in the message"),
    ("core.text", "user text in HTML, Markdown and figures: never markup, never a link"),
    ("core.files", "atomic writes, folder swaps, ids looked up as names"),
    ("core.settings", "the machinery of a declared setting"),
    ("core.modelref", "the one model reference: parse, format, name, resolve"),
    ("core.config", "every run setting declared once"),
    ("core.devices", "device and precision"),
    ("core.models", "load tokenizers and models; rules that follow from the model"),
    ("core.data", "labelled files to clean tables and splits; the health report"),
    ("core.runs", "a run folder's bookkeeping: paths, status, events, checkpoints, lock, catalog, child process"),
    ("core.training", "the fine-tuning engine"),
    ("core.pretrain", "the optional masked/causal-LM stage"),
    ("core.fewshot", "the SetFit recipe's training"),
    ("core.inference", "prediction, evaluation, similar examples, fill-mask"),
    ("core.attention", "attention weights, head statistics, attributions, neurons"),
    ("core.plots", "every figure"),
    ("core.job", "create a run, and run one run folder in the training child over the recipes"),
    ("core.labels", "suspect labels and corrected-data retraining"),
    ("core.active", "which unlabelled rows to label next, labelling sessions, retraining with them"),
    ("core.sweep", "Optuna search"),
    ("core.report", "the one-file HTML report"),
    ("core.export", "zip and ONNX export"),
    ("core.compress", "int8 quantization and distillation of a finished run"),
    ("core.compare", "candidate models and recipes compared on one data set"),
    ("core.cli", "the headless CLI"),
    ("core.__main__", "python -m core"),
    ("core", "the package itself"),
    ("ui.i18n", "the catalogue and translation"),
    ("ui.api", "every operation the app offers (the public API), over a context"),
    ("ui.tabs", "each tab with its panels and formatting"),
    ("ui", "assembling the app"),
    ("app", "the admin's entry point"),
)

# third-party libraries slow enough to import that a module may defer them (with the project modules that load them)
HEAVY = frozenset({"torch", "transformers", "gradio", "gradio_client", "datasets", "setfit", "sentence_transformers",
                   "optuna", "sklearn", "peft", "captum", "cleanlab", "onnx", "onnxruntime", "onnxscript", "plotly",
                   "pandas", "accelerate", "kaleido", "matplotlib", "huggingface_hub", "safetensors", "pyarrow",
                   "openpyxl", "tensorboard", "mlflow", "trackio", "gguf", "scipy"})


def render() -> str:
    """The layer list as docs/ARCHITECTURE.md shows it."""
    width = max(len(name) for name, _ in LAYERS)
    lines = [f"{i:2d}  {name.ljust(width)}  {job}" for i, (name, job) in enumerate(LAYERS, 1)]
    return "```\n" + "\n".join(lines) + "\n```"


def unit_of(module: str) -> int:
    """The index in LAYERS of the longest unit that contains ``module``."""
    best, length = -1, -1
    for index, (name, _) in enumerate(LAYERS):
        if (module == name or module.startswith(name + ".")) and len(name) > length:
            best, length = index, len(name)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    found = {module_name(p): p for top in ("core", "ui") for p in sorted((ROOT / top).rglob("*.py"))}
    found["app"] = ROOT / "app.py"
    return found


MODULES = sources()


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    names: tuple[str, ...]
    line: int
    deferred: bool  # inside a function


def _third_party(module: str) -> set[str]:
    """The HEAVY libraries ``module``'s own module-level statements import."""
    found: set[str] = set()
    for node in ast.parse(MODULES[module].read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found & HEAVY


def _target(node: ast.ImportFrom | ast.Import, alias: ast.alias) -> str:
    """The project module an import names (``from core import runs`` imports the module ``core.runs``)."""
    if isinstance(node, ast.Import):
        return alias.name
    assert not node.level, "the project uses absolute imports only"
    joined = f"{node.module}.{alias.name}"
    return joined if joined in MODULES else node.module or ""


def imports_of(module: str) -> list[Import]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[Import] = []

    def walk(node: ast.AST, deferred: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = deferred or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import | ast.ImportFrom):
                for alias in child.names:
                    target = _target(child, alias)
                    if target in MODULES:
                        found.append(Import(module, target, (alias.name,), child.lineno, deferred))
            walk(child, inner)

    walk(tree, False)
    return found


ALL_IMPORTS = [imp for module in MODULES for imp in imports_of(module)]


def package_of(module: str) -> str:
    """The package a module belongs to (``core.runs.folder`` -> ``core.runs``; ``core.config`` -> ``core``)."""
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0] or module


def test_architecture_doc_shows_the_layers() -> None:
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert render() in doc, "docs/ARCHITECTURE.md must show the layers exactly as tests/test_layers.render() does"


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        unit_of(module)


def test_no_import_points_up_a_layer() -> None:
    bad = [f"{i.importer}:{i.line} imports {i.target} ({LAYERS[unit_of(i.target)][0]} is above "
           f"{LAYERS[unit_of(i.importer)][0]})" for i in ALL_IMPORTS if unit_of(i.target) > unit_of(i.importer)]
    assert not bad, "imports pointing up a layer:\n" + "\n".join(bad)


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in ALL_IMPORTS:
        # a package's __init__ re-exporting its own modules is not a circle through the package
        if imp.target != imp.importer and not imp.importer.startswith(imp.target + "."):
            graph[imp.importer].add(imp.target)
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                raise AssertionError("import circle: " + " -> ".join(trail[trail.index(dep):] + [dep]))
            if dep not in state:
                visit(dep, [*trail, dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_no_private_name_is_imported_from_another_package() -> None:
    bad = [f"{i.importer}:{i.line} imports {name} from {i.target}" for i in ALL_IMPORTS for name in i.names
           if name.startswith("_") and package_of(i.target) != package_of(i.importer)]
    assert not bad, "private names imported across packages:\n" + "\n".join(bad)


def heavy_loads() -> dict[str, frozenset[str]]:
    """For every module, the HEAVY libraries importing it loads (through module-level imports only)."""
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in ALL_IMPORTS:
        if not imp.deferred:
            edges[imp.importer].add(imp.target)
            # importing core.runs.folder first runs core/runs/__init__.py (and core/__init__.py)
            parts = imp.target.split(".")
            edges[imp.importer].update(".".join(parts[:n]) for n in range(1, len(parts)) if ".".join(parts[:n]) in MODULES)
    loads: dict[str, frozenset[str]] = {}
    for module in MODULES:
        seen, todo, heavy = {module}, [module], set()
        while todo:
            current = todo.pop()
            heavy |= _third_party(current)
            for dep in edges[current] - seen:
                seen.add(dep)
                todo.append(dep)
        loads[module] = frozenset(heavy)
    return loads


def test_project_imports_inside_functions_only_defer_heavy_libraries() -> None:
    loads = heavy_loads()
    bad = [f"{i.importer}:{i.line} imports {i.target} inside a function (it defers nothing heavy)"
           for i in ALL_IMPORTS if i.deferred and not loads[i.target] - loads[i.importer]]
    assert not bad, "project imports inside functions that defer no heavy library: move them to the top\n" + \
        "\n".join(bad)


def test_the_layer_rules_see_imports_inside_functions() -> None:
    """The checks above read every import: some are inside functions, and all are counted."""
    assert any(i.deferred for i in ALL_IMPORTS)
    assert len(ALL_IMPORTS) > 300


def _calls(module: str, names: set[str]) -> list[int]:
    """Lines of ``module`` that call one of ``names`` (``os.replace``, ``shutil.move``, ...)."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        func = getattr(node, "func", None) if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and f"{func.value.id}.{func.attr}" in names:
            found.append(node.lineno)
    return found


def test_atomic_writes_and_folder_swaps_are_written_once() -> None:
    """Renaming a file or folder into place is ``core.files``' job (runs.remove moves a run to the trash)."""
    allowed = {"core.files", "core.runs.remove"}
    bad = [f"{m}:{line}" for m in MODULES if m not in allowed for line in _calls(m, {"os.replace", "os.rename"})]
    assert not bad, "write aside and rename through core.files (written_aside, atomic_write, swap_folder):\n" + \
        "\n".join(bad)


def test_ids_model_references_and_decoders_are_recognised_in_one_place() -> None:
    """Guarded id lookups go through ``core.files.child_by_id``/``is_id``; decoders through ``is_decoder``; model
    references are written and read by ``core.modelref.ModelRef`` only (no ``f"run:{id}"``, no prefix tests)."""
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if module != "core.modelref":
            assert not re.search(r'f?"(run|hub|folder):[{"]|startswith\(\(?"(run|hub|folder)', text), \
                f"{module} writes or reads a model reference by hand: use core.modelref.ModelRef"
        if module != "core.models":
            assert "CAUSAL_TYPES = " not in text, f"{module} lists decoder types: use core.models.is_decoder"
        if module != "core.files":
            assert not re.search(r'"\.\."( not)? in', text), \
                f"{module} checks ids by hand: use core.files.child_by_id or is_id"
