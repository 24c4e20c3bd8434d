"""Serving a trained recommender: user and item embedding tables with the data's ids, and top-K items per user.

The tables are what a nearest-neighbour index serves (score ``e_u · e_i``, as in training): one row per
user or item, indexed by the id as it appears in the data (``multissl embed RUN --what users|items``).
``recommend`` ranks every item for each user by that score, the user's training items excluded
(``multissl recommend RUN --users ... -k 20``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

from multissl.errors import InvalidDataError, RecipeError
from multissl_recsys.evaluation import embeddings_of

TABLES = ("users", "items")


def embedding_table(modality, method, what: str) -> pd.DataFrame:
    """The (U, D) user or (I, D) item embeddings as a DataFrame indexed by the original ids (index ``id``),
    columns ``e0..e{D-1}``."""
    if what not in TABLES:
        raise RecipeError(f"The interactions modality embeds 'users' or 'items', got {what!r}.")
    users, items = embeddings_of(modality, method)
    table, ids = (users, modality.user_ids) if what == "users" else (items, modality.item_ids)
    return pd.DataFrame(table.numpy(), index=pd.Index(ids, name="id"), columns=[f"e{i}" for i in range(table.shape[1])])


def recommend(
    modality, method, users: Sequence[Any], k: int = 20, *, unknown_users: Literal["error", "popular"] = "error"
) -> pd.DataFrame:
    """The top ``k`` items for each of ``users`` (ids as in the data) by ``e_u · e_i``, their training items excluded.

    A user the run was not trained on has no ID-based vector: an error naming them (``unknown_users="error"``),
    or the ``k`` most popular training items marked ``cold_start=True`` (``"popular"``). Returns a long table
    ``user, rank, item, score, cold_start``.
    """
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise RecipeError(f"k must be a positive integer, got {k!r}.")
    if unknown_users not in ("error", "popular"):
        raise RecipeError(f"unknown_users must be 'error' or 'popular', got {unknown_users!r}.")
    ids = [str(u) for u in users]
    if not ids:
        raise InvalidDataError("recommend got no users; pass a list of user ids.")
    index = modality.user_positions(ids)
    unknown = [user for user, position in zip(ids, index, strict=True) if position < 0]
    if unknown and unknown_users == "error":
        raise InvalidDataError(
            f"{len(unknown)} of the users are not in the run's training data (first: {unknown[0]!r}); an ID-based model "
            "has no vector for them. Pass ids from the training interactions, or serve them the most popular items "
            "with run.modality.recommend(run.method, users, k, unknown_users='popular')."
        )
    k = min(int(k), len(modality.item_ids))
    user_emb, item_emb = embeddings_of(modality, method)
    train = modality.matrix()
    popularity = modality.item_popularity().astype(np.float64)
    popular = np.argsort(-popularity, kind="stable")[:k]
    rows = []
    for user, position in zip(ids, index, strict=True):
        if position < 0:
            rows += [(user, r + 1, modality.item_ids[i], float(popularity[i]), True) for r, i in enumerate(popular)]
            continue
        scores = item_emb @ user_emb[position]
        scores[torch.as_tensor(train[[position]].indices.astype(np.int64))] = -torch.inf
        top = scores.topk(k)
        unseen = torch.isfinite(top.values)  # a user who has seen nearly every item gets fewer than k
        ranked = zip(top.values[unseen].tolist(), top.indices[unseen].tolist())
        rows += [(user, r + 1, modality.item_ids[i], float(s), False) for r, (s, i) in enumerate(ranked)]
    return pd.DataFrame(rows, columns=["user", "rank", "item", "score", "cold_start"])
