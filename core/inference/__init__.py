"""Use a classifier: load it once for many requests (``loading``), predict texts or files
(``predict``), and score it on a labelled file (``evaluate``)."""

from core.inference.loading import Loaded, load_for_inference
from core.inference.predict import predict_file, predict_texts

__all__ = ["Loaded", "load_for_inference", "predict_file", "predict_texts"]
