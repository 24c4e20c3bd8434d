"""Lightning's start-up chatter (which accelerators exist, a logging-service tip, the model summary) is off
by default; :func:`show` (``multissl pretrain --verbose``) brings it back.

Lightning writes those lines through its ``rank_zero`` loggers at INFO level; the engine raises the level
of those loggers to WARNING unless the level was set explicitly (by :func:`show`, or by the user's own
``logging`` configuration), so warnings and errors still come through.
"""

from __future__ import annotations

import logging
import warnings

LOGGERS = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")
UPSTREAM_DEPRECATIONS = (r"`isinstance\(treespec, LeafSpec\)` is deprecated",)
"""Deprecation notices Lightning's own code triggers in torch on every run; nothing a user can act on."""


def silence() -> None:
    """Hide the INFO lines of Lightning's ``rank_zero`` loggers, unless a level was set for them already, and
    the upstream deprecation notices, unless :func:`show` asked for everything."""
    if not shown():
        for message in UPSTREAM_DEPRECATIONS:
            warnings.filterwarnings("ignore", message=message)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


def show() -> None:
    """Show Lightning's start-up lines and the model summary."""
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def shown() -> bool:
    """Whether :func:`show` asked for the start-up lines (the engine then prints the model summary too)."""
    return logging.getLogger(LOGGERS[0]).level == logging.INFO
