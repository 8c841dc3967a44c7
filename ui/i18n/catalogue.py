"""Find the English text the UI can show, to keep the Chinese catalogue (``ui/i18n/locales/zh-CN.json``) complete.

Two sources: the built app (every label, help text, placeholder, Markdown text, button text and choice
name: :func:`static_strings`) and the source code (:func:`source_strings`: the messages of raised
errors, warnings and notices in ``core`` and ``ui``, and prose in ``ui`` and ``core/plots``; an
f-string becomes a template whose values are ``{0}``, ``{1}``...). ``python -m ui.catalogue`` (which
builds the app, above this package) prints the strings the catalogue lacks as JSON, ready to translate;
``tests/ui/test_i18n_catalogue.py`` fails while any is missing. Translation itself is ``ui.i18n.languages``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from ui.i18n.languages import catalogue

ROOT = Path(__file__).resolve().parents[2]
_PROSE = re.compile(r"[A-Za-z]{2,}[,.:;!?)]?\s+[\w(“\"'*]")
_CODE = re.compile(r"^(\s*[#.<{/@]|python |pip |\$ |https?://|[\w.]+\(|--|\w+=|\w+\.\w+\s*$)|[{};]\s*$|=>|\bdef |"
                   r"\bimport |-src |</?(script|div|span|style|svg|g|text)\b")
_FIGURE_TEXT = {"title", "name", "text", "label", "info", "placeholder", "value"}
_MESSAGE_CALLS = re.compile(r"(Error|Cancelled|Warning|Info|warn|Failed|Problem)$")


_REFERENCE = re.compile(r"^[a-z]+:\S+$")  # a model reference shown as it is (no spaces: never prose)


def static_strings(demo: Any) -> set[str]:
    """Every label, info, placeholder, Markdown/button text and choice name of the built app (not the names of
    data: paths, and model references such as a cached model's ``kind:org/name``)."""
    import gradio as gr

    found: set[str] = set()
    for block in demo.blocks.values():
        for attr in ("label", "info", "placeholder"):
            value = getattr(block, attr, None)
            if isinstance(value, str) and value.strip():
                found.add(value)
        if isinstance(block, gr.Markdown | gr.Button | gr.DownloadButton | gr.UploadButton):
            value = getattr(block, "value", None)
            if isinstance(value, str) and value.strip():
                found.add(value.strip())
        for choice in getattr(block, "choices", None) or []:
            name = choice[0] if isinstance(choice, tuple) else None
            data = name.startswith(("/", "~", ".")) or bool(_REFERENCE.match(name)) if isinstance(name, str) else True
            if not data and re.search(r"[A-Za-z]{2}", name):
                found.add(name)
    return found


def _template(node: ast.AST) -> str | None:
    """A string constant as it is, an f-string with its values as ``{0}``, ``{1}``...; else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts, n = [], 0
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append(f"{{{n}}}")
                n += 1
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _collects_messages(node: ast.Call) -> bool:
    """``warnings.append(...)``, ``notes.append(...)``, ``info.append(...)``: messages gathered to show later."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("append", "extend", "add")):
        return False
    owner = func.value.attr if isinstance(func.value, ast.Attribute) else getattr(func.value, "id", "")
    return bool(re.search(r"warn|note|info|message|finding|problem", owner, re.I))


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def is_prose(text: str) -> bool:
    """Text for people (words with spaces), not code, CSS, JavaScript, a command or a file name."""
    stripped = re.sub(r"\{\d+\}", "X", text.strip())  # a value first ("{0} has no ...") is still prose
    return bool(stripped) and bool(_PROSE.search(stripped)) and not _CODE.search(stripped) and "\n    " not in text


def strings_in(path: Path, all_prose: bool) -> set[str]:
    """Messages of errors, warnings and notices raised or shown in ``path``; with ``all_prose`` every prose string."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (_MESSAGE_CALLS.search(_call_name(node)) or _collects_messages(node)):
            for arg in node.args[:1]:
                text = _template(arg)
                if text and is_prose(text):
                    found.add(text.strip())
        if all_prose and isinstance(node, ast.keyword) and node.arg in _FIGURE_TEXT:
            text = _template(node.value)
            if text and re.search(r"[A-Za-z]{2}", text) and not _CODE.search(text):
                found.add(text.strip())
        position = {"styled": 1, "title": 0}.get(_call_name(node)) if isinstance(node, ast.Call) else None
        if all_prose and position is not None and len(node.args) > position:  # core.plots.style's titles
            text = _template(node.args[position])
            if text and re.search(r"[A-Za-z]{2}", text):
                found.add(text.strip())
        if all_prose and isinstance(node, ast.Constant | ast.JoinedStr) and id(node) not in skip:
            text = _template(node)
            if text and is_prose(text) and not text.startswith(" "):
                found.add(text.strip())
    return found


def source_strings(root: Path = ROOT) -> set[str]:
    """Messages in ``core`` and ``ui``, and every prose string in ``ui`` and ``core/plots`` (not in this package
    or the ``python -m ui.catalogue`` command, which show no text)."""
    found: set[str] = set()
    for path in sorted((root / "core").rglob("*.py")):
        found |= strings_in(path, all_prose="plots" in path.parts and path.name not in ("style.py", "fonts.py"))
    quiet = root / "ui" / "i18n"
    for path in sorted((root / "ui").rglob("*.py")):
        if quiet not in path.parents and path != root / "ui" / "catalogue.py":
            found |= strings_in(path, all_prose=True)
    return found


def missing(demo: Any = None) -> list[str]:
    """The strings the catalogue lacks (static strings of ``demo`` when given, and the source's)."""
    wanted = source_strings() | (static_strings(demo) if demo is not None else set())
    return sorted(s for s in wanted if s not in catalogue())

