"""Tokenized unlabelled texts for the pre-training stage, and the batch collator.

Texts are tokenized, joined (a decoder's texts each end with its end-of-text token) and cut into blocks
of ``max_length`` tokens, as Hugging Face's ``run_mlm``/``run_clm`` examples do: no padding, and no
batch of short texts without a single masked token (whose loss would be NaN). Training blocks are masked afresh in every batch (``DataCollatorForLanguageModeling``, masked share
``mlm_probability``) or, for decoders, predict each next token (``mlm=False``: padding is left out of
the loss). Held-out texts of a masked LM are masked once, seeded, when they are tokenized, so every
evaluation scores the same positions and the perplexity curve moves only with the model. Reading the
texts is ``core.pretrain.texts``.
"""

from __future__ import annotations

from typing import Any

from core.errors import DataError

IGNORED = -100  # label of positions left out of the loss
MASK_TRIES = 20


def blocks(tokenizer: Any, texts: list[str], max_length: int, decoder: bool) -> Any:
    """A dataset of ``max_length``-token blocks of the joined texts (the last one may be shorter)."""
    from datasets import Dataset

    end = [tokenizer.eos_token_id] if decoder and tokenizer.eos_token_id is not None else []
    joined: list[int] = []
    for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]:
        joined += list(ids) + end
    cut = [joined[start:start + max_length] for start in range(0, len(joined), max_length)]
    return Dataset.from_dict({"input_ids": cut, "length": [len(ids) for ids in cut]})


def fixed_masks(tokenizer: Any, dataset: Any, mlm_probability: float, seed: int) -> Any:
    """``dataset`` with input ids masked once and ``labels`` (the masked positions' original ids)."""
    from datasets import Dataset
    from transformers import DataCollatorForLanguageModeling

    masker = DataCollatorForLanguageModeling(tokenizer, mlm_probability=mlm_probability, seed=seed)
    rows: dict[str, list[Any]] = {"input_ids": [], "labels": [], "length": []}
    for ids in dataset["input_ids"]:
        for _ in range(MASK_TRIES):  # a short block may draw no mask: draw again, so every block is scored
            batch = masker([{"input_ids": ids}])
            if bool((batch["labels"] != IGNORED).any()):
                rows["input_ids"].append(batch["input_ids"][0].tolist())
                rows["labels"].append(batch["labels"][0].tolist())
                rows["length"].append(len(ids))
                break
    if not rows["input_ids"]:
        raise DataError("The held-out pre-training texts are too short to mask a single token: give more text.")
    return Dataset.from_dict(rows)


def lm_datasets(tokenizer: Any, train_texts: list[str], held_texts: list[str], max_length: int,
                mlm_probability: float | None, seed: int) -> tuple[Any, Any]:
    """(training, held-out) block datasets; a masked LM's (``mlm_probability`` set) held-out blocks carry fixed
    masks, a decoder's are scored on every next token."""
    decoder = mlm_probability is None
    train = blocks(tokenizer, train_texts, max_length, decoder)
    held = blocks(tokenizer, held_texts, max_length, decoder)
    if mlm_probability is not None:
        held = fixed_masks(tokenizer, held, mlm_probability, seed)
    return train, held


class Collator:
    """Masks (or shifts, for decoders) a training batch, drawing again when no token was masked; pads an
    already-masked held-out batch as it is."""

    def __init__(self, tokenizer: Any, mlm_probability: float | None) -> None:
        from transformers import DataCollatorForLanguageModeling, DataCollatorForSeq2Seq

        self.language = DataCollatorForLanguageModeling(tokenizer, mlm=mlm_probability is not None,
                                                        mlm_probability=mlm_probability)
        self.padded = DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=IGNORED)

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        if "labels" in features[0]:
            return self.padded(features)
        for _ in range(MASK_TRIES):  # a batch of short blocks may draw no mask, and its loss would be NaN
            batch = self.language(features)
            if bool((batch["labels"] != IGNORED).any()):
                break
        return batch
