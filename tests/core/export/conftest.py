"""A tiny finished run for the export tests (trained once per module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.core.report.tiny_run import make_tiny_run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("export-run"), tiny_models("bert"))
