"""TuneScope's Gradio interface: ui.i18n (languages) < ui.api (every operation) < ui.tabs (the tabs), assembled
by ``ui.interface.build_app``."""
