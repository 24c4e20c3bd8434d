"""Train/test splits of an interactions table: random per user, and leave-last-out by time.

Both split each user separately, so every user with two or more interactions keeps at least one in
training and has at least one in test. A user with a single interaction cannot be evaluated: that
interaction stays in training (the count is returned, never silently hidden).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from multissl.errors import InvalidDataError, RecipeError
from multissl_recsys.tables import TIMESTAMP, USER


def random_per_user(frame: pd.DataFrame, test_fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Per user with n >= 2 interactions, ``clip(round(n * test_fraction), 1, n - 1)`` random ones go to test.

    Returns ``(train, test, single_interaction_users)``.
    """
    if not 0.0 < test_fraction < 1.0:
        raise RecipeError(f"data.test_fraction must be in (0, 1), got {test_fraction}.")
    rng = np.random.default_rng(seed)
    order = frame.assign(_key=rng.random(len(frame))).groupby(USER, sort=False, observed=True)["_key"].rank(method="first").to_numpy()
    counts = frame.groupby(USER, sort=False, observed=True)[USER].transform("size").to_numpy()
    n_test = np.clip(np.rint(counts * test_fraction), 1, counts - 1)
    is_test = (counts >= 2) & (order <= n_test)
    return _split(frame, is_test, counts)


def leave_last_out(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Per user with n >= 2 interactions, the latest one (by ``timestamp``; ties by row order) goes to test."""
    if TIMESTAMP not in frame:
        raise RecipeError("data.split=leave_last_out needs timestamps: set data.timestamp_column to the time column.")
    order = frame.assign(_row=np.arange(len(frame))).sort_values([TIMESTAMP, "_row"], kind="stable")
    rank_from_end = order.groupby(USER, sort=False, observed=True).cumcount(ascending=False).reindex(frame.index).to_numpy()
    counts = frame.groupby(USER, sort=False, observed=True)[USER].transform("size").to_numpy()
    return _split(frame, (counts >= 2) & (rank_from_end == 0), counts)


def _split(frame: pd.DataFrame, is_test: np.ndarray, counts: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    single = int(frame.loc[counts == 1, USER].nunique())
    test = frame[is_test].reset_index(drop=True)
    if len(test) == 0:
        raise InvalidDataError("No user has two or more interactions, so no test set can be split off; pass more data.")
    return frame[~is_test].reset_index(drop=True), test, single
