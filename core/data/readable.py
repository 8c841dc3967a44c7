"""Can this model read the text? Unknown tokens, characters its vocabulary lacks, and the scripts written.

Under a model's tokenizer, a bounded seeded sample of texts (:data:`READ_SAMPLE_ROWS` rows, the first
:data:`READ_SAMPLE_CHARS` characters of each) is measured for (a) the share of tokens that are the
tokenizer's unknown token, (b) the share of characters the vocabulary cannot represent (a character that
alone tokenizes to the unknown token), and (c) the scripts its letters are written in (the first word of the
character's Unicode name: Latin, Han, Cyrillic, Arabic, ...). A byte-level tokenizer (GPT-2, SmolLM2,
RoBERTa) or one that falls back to bytes has no unknown tokens: it reads any script and is never flagged.
Above :data:`UNREADABLE_SHARE` (declared once), with letters among the unknown characters (emoji and symbols a
vocabulary lacks are no script it cannot read), the text is unreadable for the model, and
:func:`unreadable_sentence` says so in one sentence that names the problem and what to do. The data check
(``core.data.health``), preflight (``core.job.preflight``) and prediction (``core.inference``) share it.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections import Counter
from typing import Any

UNREADABLE_SHARE = 0.2  # above this share of unknown tokens (or characters) the model cannot read the text
READ_SAMPLE_ROWS = 2_000
READ_SAMPLE_CHARS = 1_000
READ_BATCH = 500
_PREFIX_WORDS = {"CJK": "Han", "HANGUL": "Hangul", "HIRAGANA": "Hiragana", "KATAKANA": "Katakana"}
_TWO_WORDS = {"OLD", "NEW", "CANADIAN", "TAI", "PAU", "SORA", "WARANG", "MASARAM", "GUNJALA", "NYIAKENG"}
_SKIP_WORDS = {"FULLWIDTH", "HALFWIDTH", "SMALL", "CAPITAL", "MODIFIER", "MATHEMATICAL", "LETTER"}


def script_of(char: str) -> str | None:
    """The script a letter is written in, from its Unicode name ('Latin', 'Han', 'Cyrillic'); None for a non-letter."""
    if not unicodedata.category(char).startswith("L"):
        return None
    words = [w for w in unicodedata.name(char, "").split() if w not in _SKIP_WORDS]
    if not words:
        return "Other"
    if words[0] in _PREFIX_WORDS:
        return _PREFIX_WORDS[words[0]]
    name = " ".join(words[:2]) if words[0] in _TWO_WORDS and len(words) > 1 else words[0]
    return name.title()


def byte_level(tokenizer: Any) -> bool:
    """Whether the tokenizer reads any text without an unknown token: byte-level BPE or byte fallback."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return getattr(tokenizer, "unk_token_id", None) is None
    try:
        spec = json.loads(backend.to_str())
    except (ValueError, TypeError):
        return False
    model = spec.get("model") or {}
    if model.get("byte_fallback"):
        return True
    parts = [spec.get("pre_tokenizer") or {}]
    parts += parts[0].get("pretokenizers") or []
    return any(part.get("type") == "ByteLevel" for part in parts if isinstance(part, dict))


def _sample(texts: list[str]) -> list[str]:
    texts = [t for t in texts if isinstance(t, str) and t.strip()]
    if len(texts) > READ_SAMPLE_ROWS:
        texts = random.Random(0).sample(texts, READ_SAMPLE_ROWS)
    return [_whole(t[:READ_SAMPLE_CHARS]) for t in texts]


