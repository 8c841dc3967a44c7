"""The Attention tab: every head's attention for the model in view."""
