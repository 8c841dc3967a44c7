"""The tiny single-label and multi-label runs of the suspect-label tests, reused for ranking and labelling."""

from tests.core.labels.conftest import labelled_runs, reviews, run_copy, tickets  # noqa: F401
