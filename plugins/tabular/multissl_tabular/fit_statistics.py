"""Scaling statistics and vocabularies accumulated over a table's chunks, so a streamed table fits in one pass."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from multissl_tabular.modality import TabularTable


class FitStatistics:
    """Running per-column ``min``/``max`` (MinMax), ``Σx``/``Σx²``/count (standard: ``mean = Σx/n``,
    ``std = sqrt(Σx²/n − mean²)``, the population std of ``np.nanstd``), observed (non-missing) counts and
    category sets, over the chunks passed to :meth:`add`."""

    def __init__(self, n_numeric: int, n_categorical: int) -> None:
        self.rows = 0
        self.low = np.full(n_numeric, np.inf)
        self.high = np.full(n_numeric, -np.inf)
        self.total = np.zeros(n_numeric)
        self.total_squares = np.zeros(n_numeric)
        self.observed = np.zeros(n_numeric + n_categorical, dtype=np.int64)
        self.categories: list[set[str]] = [set() for _ in range(n_categorical)]

    def add(self, chunk: TabularTable) -> None:
        values = chunk.numeric
        present = ~np.isnan(values)
        self.rows += len(chunk)
        n_numeric = values.shape[1]
        self.observed[:n_numeric] += present.sum(axis=0)
        if len(values):
            self.low = np.fmin(self.low, np.nanmin(np.where(present, values, np.inf), axis=0))
            self.high = np.fmax(self.high, np.nanmax(np.where(present, values, -np.inf), axis=0))
            filled = np.where(present, values, 0.0)
            self.total += filled.sum(axis=0)
            self.total_squares += (filled**2).sum(axis=0)
        for j, keys in enumerate(chunk.categorical):
            self.observed[n_numeric + j] += int(keys.notna().sum())
            self.categories[j].update(keys.dropna().unique().tolist())

    def offset_and_spread(self, scaling: str) -> tuple[np.ndarray, np.ndarray]:
        """``(min, max − min)`` for ``"minmax"``, ``(mean, std)`` for ``"standard"``."""
        if scaling == "minmax":
            return self.low, self.high - self.low
        count = np.maximum(self.observed[: len(self.total)], 1)
        mean = self.total / count
        return mean, np.sqrt(np.maximum(self.total_squares / count - mean**2, 0.0))
