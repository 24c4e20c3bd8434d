"""A labelled subset of the training windows: a fraction of each class, drawn with a seed."""

from __future__ import annotations

import numpy as np

from multissl.errors import RecipeError


def labelled_subset(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of ``round(fraction · n_c)`` windows of each class ``c`` (at least one), drawn without
    replacement; stratified so that 10% of the labels still show every class once."""
    if not 0 < fraction <= 1:
        raise RecipeError(f"A label fraction must be in (0, 1], got {fraction}.")
    rng = np.random.default_rng(seed)
    chosen = []
    for value in np.unique(labels):
        members = np.flatnonzero(labels == value)
        take = max(1, round(fraction * len(members)))
        chosen.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(chosen))
