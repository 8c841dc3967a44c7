"""Checks run inside the page by the browser walk: what is cut, broken mid-word or off-screen, and, in Chinese,
the English words on screen that are not values, ids or technical tokens.

:data:`LAYOUT_JS` returns one line per problem among the **visible** elements of the open tab:

- *clipped*: an element that hides its overflow (``overflow`` hidden/clip, or ``text-overflow: ellipsis``) while
  its content is larger than its box, sideways or downwards (an upload box cut at "Click to Upload", a label
  cut with "…"). Progress overlays (the page is checked at rest: :data:`IDLE_JS`) and drawing surfaces (plots, canvases, the code editor's inner layers) are left out: they clip by
  design and are checked as a whole.
- *broken word*: a Latin word or number (letters and digits, no spaces or hyphens) whose characters sit on more
  than one line, in a table header or cell, a button, a label or any other text ("typ|e"). A break at a space,
  hyphen or between CJK characters is a normal line break.
- *off-screen*: an element whose right edge passes the viewport without a scrolling or clipping box around it,
  and a page that scrolls sideways.
- *table scrolls sideways*: a table wider than its box, so that columns are out of view.

:data:`MIXED_JS` (Chinese pages only) returns each visible text with an English word that is not allowed. Texts
inside code (``code``, ``pre``, the command box, the JSON viewer) and inside inputs are values the user typed, a
command line or raw data, and are skipped; identifiers (a digit or ``_`` inside), command-line flags
(``--val-data``), paths (``model/``) and file names are values, and so are quoted ones (a `` `command` `` or a
``'value'`` of one token, as the help texts list a setting's values) and a radio or checkbox option that shows
its own value when that value is one of the settings' declared choices (the walk passes them: ``finetune``,
``setfit``). The tokens of a text, drawn as labels (the attention views' token groups, a figure's tick labels),
are the user's text. The allow-list is :data:`TECHNICAL` (names of models, formats, devices, libraries and units that
are written the same in Chinese documentation) plus the walk's own values (file names, labels, run ids, model
folder names) passed in by the test; ids of runs (``20261207-…``) and words with digits are values too.
"""

from __future__ import annotations

# Technical tokens that stay as they are in a Chinese UI: model and library names, file formats, devices,
# precisions, metric short names and units. Keep this tight: every entry is a word a Chinese user would also
# see written in Latin letters in Chinese documentation.
TECHNICAL = frozenset({
    "TuneScope", "Gradio", "API", "MiniLM", "MiniLM-L6", "SmolLM2", "BERT", "bert", "RoBERTa", "GPT", "Llama",
    "Hugging", "Face", "SetFit", "LoRA", "Optuna", "ONNX", "CSV", "TSV", "JSON", "JSONL", "HTML", "PNG", "PDF",
    "Parquet", "xlsx", "csv", "tsv", "json", "jsonl", "parquet", "txt", "zip", "onnx", "html", "png", "CPU", "GPU",
    "CUDA", "MPS", "cpu", "cuda", "mps", "fp32", "fp16", "bf16", "F1", "AUC", "ECE", "ETA", "ID", "id", "URL",
    "CLS", "SEP", "PAD", "MASK", "UNK", "PyTorch", "torch", "transformers", "python", "core", "app.py", "README",
    "MB", "GB", "KB", "ms", "AdamW", "TensorBoard", "MLflow", "Trackio", "Dropout", "dropout", "Transformer", "vs",
    # the language menu's label is in both languages on purpose: whoever cannot read the page finds it
    "Language",
    # keyboard keys, named as printed on them
    "Esc",
    # the authors cited in the Attention tab's caveat (Jain & Wallace; Wiegreffe & Pinter)
    "Jain", "Wallace", "Wiegreffe", "Pinter",
})

