"""Full-ranking evaluation of a trained recommender, overall and on the long-tail items; the most-popular ranking.

Metrics come from :func:`multissl_recsys.user_batched_ranking.batched_full_ranking` (the core's
:func:`multissl.eval.ranking.full_ranking_metrics` on blocks of users, with a progress bar): every item is
ranked for every test user, the user's training items are excluded, memory is ``batch_users × I``. The long tail is every item outside the ``head_fraction`` most popular items by
training interactions (Yao et al. 2021 report the same split of the catalogue); the ranking stays over
all items and only the relevant test items are restricted to the tail.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch

from multissl.errors import InvalidDataError, RecipeError
from multissl_recsys.tables import InteractionTables
from multissl_recsys.user_batched_ranking import batched_full_ranking


def long_tail_mask(popularity: np.ndarray, head_fraction: float = 0.2) -> np.ndarray:
    """Boolean (I,) mask of the items outside the ``ceil(head_fraction · I)`` most popular ones (ties by index)."""
    if not 0.0 < head_fraction < 1.0:
        raise RecipeError(f"head_fraction must be in (0, 1), got {head_fraction}.")
    head = np.argsort(-popularity, kind="stable")[: int(np.ceil(head_fraction * len(popularity)))]
    mask = np.ones(len(popularity), dtype=bool)
    mask[head] = False
    return mask


def embeddings_of(modality, method) -> tuple[torch.Tensor, torch.Tensor]:
    """(U, D) user and (I, D) item embeddings of a trained method, in evaluation mode: its ``user_item_embeddings``,
    else (a generic method) the two halves of ``embed``, which gives ``[user vector, item vector]`` per row."""
    method.eval()
    device = next(method.parameters()).device

    def batch(users: torch.Tensor, items: torch.Tensor) -> dict[str, torch.Tensor]:
        return {k: v.to(device) for k, v in {"user": users, "item": items, **modality.context()}.items()}

    one = torch.zeros(1, dtype=torch.long)
    with torch.inference_mode():
        if hasattr(method, "user_item_embeddings"):
            users, items = method.user_item_embeddings(batch(one, one))
        else:
            n_users, n_items = len(modality.user_ids), len(modality.item_ids)
            users = method.embed(batch(torch.arange(n_users), torch.zeros(n_users, dtype=torch.long)))
            items = method.embed(batch(torch.zeros(n_items, dtype=torch.long), torch.arange(n_items)))
            half = users.shape[1] // 2
            users, items = users[:, :half], items[:, half:]
    return users.float().cpu(), items.float().cpu()


def most_popular_embeddings(modality) -> tuple[torch.Tensor, torch.Tensor]:
    """(U, 1) ones and (I, 1) training interactions per item: every user's ranking is the items by popularity."""
    popularity = torch.as_tensor(modality.item_popularity(), dtype=torch.float64)[:, None]
    return torch.ones(len(modality.user_ids), 1, dtype=torch.float64), popularity


def ranking_metrics(
    modality, users: torch.Tensor, items: torch.Tensor, held_out: sp.csr_array, *, ks: Sequence[int] = (10, 20),
    long_tail: bool = True, head_fraction: float = 0.2, batch_users: int = 2048, max_users: int | None = None, seed: int = 0,
) -> dict[str, float]:
    """Recall@K and NDCG@K of (U, D) ``users`` and (I, D) ``items`` on the (U, I) ``held_out`` matrix over all items,
    the run's training items excluded; with ``long_tail`` the same as ``tail/...`` on the long-tail items (evaluated
    users: ``n_users``, ``n_tail_users``).

    ``max_users`` evaluates a seeded uniform sample of that many held-out users (every item is still ranked);
    ``batch_users`` users are scored at a time (memory ``batch_users × I``).
    """
    if max_users is not None:
        tested = np.flatnonzero(np.diff(held_out.indptr) > 0)
        if len(tested) > max_users:
            keep = np.zeros(held_out.shape[0], dtype=np.float32)
            keep[np.random.default_rng(seed).choice(tested, size=max_users, replace=False)] = 1.0
            held_out = (sp.diags_array(keep) @ held_out).tocsr()
            held_out.eliminate_zeros()
    train = modality.matrix()
    metrics = batched_full_ranking(users, items, train, held_out, ks=ks, batch_users=batch_users)
    if long_tail:
        tail = long_tail_mask(modality.item_popularity(), head_fraction)
        tail_metrics = batched_full_ranking(users, items, train, held_out, ks=ks, batch_users=batch_users, item_mask=tail)
        metrics |= {("n_tail_users" if k == "n_users" else f"tail/{k}"): v for k, v in tail_metrics.items()}
    return metrics


def ranking_report(
    modality, method, tables: InteractionTables, *, ks: Sequence[int] = (10, 20), head_fraction: float = 0.2,
    batch_users: int = 2048, max_users: int | None = None, seed: int = 0,
) -> dict[str, float]:
    """:func:`ranking_metrics` of a trained method on ``tables.test``, overall and on the long tail."""
    if tables.test is None:
        raise InvalidDataError("The interactions have no test split: load them with data.split=random or leave_last_out, or pass train and test.")
    users, items = embeddings_of(modality, method)
    return ranking_metrics(
        modality, users, items, modality.matrix(tables.test), ks=ks, head_fraction=head_fraction, batch_users=batch_users,
        max_users=max_users, seed=seed,
    )
