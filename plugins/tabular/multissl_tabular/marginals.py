"""The training set's per-column marginals, kept as a few hundred points, and SCARF's corruption drawing from them.

SCARF (Bahri et al., ICLR 2022, section 3) replaces a random share of a row's features by draws from "the empirical
marginal distribution of each feature over the training set". A run keeps, per column, the values at
``MARGINAL_POINTS`` evenly spaced ranks of the column sorted over a uniform sample of up to ``SAMPLE_ROWS`` training
rows (every row when fewer; missing values sort last, so they are drawn at their training rate): a draw from them is
a draw from the training marginal up to ``1 / MARGINAL_POINTS`` in its distribution function, and exactly from it
when the table has at most ``MARGINAL_POINTS`` rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from multissl.views.base import choose_positions, rounded_count

if TYPE_CHECKING:
    from multissl_tabular.modality import TabularTable

MARGINAL_POINTS = 256
SAMPLE_ROWS = 65536


class RowSample:
    """A uniform sample of up to ``size`` rows of a table read in chunks: each row gets a uniform key (a fixed seed)
    and the ``size`` lowest keys are kept, so the sample holds every row of a table of at most ``size`` rows."""

    def __init__(self, size: int = SAMPLE_ROWS, seed: int = 0) -> None:
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.keys = np.zeros(0)
        self.numeric: np.ndarray | None = None
        self.categorical: list[np.ndarray] = []

    def add(self, chunk: TabularTable) -> None:
        """Merge the rows of ``chunk`` into the sample."""
        keys = np.concatenate([self.keys, self.rng.random(len(chunk))])
        numeric = chunk.numeric if self.numeric is None else np.concatenate([self.numeric, chunk.numeric])
        categorical = [series.to_numpy(dtype=object) for series in chunk.categorical]
        if self.numeric is not None:
            categorical = [np.concatenate([kept, new]) for kept, new in zip(self.categorical, categorical)]
        rows = np.sort(np.argsort(keys, kind="stable")[: self.size])
        self.keys, self.numeric, self.categorical = keys[rows], numeric[rows], [c[rows] for c in categorical]

    def columns(self) -> tuple[np.ndarray, list[pd.Series]]:
        """The sampled rows: numeric (S, n_num) and the categorical keys, one Series a column."""
        return self.numeric, [pd.Series(c, dtype="str").where(pd.notna(c)) for c in self.categorical]


def marginal_points(values: np.ndarray, points: int = MARGINAL_POINTS) -> np.ndarray:
    """``(min(points, N), F)``: per column of ``values`` (N, F), its values at ranks ``⌊(i + ½) N / points⌋`` of the
    column sorted with NaN last."""
    n = values.shape[0]
    count = min(points, n)
    ranks = ((np.arange(count) + 0.5) * n / count).astype(np.int64)
    return np.sort(values, axis=0)[ranks].astype(np.float32)


def corrupt_from_marginals(x: Tensor, marginals: Tensor, ratio: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """SCARF's corruption of rows ``x`` (N, F): per row, ``round(ratio · F)`` columns drawn uniformly are replaced,
    each by one of its column's ``marginals`` (P, F) points drawn uniformly. Returns the corrupted copy and the
    bool (N, F) mask of the replaced entries."""
    n, width = x.shape
    mask = choose_positions(
        torch.ones(n, width, dtype=torch.bool, device=x.device),
        rounded_count(ratio, torch.full((n,), width, device=x.device)), generator,
    )
    drawn = torch.randint(marginals.shape[0], (n, width), generator=generator, device=x.device)
    replacement = marginals.to(x.dtype).gather(0, drawn)
    return torch.where(mask, replacement, x), mask