LAYOUT_JS = r"""
() => {
  const problems = [];
  const vw = document.documentElement.clientWidth;
  const seen = new Set();
  const skip = (el) => el.closest('.js-plotly-plot, svg, canvas, .cm-scroller, .cm-gutters, .cm-content, '
    + '.ts-host, [data-testid="plot"], .plot-container, iframe, [data-testid="status-tracker"], .tunescope-skip-layout');
  const name = (el) => {
    const text = (el.innerText || el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60);
    const id = el.id ? '#' + el.id : '';
    const test = el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : '';
    return `${el.tagName.toLowerCase()}${id}${test} "${text}"`;
  };
  const add = (kind, el, extra) => {
    const line = `${kind}: ${name(el)}${extra ? ' ' + extra : ''}`;
    if (!seen.has(line)) { seen.add(line); problems.push(line); }
  };
  const visible = (el) => {
    if (!el.checkVisibility || !el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 2 && r.height > 2;  // 1 px boxes are screen-reader text, hidden on purpose
  };
  const all = [...document.querySelectorAll('body *')].filter((el) => !skip(el) && visible(el));
  if (document.documentElement.scrollWidth > vw + 1) {
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth}px wide in a ${vw}px window`);
  }
  const scrollsX = (el) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  for (const el of all) {
    const style = getComputedStyle(el);
    const hides = (v) => v === 'hidden' || v === 'clip';
    const hasText = (el.innerText || '').trim().length > 0 || el.querySelector('input, textarea, button');
    if (hasText && (hides(style.overflowX) || style.textOverflow === 'ellipsis') && el.scrollWidth > el.clientWidth + 2) {
      add('clipped sideways', el, `(${el.scrollWidth}px of content in ${el.clientWidth}px)`);
    }
    if (hasText && hides(style.overflowY) && el.scrollHeight > el.clientHeight + 2) {
      add('clipped below', el, `(${el.scrollHeight}px of content in ${el.clientHeight}px)`);
    }
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1) {
      let boxed = false;
      for (let p = el; p && p !== document.body; p = p.parentElement) {  // the table itself may be the box
        if (scrollsX(p)) { boxed = true; break; }
      }
      if (!boxed) add('off-screen', el, `(right edge ${Math.round(r.right)}px, window ${vw}px)`);
    }
    if (el.tagName === 'TABLE') {
      for (let p = el; p && p !== document.body; p = p.parentElement) {  // the table itself may be the box
        if (scrollsX(p)) {
          if (p.scrollWidth > p.clientWidth + 2) add('table scrolls sideways', p, `(${p.scrollWidth}px in ${p.clientWidth}px)`);
          break;
        }
      }
    }
  }
  // words broken across lines: every visible text node, word by word (Latin letters and digits only)
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const word = /[\p{Script=Latin}\p{N}_]{2,}/gu;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || skip(el) || !visible(el) || el.closest('textarea, script, style')) continue;
    for (const m of node.data.matchAll(word)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter((b) => b.width > 0).map((b) => Math.round(b.top)));
      if (tops.size > 1) add('broken word', el, `("${m[0]}" on ${tops.size} lines)`);
    }
  }
  return problems;
}
"""

# True once no progress overlay is showing (what is checked is the page at rest, not a half-drawn one).
IDLE_JS = """() => ![...document.querySelectorAll('[data-testid=status-tracker]')]
  .some((el) => el.checkVisibility() && el.innerText.trim())"""

MIXED_JS = r"""
({allowed, values}) => {
  const allow = new Set(allowed);
  const picked = new Set(values);
  const found = [];
  // a setting's value shown as itself: a radio or checkbox option whose value is the text, one of the settings'
  // declared values (finetune, setfit); anywhere else such a word is still English
  const option = (el, text) => picked.has(text) && el.closest('label')
    && [...el.closest('label').querySelectorAll('input')].some((input) => input.value === text);
  // quoted values in running text: a `command` or a 'value' (one token, no spaces), as code spans are
  const unquoted = (text) => text.replace(/`[^`]+`/g, ' ').replace(/'[^'\s]+'/g, ' ');
  const visible = (el) => el.checkVisibility && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  // a word is a value or a technical token when: allowed, it holds a digit or an underscore (an identifier,
  // max_length), it is a command-line flag (--val-data) or a path part (model/, train.log)
  const technical = (w, text, at) => allow.has(w) || allow.has(w.replace(/[.\-_]+$/, '')) || /[\d_]/.test(w)
    || w.length < 2 || text.slice(Math.max(0, at - 2), at) === '--' || text[at + w.length] === '/'
    || /\.[a-z]{2,5}$/.test(w);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !visible(el)) continue;
    if (el.closest('code, pre, script, style, textarea, .cm-editor, .json-holder, .tunescope-skip-language')) continue;
    if (option(el, node.data.trim())) continue;
    // a text's tokens, drawn as labels: the interactive views' token groups and a figure's tick labels
    if (el.closest('.ts-host [data-index], .xtick, .ytick')) continue;
    const text = unquoted(node.data);
    const foreign = [];
    for (const m of text.matchAll(/[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]/g)) {
      if (!technical(m[0], text, m.index)) foreign.push(m[0]);
    }
    const where = el.closest('[id]:not([id=""])');  // which block: the nearest element with an id, and the tag
    if (foreign.length) found.push(`${node.data.trim().slice(0, 90)}  [${[...new Set(foreign)].join(', ')}]`
      + `  (${el.tagName.toLowerCase()}.${String(el.className).split(' ')[0]}${where ? ' in #' + where.id : ''})`);
  }
  return [...new Set(found)];
}
"""


def allowed_words(*values: str) -> list[str]:
    """:data:`TECHNICAL` plus the walk's own values, each also split into its words (a file name, a run id)."""
    words = set(TECHNICAL)
    for value in values:
        words.add(value)
        words.update(part for part in _split(value) if part)
    return sorted(words)


def _split(value: str) -> list[str]:
    out, current = [], ""
    for ch in value:
        if ch.isascii() and (ch.isalnum() or ch == "_"):
            current += ch
        else:
            out.append(current)
            current = ""
    return [*out, current]
