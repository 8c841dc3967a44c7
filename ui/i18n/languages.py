"""The UI's languages: English and Simplified Chinese, which one this request wants, and translation.

Static text (labels, help, Markdown, buttons, tab names) is translated in the browser by Gradio's
``gr.I18n``: ``ui.i18n.localise`` marks every string the catalogue knows. Text made on the server (messages,
errors, Markdown summaries, figure titles) is translated here with :func:`tr`, in the language of the
request: the ``tunescope_lang`` cookie set by the language menu, else the browser's Accept-Language.

The catalogue (``ui/i18n/locales/zh-CN.json``) maps English to Chinese. A key may hold ``{name}`` fields
for text with values in it ("Run {run} finished."): the values are carried over untranslated. Text the
catalogue does not know is shown in English, line by line and sentence by sentence, never dropped: the
server composes its own messages whole with :func:`trf` (one catalogue entry per sentence, values filled in),
so that fallback only ever meets text from elsewhere.
``tests/ui/test_i18n.py`` checks the catalogue covers every static string and every message in
``core`` and ``ui``. Core stays English-only: it never imports this module.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

CATALOGUE_PATH = Path(__file__).resolve().parent / "locales" / "zh-CN.json"
CHINESE = "zh-CN"
ENGLISH = "en"
COOKIE = "tunescope_lang"
CHOICES = [("Auto (browser)", "auto"), ("English", ENGLISH), ("简体中文", CHINESE)]
KEY_PREFIX = "tunescope:"  # see browser_key
# the values translated inside a template: the embedded models' names (core's messages name them) and the units
# of core's figures ("Text length in tokens"); any other value (a label, a file, an id) is shown as it is
# (core.modelref's DEFAULT_NAME and SMOLLM2_NAME, written out: ui.i18n imports no core; tests/ui/test_i18n.py checks)
NAMES = frozenset({"MiniLM-L6 (all-MiniLM-L6-v2, embedded)", "SmolLM2-135M-Instruct (GGUF, embedded decoder)",
                   "tokens", "characters"})
# the scripts core.data.readable names ("it cannot read Han, Cyrillic text"), translated inside a template too
SCRIPTS = frozenset({"Arabic", "Armenian", "Bengali", "Bopomofo", "Cyrillic", "Devanagari", "Ethiopic", "Georgian",
                     "Greek", "Gujarati", "Gurmukhi", "Han", "Hangul", "Hebrew", "Hiragana", "Kannada", "Katakana",
                     "Khmer", "Lao", "Latin", "Malayalam", "Mongolian", "Myanmar", "Sinhala", "Syriac", "Tamil",
                     "Telugu", "Thaana", "Thai", "Tibetan"})
MODEL_NAMES = ("run {0}", "model folder {0}", "Hugging Face model {0}")
MIN_TEMPLATE_LETTERS = 6  # a template needs this many letters of its own text to be trusted
_FIELD = re.compile(r"\{(\w*)\}")
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+(?=[A-Z(“\"'*`])")


@functools.cache
def catalogue() -> dict[str, str]:
    """English → Chinese, as shipped in ``ui/i18n/locales/zh-CN.json``."""
    try:
        return json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def static_keys() -> dict[str, str]:
    """The entries without ``{fields}``: what the browser can translate by exact match."""
    return {k: v for k, v in catalogue().items() if not _FIELD.search(k)}


def browser_key(text: str) -> str:
    """The key under which the browser knows ``text``: the English with :data:`KEY_PREFIX` before it.

    Gradio's page translates every ``value``, ``label``, ``info``... property that equals a key of the
    ``gr.I18n`` table, markers or not. With plain English keys a Radio whose value is "Head" (a catalogue
    entry, for its choice name) would be shown, and sent back, as "注意力头", which Gradio rejects as not
    one of the choices. Prefixed keys match only the markers :mod:`ui.i18n.localise` makes."""
    return KEY_PREFIX + text


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str, list[str]]]:
    """Entries with ``{fields}`` as regular expressions, longest (most specific) first."""
    out = []
    for key, value in catalogue().items():
        names = _FIELD.findall(key)
        if not names:
            continue
        parts = _FIELD.split(key)  # literal, name, literal, name, ...
        if sum(ch.isalpha() for ch in "".join(parts[::2])) < MIN_TEMPLATE_LETTERS:
            continue  # e.g. "{0} by {1}": it would match, and garble, any text with " by " in it
        # a value never spans lines, so a one-line template cannot swallow the lines after it
        pattern = "".join(re.escape(p) if i % 2 == 0 else "([^\n]+?)" for i, p in enumerate(parts))
        out.append((re.compile(pattern + r"\Z"), value, names))
    out.sort(key=lambda t: -len(t[0].pattern))
    return out


def gradio_i18n() -> Any:
    """The ``gr.I18n`` for ``launch(i18n=...)``: Chinese for zh, zh-CN, zh-Hans and zh-SG browsers, English
    for every other (the keys are :func:`browser_key`'s, so English needs its table too)."""
    import gradio as gr

    table = {**GRADIO_GAPS, **{browser_key(k): v for k, v in static_keys().items()}}
    english = {browser_key(k): k for k in static_keys()}
    return gr.I18n(**{ENGLISH: english, CHINESE: table, "zh": table, "zh-Hans": table, "zh-SG": table})


def _from_header(header: str | None) -> str:
    """The first language of an Accept-Language header that we have: Chinese or English."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh") and not tag.startswith(("zh-tw", "zh-hk", "zh-hant", "zh-mo")):
            return CHINESE
        if tag.startswith("en"):
            return ENGLISH
    return ENGLISH


def language(request: Any = None) -> str:
    """The language of ``request`` (default: the request being handled): the menu's cookie, else the browser's."""
    if request is None:
        try:
            from gradio.context import LocalContext

            request = LocalContext.request.get(None)
        except (ImportError, LookupError):
            request = None
    if request is None:
        return ENGLISH
    try:
        chosen = (getattr(request, "cookies", None) or {}).get(COOKIE)
        headers = getattr(request, "headers", None) or {}
        header = headers.get("accept-language")
    except (AttributeError, TypeError):
        return ENGLISH
    if chosen in (ENGLISH, CHINESE):
        return chosen
    return _from_header(header)


def _name(value: str) -> str:
    """A value carried into a translated template: as it is, unless it is one of :data:`NAMES`, a list of
    :data:`SCRIPTS` or a model's name
    ("run <id>", "model folder <path>", "Hugging Face model <id>": ``ui.api.session.model_name``'s)."""
    if value in NAMES:
        return catalogue().get(value, value)
    scripts = value.split(", ")
    if all(name in SCRIPTS for name in scripts):  # core.data.readable's script_list: "Han" or "Han, Cyrillic"
        return "、".join(catalogue().get(name, name) for name in scripts)
    for template in MODEL_NAMES:
        head = template.removesuffix("{0}")
        if value.startswith(head) and len(value) > len(head) and "\n" not in value:
            return catalogue().get(template, template).format(value[len(head):])
    return value


def _one(text: str) -> str | None:
    """A translation of exactly ``text`` (plain or through a ``{field}`` template), else None."""
    table = catalogue()
    if text in table:
        return table[text]
    for pattern, value, names in _templates():
        match = pattern.match(text)
        if match:
            found = {name: _name(value) for name, value in zip(names, match.groups(), strict=True)}
            return _FIELD.sub(lambda m, found=found: found.get(m.group(1), m.group(0)), value)
    return None


def translate(text: str) -> str:
    """``text`` in Chinese: whole, else line by line, else sentence by sentence; unknown parts stay English."""
    if not text or not text.strip():
        return text
    whole = _one(text.strip())
    if whole is not None:
        return text.replace(text.strip(), whole)
    if "\n" in text:
        return "\n".join(translate(line) for line in text.split("\n"))
    stripped = text.strip()
    sentences = _SENTENCE.split(stripped)
    if len(sentences) > 1:
        return text.replace(stripped, "".join(_one(s) or s for s in sentences))
    return text


def translate_title(text: str) -> str:
    """A figure title in Chinese: ``core.plots.style.title``'s "heading<br><sup>note; note</sup>", the heading and
    each note translated whole (a note may hold "; " itself: the longest run of parts the catalogue knows wins)."""
    head, sep, rest = text.partition("<br><sup>")
    if not sep:
        return translate(text)
    parts, notes, start = rest.removesuffix("</sup>").split("; "), [], 0
    while start < len(parts):
        for end in range(len(parts), start, -1):
            found = _one("; ".join(parts[start:end]))
            if found is not None or end == start + 1:
                notes.append(found if found is not None else "; ".join(parts[start:end]))
                start = end
                break
    return translate(head) + sep + "；".join(notes) + "</sup>"


def tr(text: Any, lang: str | None = None) -> Any:
    """``text`` in the request's language (anything but a string is returned as it is)."""
    if not isinstance(text, str):
        return text
    if (lang or language()) != CHINESE:
        return text
    return translate(text)


def trf(template: str, *values: Any, lang: str | None = None, **named: Any) -> str:
    """One whole message: ``template`` (a catalogue key with ``{0}``, ``{1}``... or ``{name}`` fields) in the
    request's language, filled with ``values`` and ``named`` (never translated). Text the server composes goes
    through this, so a sentence is one catalogue entry and never glued from translated fragments."""
    chosen = catalogue().get(template, template) if (lang or language()) == CHINESE else template
    return chosen.format(*values, **named)


def listing(items: list[str], lang: str | None = None) -> str:
    """Items that are each a whole phrase (already in the request's language), as one list: "a, b, c" or "a，b，c"."""
    return ("，" if (lang or language()) == CHINESE else ", ").join(items)


# Gradio's own keys that its zh-CN locale lacks (the page showed the key, "common.complete", or English, "Runs")
GRADIO_GAPS = {
    "common.complete": "完成", "common.runs": "运行记录", "common.runs_description": "本页面最近的运行记录",
    "common.back_to_app": "应用", "common.back_to_app_description": "返回应用", "common.download_all": "全部下载",
    "common.progress": "进度", "common.run": "运行",
    "status.queue_position": "排队中：第 {position} 位，共 {size} 位",  # a screen reader reads it while a job waits
    "dataframe.filter": "筛选", "dataframe.clear_filter": "清除筛选",
    "dataframe.import_empty_file": "拖入的文件是空的。", "dataframe.import_no_column_names": "拖入的文件没有列名。",
    "dataframe.import_ragged_row": "文件第 {line} 行有 {fields} 个字段，而表头有 {columns} 个。",
    "dataframe.import_static_columns": "无法导入到列为只读的表格中。",
    "dataframe.import_fixed_columns": "此表格只接受 {expected} 列，而文件有 {actual} 列。",
    "dataframe.import_fixed_rows": "此表格只接受 {expected} 行，而文件有 {actual} 行。",
}

# the headings Gradio's page gives its toasts (their type, capitalised), in Chinese
TOAST_NAMES = {"Warning": "警告", "Info": "提示", "Success": "成功", "Error": "错误"}

SWITCH_JS = """
async (choice) => {
  const chosen = choice || 'auto';
  if (chosen === 'auto') {
    document.cookie = '__COOKIE__=; path=/; max-age=0; samesite=lax';
  } else {
    document.cookie = '__COOKIE__=' + chosen + '; path=/; max-age=31536000; samesite=lax';
  }
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
  const wanted = chosen === 'auto' ? (nav.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en') : chosen;
  const url = performance.getEntriesByType('resource').map((e) => e.name)
    .find((n) => /\\/assets\\/core-[^/]*\\.js$/.test(n));
  if (url) { try { (await import(url)).changeLocale(wanted); } catch (e) { console.warn(e); } }
  // Gradio 6's toasts head themselves with their type ("Warning", "Info"), untranslated and whatever title the
  // server gave: rename those headings in the page's language, now and for every toast to come
  window.__tunescopeToastNames = wanted === 'zh-CN' ? __TOAST_NAMES__ : {};
  const rename = () => {
    const names = window.__tunescopeToastNames;
    for (const title of document.querySelectorAll('.toast-title')) {
      for (const node of title.childNodes) {
        const word = node.nodeType === 3 ? node.data.trim() : '';
        const shown = names[word] || Object.keys(names).length === 0
          && Object.entries(__TOAST_NAMES__).find(([, zh]) => zh === word)?.[0];
        if (word && shown && shown !== word) node.data = shown + ' ';
      }
    }
  };
  if (!window.__tunescopeToastWatch) {
    window.__tunescopeToastWatch = new MutationObserver(rename);
    window.__tunescopeToastWatch.observe(document.body, {childList: true, subtree: true});
  }
  rename();
  return chosen;
}
""".replace("__COOKIE__", COOKIE).replace("__TOAST_NAMES__", json.dumps(TOAST_NAMES, ensure_ascii=False))

RESTORE_JS = """
() => {
  const found = document.cookie.split('; ').find((c) => c.startsWith('__COOKIE__='));
  return found ? found.split('=')[1] : 'auto';
}
""".replace("__COOKIE__", COOKIE)
