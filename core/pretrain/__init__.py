"""Domain-adaptive pre-training: an optional first stage of a run that continues masked-LM (encoders) or
causal-LM (decoders) training on unlabelled text before fine-tuning.

``texts`` reads the unlabelled texts and holds out 5% for perplexity, ``data`` tokenizes and masks them,
``lm`` loads a model's language-model form, ``stage`` trains it into the run folder's ``pretrain/``.
Fine-tuning is ``core.training``; fill-mask and next-token predictions are ``core.inference.fill``.
Nothing is imported here, so ``core.pretrain.lm`` loads without the Trainer.
"""
