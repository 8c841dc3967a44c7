"""The Chinese catalogue covers every string the app shows (labels, help, messages, figure titles).

The app is built over an empty runs folder of the test's own: the user's runs (their names show in the
app's choices) are not strings of the app, and a checkout where the app was used passes the same.
"""

from __future__ import annotations

from pathlib import Path

import ui.i18n.languages as i18n


def test_catalogue_covers_every_string_of_the_app(tiny_models, tmp_path: Path) -> None:
    from ui.i18n.catalogue import missing
    from ui.interface import build_app

    i18n.catalogue.cache_clear()
    gaps = missing(build_app(runs_root=str(tmp_path / "runs"), folders=[str(tiny_models("bert"))]))
    assert not gaps, f"{len(gaps)} strings lack a Chinese translation (run `python -m ui.catalogue`): {gaps[:10]}"
