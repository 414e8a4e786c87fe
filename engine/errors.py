"""Errors the engine raises for bad input. Each message is one readable line meant for the user."""


class EngineError(RuntimeError):
    """Base class: the command line prints these as `error: ...`, the window in a message box."""


class ConfigError(EngineError, ValueError):
    """A configuration value is out of range; the message says which and why."""


class DataError(EngineError):
    """The data cannot be had; the message says where we looked and what is expected."""


class CheckpointError(EngineError):
    """A checkpoint was refused; the message says why. The running session is untouched."""


class SaveError(EngineError):
    """A file could not be written; the message says where and why. A file already there is untouched."""
