"""A run's report: one self-contained HTML file that opens offline (``python -m core report RUN``).

``build`` gathers the run folder, its evaluation and a few integrated-gradients explanations;
``sections`` turns plain data into escaped HTML fragments; ``page`` assembles the document with
plotly.js inlined once under a strict Content-Security-Policy. Exporting the model is ``core.export``.
"""

from core.report.build import HEADINGS, build_report

__all__ = ["HEADINGS", "build_report"]
