"""The Chinese catalogue covers every string the app shows (labels, help, messages, figure titles)."""

from __future__ import annotations

import ui.i18n.languages as i18n


def test_catalogue_covers_every_string_of_the_app(tiny_models) -> None:
    from ui.i18n.catalogue import missing
    from ui.interface import build_app

    i18n.catalogue.cache_clear()
    gaps = missing(build_app(folders=[str(tiny_models("bert"))]))
    assert not gaps, f"{len(gaps)} strings lack a Chinese translation (run `python -m ui.catalogue`): {gaps[:10]}"
