"""Mean and variance of feature frames accumulated batch by batch, so that global CMVN fits a corpus of any size."""

from __future__ import annotations

import numpy as np


class FrameStatistics:
    """Per-dimension count, mean and variance (population) of the frames passed to :meth:`update`.

    Batches are merged with Chan, Golub and LeVeque's pairwise update (1979):
    ``δ = μ_b − μ``, ``μ ← μ + δ n_b / n``, ``M2 ← M2 + M2_b + δ² n n_b / (n + n_b)``, in float64.
    """

    def __init__(self, dim: int) -> None:
        self.count = 0
        self.mean = np.zeros(dim)
        self._m2 = np.zeros(dim)

    def update(self, frames: np.ndarray) -> None:
        """Add ``frames`` ``(n, dim)``."""
        n = len(frames)
        if n == 0:
            return
        batch_mean = frames.mean(0)
        delta = batch_mean - self.mean
        total = self.count + n
        self.mean = self.mean + delta * n / total
        self._m2 = self._m2 + ((frames - batch_mean) ** 2).sum(0) + delta**2 * self.count * n / total
        self.count = total

    @property
    def variance(self) -> np.ndarray:
        return self._m2 / max(self.count, 1)
