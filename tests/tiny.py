"""Tiny transformer models built offline from configs, for fast tests of every supported family.

WordPiece families reuse the embedded MiniLM vocabulary; RoBERTa and GPT-2 get a byte-level BPE
tokenizer trained here on a few sentences, so the decoder path (no pad token) is exercised too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FAMILIES = ("bert", "roberta", "distilbert", "albert", "electra", "deberta-v2", "gpt2")
CORPUS = [
    "the movie was wonderful and the actors were great",
    "a dull , boring film with no story at all",
    "i loved every minute of it",
    "terrible acting and a silly plot",
    "an honest , moving portrait of a family",
    "it is neither funny nor clever",
] * 20


def _config(family: str, vocab_size: int, labels: list[str] | None):
    from transformers import AutoConfig

    common = dict(vocab_size=vocab_size)
    if family == "gpt2":
        sizes = dict(n_embd=32, n_layer=2, n_head=4, n_positions=128)
    elif family == "llama":  # not in FAMILIES: built on request (tests/core/test_decoders.py)
        sizes = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                     intermediate_size=64, max_position_embeddings=128)
    elif family == "distilbert":
        sizes = dict(dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=128)
    else:
        sizes = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                     max_position_embeddings=130)
        if family == "albert":
            sizes["embedding_size"] = 16
        if family == "electra":
            sizes["embedding_size"] = 32
    config = AutoConfig.for_model(family, **common, **sizes)
    if labels:
        config.num_labels = len(labels)
        config.id2label = dict(enumerate(labels))
        config.label2id = {label: i for i, label in enumerate(labels)}
    return config


def _bpe_tokenizer(family: str):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2TokenizerFast, RobertaTokenizerFast

    bpe = ByteLevelBPETokenizer()
    specials = ["<|endoftext|>"] if family in ("gpt2", "llama") else ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe.train_from_iterator(CORPUS, vocab_size=400, min_frequency=1, special_tokens=specials)
    if family in ("gpt2", "llama"):
        return GPT2TokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<|endoftext|>",
                                 eos_token="<|endoftext|>", unk_token="<|endoftext|>")
    from tokenizers.processors import RobertaProcessing

    bpe._tokenizer.post_processor = RobertaProcessing(("</s>", bpe.token_to_id("</s>")), ("<s>", bpe.token_to_id("<s>")))
    return RobertaTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>",
                                sep_token="</s>", cls_token="<s>", unk_token="<unk>", pad_token="<pad>",
                                mask_token="<mask>")


def make_tiny_model(folder: Path, family: str = "bert", labels: list[str] | None = None, seed: int = 0) -> Path:
    """Save a randomly initialised 2-layer, 4-head ``family`` model (+ tokenizer) into ``folder``."""
    from transformers import AutoTokenizer

    from core.modelref import default_model_path

    folder = Path(folder)
    if family in ("roberta", "gpt2", "llama"):
        tokenizer = _bpe_tokenizer(family)
    else:
        tokenizer = AutoTokenizer.from_pretrained(default_model_path())
    config = _config(family, len(tokenizer), labels)
    if family in ("gpt2", "llama"):
        config.pad_token_id = None
        config.bos_token_id = config.eos_token_id = tokenizer.eos_token_id
    return _save_random(folder, config, tokenizer, labels, seed)


SPECIAL_WORDPIECE = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def make_wordpiece_model(folder: Path, characters: str, labels: list[str] | None = None, seed: int = 0) -> Path:
    """A tiny BERT whose WordPiece vocabulary holds only ``characters`` (each alone and as ``##`` piece) and the
    corpus' words: text in a script it lacks tokenizes to [UNK], text in its script does not."""
    from transformers import BertTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pieces = dict.fromkeys(SPECIAL_WORDPIECE + [c for c in characters] + [f"##{c}" for c in characters]
                           + sorted({w for line in CORPUS for w in line.split()}))
    tokenizer = BertTokenizerFast(vocab={piece: i for i, piece in enumerate(pieces)}, do_lower_case=True)
    config = _config("bert", len(tokenizer), labels)
    return _save_random(folder, config, tokenizer, labels, seed)


def _save_random(folder: Path, config: Any, tokenizer: Any, labels: list[str] | None, seed: int) -> Path:
    """A model of ``config`` with seeded random weights (a classifier when ``labels``), saved with ``tokenizer``."""
    import torch
    from transformers import AutoModel, AutoModelForSequenceClassification

    torch.manual_seed(seed)
    model = (AutoModelForSequenceClassification if labels else AutoModel).from_config(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
