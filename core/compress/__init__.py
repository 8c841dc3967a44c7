"""Make a finished run small and fast: 8-bit quantization and distillation into a smaller student.

``create`` (:func:`compress_run`: from a finished run, a new run folder: ``int8`` at once, quantized on load by
``core.inference.quantized`` and scored on the parent's validation rows; ``distil`` as a normal training run
whose student is the parent with fewer layers, taught by the parent's soft labels: ``core.training.distil``) and
``measure`` (:func:`side_by_side`: accuracy, macro-F1, single-text latency p50, throughput and size of a compressed
run against its parent, measured together on this machine and kept in ``compression.json``).
"""

from core.compress.create import COMPRESSION, METHODS, compress_run, compressed_from
from core.compress.measure import side_by_side

__all__ = ["COMPRESSION", "METHODS", "compress_run", "compressed_from", "side_by_side"]
