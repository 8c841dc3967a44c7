"""TuneScope's Gradio interface: one module per tab, assembled by ``ui.interface.build_app``."""
