"""Refuse a pre-training stage that would fail, before the run's folder or training process exists.

For ``core.job.preflight``: the pre-training file must read as at least two texts, and the base model
must have a language-model form (a masked LM for an encoder, a causal LM for a decoder) and, as an
encoder, a mask token. Only the model's configuration and tokenizer are read, never its weights.
"""

from __future__ import annotations

from typing import Any

from core.config import RunConfig
from core.errors import ConfigError
from core.models import is_decoder, load_model_config, load_tokenizer
from core.pretrain.texts import read_texts


def check_pretrain(config: RunConfig, tokenizer: Any = None) -> int | None:
    """The number of texts in the pre-training file (None without one); a typed error when the stage cannot run."""
    if config.train.pretrain == "off":
        return None
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES

    source = config.model.resolve()
    model_config = load_model_config(source)
    if not is_decoder(model_config):
        if model_config.model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES:
            raise ConfigError(f"{source.display} ({model_config.model_type}) has no masked-language-model form: "
                              "turn pre-training off or choose an encoder such as BERT or RoBERTa.")
        if (tokenizer or load_tokenizer(source)).mask_token is None:
            raise ConfigError(f"{source.display} has no mask token, so it cannot be pre-trained as a masked LM: "
                              "turn pre-training off or choose another model.")
    if config.train.pretrain == "file":
        return len(read_texts(config.train.pretrain_file or "", config.data.text_column))
    return None
