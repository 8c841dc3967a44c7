"""The Model tab: the model in view, the base model for training, the fill-mask playground."""
