"""Every error multissl raises on purpose, in one place.

Each message says what was wrong and what to do about it. All errors derive from
:class:`MultisslError`, so ``except multissl.errors.MultisslError`` catches exactly ours.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MultisslError(Exception):
    """Base class of every error raised on purpose by multissl and its plugins."""


class InvalidDataError(MultisslError, ValueError):
    """Input data cannot be used as given (empty, NaN or infinite values, wrong shape or type)."""


class EmptyDataError(InvalidDataError):
    """The data holds no samples (or no features)."""


class NonFiniteDataError(InvalidDataError):
    """The data holds NaN or infinite values where finite numbers are required."""


class DatasetNotFoundError(MultisslError, FileNotFoundError):
    """A registered dataset name was given, but its files are not under the data root."""


class RecipeError(MultisslError, ValueError):
    """A recipe (YAML or dict) or an override is malformed: unknown key, wrong type, bad value."""


class UnknownComponentError(MultisslError, KeyError):
    """No component of that kind is registered under that name."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class PluginLoadError(MultisslError, ImportError):
    """A plugin failed to load while MULTISSL_STRICT_PLUGINS=1 makes that fatal."""


class ComponentImportError(MultisslError, ImportError):
    """A component registered lazily (``"module:attribute"``) cannot be imported: its module is missing or broken."""


class PluginLoadWarning(UserWarning):
    """A plugin failed to load and was skipped; ``multissl plugins`` shows its error."""


class NonFiniteLossError(MultisslError, FloatingPointError):
    """The training loss became NaN or infinite; training stopped, the last good checkpoint is kept."""


class RunDirectoryError(MultisslError, OSError):
    """A run directory is missing, incomplete, written by a newer version, or would overwrite a run."""


class ExportError(MultisslError, RuntimeError):
    """A run cannot be exported in the asked format (the encoder does not trace, or an optional extra is missing)."""


class DistributedError(MultisslError, RuntimeError):
    """Processes of a data-parallel job disagree (e.g. on tensor shapes)."""


class TrainingInterrupted(MultisslError, RuntimeError):
    """Training stopped on a signal (SIGTERM, SIGINT, SIGUSR1) after checkpointing its exact position.

    ``signal_number`` is the signal received; the CLI exits with ``128 + signal_number`` (143, 130, 138)."""

    def __init__(self, message: str, signal_number: int) -> None:
        super().__init__(message)
        self.signal_number = signal_number


def close_matches(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The ``n`` names in ``choices`` closest to ``name`` (difflib ratio >= 0.6)."""
    return difflib.get_close_matches(name, list(choices), n=n, cutoff=0.6)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' Did you mean 'x'?' when a close match exists, else ''."""
    matches = close_matches(name, choices)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"
