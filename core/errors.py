"""Typed errors raised by core; each message says what is wrong and how to fix it.

Only the UI turns these into ``gr.Error``/``gr.Warning`` and only the CLI into ``error:`` lines.
"""


class TuneScopeError(Exception):
    """Base class: the message is meant for the user, as one or two plain sentences."""


class DataError(TuneScopeError):
    """The labelled file cannot be read or used as given."""


class ModelError(TuneScopeError):
    """The model cannot be found, loaded or used for this task."""


class ConfigError(TuneScopeError):
    """A setting is out of range or inconsistent with another."""


class RunError(TuneScopeError):
    """A run folder is missing, incomplete or in the wrong state for the action."""


class Cancelled(TuneScopeError):
    """Long work stopped before it finished: over its time limit, or nobody is waiting for it any more."""
