"""SEENet's adaptive distance encoder: distances binned at quantiles of the training relations' distances,
one learned embedding per bin, and a smoothness penalty between neighbouring bins.

``d -> E[bucket(d)]`` with boundaries the ``k/B`` quantiles (k = 1..B-1) of the distances of training
triples, so every bin holds about as many training relations; ``R = lambda * sum_k ||E_{k+1} - E_k||^2``
(lambda = 1e-6 in the reference) keeps neighbouring distances alike. Distances are metres on the local
plane of :mod:`.grid` (the reference uses raw degrees; quantile bins make the unit immaterial).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from multissl_graph.seenet.grid import project_to_metres


def pair_distances(coords: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Metres between the locations of each (a, b) row of ``pairs``."""
    xy = project_to_metres(coords)
    return np.linalg.norm(xy[pairs[:, 0]] - xy[pairs[:, 1]], axis=1)


def quantile_boundaries(distances: np.ndarray, num_bins: int) -> np.ndarray:
    """The ``num_bins - 1`` inner boundaries: the k/num_bins quantiles of ``distances`` (float64)."""
    return np.quantile(distances, np.arange(1, num_bins) / num_bins)


class AdaptiveDistanceEncoder(nn.Module):
    """Embedding of distance bins (bins from ``torch.bucketize(d, boundaries)``)."""

    def __init__(self, num_bins: int, dim: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_bins, dim)

    @property
    def table(self) -> torch.Tensor:
        """(bins, D): layers project this table, then gather rows by bin (cheaper than per pair)."""
        return self.embedding.weight

    def smoothness(self) -> torch.Tensor:
        """``sum_k ||E_{k+1} - E_k||^2`` over neighbouring bins."""
        weight = self.embedding.weight
        return (weight[1:] - weight[:-1]).pow(2).sum()
