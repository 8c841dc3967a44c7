"""TuneScope core: data, models, training, attention and prediction, with no UI code.

Everything the Gradio app does goes through this package, so the same actions are scriptable from
Python and from the headless CLI (``python -m core ...``). It never imports gradio.
"""

from core.errors import Cancelled, ConfigError, DataError, ModelError, RunError, TuneScopeError

__all__ = ["Cancelled", "ConfigError", "DataError", "ModelError", "RunError", "TuneScopeError"]
