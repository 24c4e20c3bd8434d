"""The evaluator contract: a field's evaluation of a trained run, with its baseline computed in the same call.

A plugin registers its field's evaluators (``registry.add_evaluator``) and a modality names those it runs
by default (``registry.add_modality(..., evaluators=[...])``); ``multissl evaluate`` and a recipe's
``evaluate:`` block run them. An evaluator's ``Options`` dataclass declares the keys of the ``evaluate:``
block it reads; they are validated with the rest of the recipe, before any data is read.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar

BASELINE_PREFIX = "baseline/"
"""Prefix of a metric's baseline value: ``recall@20`` and ``baseline/recall@20`` come from one call."""
BASELINE_KEY = "baseline"
"""Report key naming what the baseline is (``"raw features"``, ``"GCN without SSL"``)."""


@dataclasses.dataclass
class NoEvaluatorOptions:
    """An evaluator without options."""


class Evaluator(abc.ABC):
    """Scores a run on its field's task and scores a baseline the same way.

    Subclasses set ``Options`` (the ``evaluate:`` keys they read) and implement :meth:`__call__`,
    returning a flat dict: each metric under its name (``node_classification/accuracy``), the baseline's
    value under ``baseline/<name>``, and ``baseline`` naming the baseline. Counts and other facts may
    be added as plain keys (``n_test``).
    """

    Options: ClassVar[type] = NoEvaluatorOptions

    def __init__(self, options: Any = None, *, seed: int = 0) -> None:
        self.options = options if options is not None else self.Options()
        self.seed = seed

    def check(self, modality: Any) -> None:
        """Raise a ``multissl.errors`` error when these options cannot work with ``modality`` (constructed,
        no data read yet); called before training starts. The default accepts everything."""

    @abc.abstractmethod
    def __call__(self, run: Any, source: Any) -> dict[str, Any]:
        """Evaluate ``run`` (a :class:`multissl.Run`) on ``source`` (what the run's modality loads; read it
        with ``run.read(source)``) and return the metrics and their baseline."""
