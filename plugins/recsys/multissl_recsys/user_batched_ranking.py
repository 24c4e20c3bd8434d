"""Full-ranking Recall/NDCG@K batched over users, with a progress bar: memory ``batch_users × I``, whatever ``U``.

The metrics are means over the evaluated users (those with a relevant test item), so the users are scored in
blocks of ``batch_users`` by the core's :func:`multissl.eval.ranking.full_ranking_metrics` (every item ranked, the
user's training items excluded) and the per-block sums are added up: the result is the unbatched one up to the
order of floating-point additions. Each block holds its users' embeddings and their rows of the train and test
matrices; its (batch_users, I) scores are the largest allocation. A tqdm bar counts the users on evaluations of
more than ``PROGRESS_FROM`` blocks (redrawn in a terminal, a line every 30 s in a log).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from tqdm.auto import tqdm

from multissl.errors import EmptyDataError, InvalidDataError, RecipeError
from multissl.eval.ranking import full_ranking_metrics

PROGRESS_FROM = 20
"""Blocks of users from which an evaluation shows its progress."""


def batched_full_ranking(
    users: torch.Tensor, items: torch.Tensor, train: sp.csr_array, test: sp.csr_array, *, ks: Sequence[int] = (10, 20),
    batch_users: int = 2048, item_mask: np.ndarray | None = None, progress: bool = True,
) -> dict[str, float]:
    """Recall@K and NDCG@K of (U, D) ``users`` and (I, D) ``items`` on the (U, I) ``test`` matrix over all items, the
    (U, I) ``train`` items excluded, ``batch_users`` users at a time; with ``item_mask`` (I,) only the test items in
    that slice count as relevant. Returns the metrics and ``n_users``, the users with a relevant item."""
    if isinstance(batch_users, bool) or int(batch_users) != batch_users or batch_users < 1:
        raise RecipeError(f"batch_users must be a positive integer, got {batch_users!r}.")
    if not (sp.issparse(train) and sp.issparse(test)) or train.shape != test.shape or train.shape != (len(users), len(items)):
        raise InvalidDataError(
            f"train and test must be scipy.sparse (users, items) = ({len(users)}, {len(items)}) matrices, got "
            f"{getattr(train, 'shape', type(train).__name__)} and {getattr(test, 'shape', type(test).__name__)}."
        )
    train, test = sp.csr_array(train), sp.csr_array(test)
    if item_mask is not None:
        test = (test @ sp.diags_array(np.asarray(item_mask, dtype=np.float32))).tocsr()
    test.eliminate_zeros()
    evaluated = np.flatnonzero(np.diff(test.indptr) > 0)
    if len(evaluated) == 0:
        raise EmptyDataError("No user has a test item" + (" in the item_mask slice" if item_mask is not None else "") + "; ranking metrics need one.")
    blocks = [evaluated[start:start + batch_users] for start in range(0, len(evaluated), batch_users)]
    interactive = sys.stderr.isatty()
    bar = tqdm(total=len(evaluated), desc="ranking", unit="user", disable=not progress or len(blocks) < PROGRESS_FROM,
               mininterval=0.5 if interactive else 30.0, dynamic_ncols=interactive)
    sums: dict[str, float] = {}
    with bar:
        for rows in blocks:
            index = torch.as_tensor(rows, device=users.device)
            block = full_ranking_metrics(users[index], items, train[rows], test[rows], ks=ks, chunk_size=len(rows))
            for name, value in block.items():
                if name != "n_users":
                    sums[name] = sums.get(name, 0.0) + value * block["n_users"]
            bar.update(len(rows))
    return {**{name: total / len(evaluated) for name, total in sums.items()}, "n_users": len(evaluated)}
