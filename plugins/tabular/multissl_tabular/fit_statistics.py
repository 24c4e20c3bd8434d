"""Scaling statistics and vocabularies accumulated over a table's chunks, so a streamed table fits in one pass."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from multissl_tabular.modality import TabularTable


class FitStatistics:
    """Running per-column ``min``/``max`` (MinMax), mean and sum of squared deviations ``M2`` (standard), observed
    (non-missing) counts and category sets, over the chunks passed to :meth:`add`.

    Each chunk's mean and ``M2 = Σ(x − mean)²`` are computed around its own mean and merged with Chan, Golub &
    LeVeque's pairwise update (1979): ``δ = mean_b − mean_a``, ``n = n_a + n_b``,
    ``mean = mean_a + δ n_b / n``, ``M2 = M2_a + M2_b + δ² n_a n_b / n``; ``std = sqrt(M2 / n)``, the population std
    of ``np.nanstd``. Unlike ``Σx²/n − mean²`` this keeps its precision on columns with a large offset
    (``1e8 + noise``)."""

    def __init__(self, n_numeric: int, n_categorical: int) -> None:
        self.rows = 0
        self.low = np.full(n_numeric, np.inf)
        self.high = np.full(n_numeric, -np.inf)
        self.mean = np.zeros(n_numeric)
        self.squared_deviations = np.zeros(n_numeric)
        self.observed = np.zeros(n_numeric + n_categorical, dtype=np.int64)
        self.categories: list[set[str]] = [set() for _ in range(n_categorical)]

    def add(self, chunk: TabularTable) -> None:
        values = chunk.numeric
        present = ~np.isnan(values)
        self.rows += len(chunk)
        n_numeric = values.shape[1]
        if len(values):
            self.low = np.fmin(self.low, np.nanmin(np.where(present, values, np.inf), axis=0))
            self.high = np.fmax(self.high, np.nanmax(np.where(present, values, -np.inf), axis=0))
            self._merge_moments(values, present)
        self.observed[:n_numeric] += present.sum(axis=0)
        for j, keys in enumerate(chunk.categorical):
            self.observed[n_numeric + j] += int(keys.notna().sum())
            self.categories[j].update(keys.dropna().unique().tolist())

    def _merge_moments(self, values: np.ndarray, present: np.ndarray) -> None:
        """Chan's merge of this chunk's (count, mean, M2) into the running ones, column by column."""
        count_a = self.observed[: values.shape[1]].astype(np.float64)
        count_b = present.sum(axis=0).astype(np.float64)
        total = count_a + count_b
        safe_b, safe_total = np.maximum(count_b, 1.0), np.maximum(total, 1.0)
        mean_b = np.where(present, values, 0.0).sum(axis=0) / safe_b
        squared_deviations_b = (np.where(present, values - mean_b, 0.0) ** 2).sum(axis=0)
        delta = mean_b - self.mean
        self.mean = self.mean + delta * count_b / safe_total
        self.squared_deviations = self.squared_deviations + squared_deviations_b + delta**2 * count_a * count_b / safe_total

    def offset_and_spread(self, scaling: str) -> tuple[np.ndarray, np.ndarray]:
        """``(min, max − min)`` for ``"minmax"``, ``(mean, std)`` for ``"standard"``."""
        if scaling == "minmax":
            return self.low, self.high - self.low
        count = np.maximum(self.observed[: len(self.mean)], 1)
        return self.mean, np.sqrt(self.squared_deviations / count)
