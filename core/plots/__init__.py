"""Every figure TuneScope draws, in one shared style (``style``), from plain data only.

``training`` (loss and metric curves), ``data`` (health report), ``attention`` (token-level views),
``heads`` (whole-head figures and attributions), ``prediction`` (probability bars), ``export``
(standalone HTML and PNG). No model or file access and no gradio: callers pass lists and arrays.
"""