def _whole(text: str) -> str:
    """The text with a lone surrogate (from a command line or a broken file) as U+FFFD, which tokenizers take."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _unknown_chars(tokenizer: Any, chars: list[str], unk: int) -> set[str]:
    """The characters that, alone, tokenize to (or with) the unknown token."""
    unknown: set[str] = set()
    for start in range(0, len(chars), READ_BATCH):
        batch = chars[start:start + READ_BATCH]
        encoded = tokenizer(batch, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        unknown |= {char for char, ids in zip(batch, encoded, strict=True) if unk in ids}
    return unknown


def _token_counts(tokenizer: Any, texts: list[str], unk: int | None, progress: Any = None) -> tuple[int, int]:
    total = unknown = 0
    for start in range(0, len(texts), READ_BATCH):
        encoded = tokenizer(texts[start:start + READ_BATCH], add_special_tokens=False, truncation=False,
                            verbose=False)["input_ids"]
        total += sum(len(ids) for ids in encoded)
        if unk is not None:
            unknown += sum(ids.count(unk) for ids in encoded)
        if progress is not None:
            progress(min(1.0, (start + READ_BATCH) / max(len(texts), 1)))
    return total, unknown


def _shares(counter: Counter, total: int) -> dict[str, float]:
    return {name: round(n / total, 4) for name, n in counter.most_common() if total}


def readability(texts: list[str], tokenizer: Any, model: str, progress: Any = None) -> dict[str, Any]:
    """How well ``tokenizer`` (of the model named ``model``) reads ``texts``: unknown-token and unknown-character
    shares, the scripts written (share of letters) and those it cannot read, and ``unreadable`` with its
    ``message`` above :data:`UNREADABLE_SHARE`. ``progress`` (optional) is called with the fraction done."""
    sample = _sample(list(texts))
    chars = Counter(ch for text in sample for ch in text if not ch.isspace())
    scripts = {ch: script_of(ch) for ch in chars}  # None for a non-letter
    letters = Counter()
    for ch, n in chars.items():
        if scripts[ch]:
            letters[scripts[ch]] += n
    bytes_ok = byte_level(tokenizer)
    unk = None if bytes_ok else getattr(tokenizer, "unk_token_id", None)
    tokens, unknown_tokens = _token_counts(tokenizer, sample, unk, progress)
    missing = _unknown_chars(tokenizer, sorted(chars), unk) if unk is not None else set()
    unknown_chars = sum(chars[ch] for ch in missing)
    lost = Counter()
    for ch in missing:
        if scripts[ch]:  # letters: an emoji or symbol the vocabulary lacks is no script it cannot read
            lost[scripts[ch]] += chars[ch]
    n_chars = sum(chars.values())
    report: dict[str, Any] = {
        "model": model, "byte_level": bytes_ok, "sampled_rows": len(sample), "tokens": tokens,
        "unknown_tokens": unknown_tokens, "unknown_share": round(unknown_tokens / tokens, 4) if tokens else 0.0,
        "characters": n_chars, "unknown_characters": unknown_chars,
        "unknown_char_share": round(unknown_chars / n_chars, 4) if n_chars else 0.0,
        "scripts": _shares(letters, sum(letters.values())),
        "unreadable_scripts": [name for name, _ in lost.most_common(3)], "threshold": UNREADABLE_SHARE,
    }
    share = max(report["unknown_share"], report["unknown_char_share"])
    report["unreadable"] = share > UNREADABLE_SHARE and bool(lost)
    report["message"] = unreadable_sentence(report) if report["unreadable"] else None
    return report


def unreadable_warnings(texts: list[str], tokenizer: Any, model: str) -> list[str]:
    """The sentence saying ``model`` cannot read ``texts`` (a typed text, a file to predict), or no warning."""
    found = readability(texts, tokenizer, model)
    return [found["message"]] if found["unreadable"] else []


def script_list(names: list[str]) -> str:
    """'Han', 'Han, Cyrillic': script names with no English joining word, so a translated sentence holds none."""
    return ", ".join(names) or "this"


def unreadable_sentence(report: dict[str, Any]) -> str:
    """The one sentence that names the problem and what to do, for a report that is ``unreadable``."""
    share = max(report["unknown_share"], report["unknown_char_share"])
    return (f"{share:.0%} of the text is unknown to {report['model']}: it cannot read "
            f"{script_list(report['unreadable_scripts'])} text; pick a model for that script (a multilingual or "
            "Chinese model) or a byte-level one such as the embedded decoder.")


def scripts_line(report: dict[str, Any]) -> str:
    """'Latin 62%, Han 38%': the scripts a report found, most used first."""
    return ", ".join(f"{name} {share:.0%}" for name, share in list(report.get("scripts", {}).items())[:5])
