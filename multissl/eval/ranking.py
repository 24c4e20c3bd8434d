"""Ranking metrics for recommendation and link inference: full-ranking Recall/NDCG@K, Hit@K and MRR@K."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from multissl._validation import check_finite_tensor
from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError, RecipeError


def full_ranking_metrics(
    user_embeddings: Any,
    item_embeddings: Any,
    train_items: Any,
    test_items: Any,
    *,
    ks: Sequence[int] = (10, 20),
    chunk_size: int = 2048,
    item_mask: Any = None,
) -> dict[str, float]:
    """Recall@K and NDCG@K over ALL items (the LightGCN / SSLRec protocol, not sampled negatives).

    Scores ``s_ui = u·i``; each user's training items are set to −∞, the top K of the rest are ranked.
    With R_u the user's relevant test items (those in ``item_mask`` when given) and hit_j = [j-th item ∈ R_u]:
    ``Recall@K = Σ_{j≤K} hit_j / |R_u|``, ``NDCG@K = Σ_{j≤K} hit_j / log2(j+1)  /  Σ_{j≤min(|R_u|,K)} 1 / log2(j+1)``,
    averaged over the users with ``|R_u| > 0`` (``n_users``). ``train_items`` and ``test_items`` are
    (U, I) sparse matrices; ``item_mask`` is a boolean (I,) mask of the evaluated item slice (e.g. the
    long tail): ranking stays over all items. Users are scored ``chunk_size`` at a time on the embeddings'
    device, so memory is ``chunk_size × I``, not ``U × I``.
    """
    users, items = _embedding_pair(user_embeddings, item_embeddings)
    n_users, n_items = users.shape[0], items.shape[0]
    train = _interactions(train_items, "train_items", n_users, n_items)
    test = _interactions(test_items, "test_items", n_users, n_items)
    if item_mask is not None:
        mask = np.asarray(item_mask.detach().cpu() if isinstance(item_mask, torch.Tensor) else item_mask)
        if mask.dtype != bool or mask.shape != (n_items,):
            raise InvalidDataError(f"item_mask must be a boolean array of shape ({n_items},), got {mask.dtype} {mask.shape}.")
        test = (test @ sp.diags_array(mask.astype(np.float32))).tocsr()
        test.eliminate_zeros()
    cutoffs = _cutoffs(ks)
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise RecipeError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
    depth = min(max(cutoffs), n_items)
    relevant_counts = np.diff(test.indptr)
    evaluated = np.flatnonzero(relevant_counts > 0)
    if len(evaluated) == 0:
        where = " in the item_mask slice" if item_mask is not None else ""
        raise EmptyDataError(f"No user has a test item{where}; ranking metrics need at least one.")
    device = users.device
    discounts = 1.0 / torch.log2(torch.arange(2, depth + 2, device=device, dtype=torch.float64))
    ideal_dcg = torch.cat([torch.zeros(1, device=device, dtype=torch.float64), discounts.cumsum(0)])
    sums = {f"{name}@{k}": torch.zeros((), device=device, dtype=torch.float64) for k in cutoffs for name in ("recall", "ndcg")}
    for start in range(0, len(evaluated), chunk_size):
        rows = evaluated[start:start + chunk_size]
        scores = users[torch.as_tensor(rows, device=device)] @ items.T
        scores[_coordinates(train[rows], device)] = -torch.inf
        relevant = torch.zeros(scores.shape, dtype=torch.bool, device=device)
        relevant[_coordinates(test[rows], device)] = True
        top = scores.topk(depth, dim=1).indices
        hits = relevant.gather(1, top).to(torch.float64)
        n_relevant = torch.as_tensor(relevant_counts[rows], device=device, dtype=torch.float64)
        for k in cutoffs:
            top_k = min(k, depth)
            sums[f"recall@{k}"] += (hits[:, :top_k].sum(1) / n_relevant).sum()
            dcg = (hits[:, :top_k] * discounts[:top_k]).sum(1)
            sums[f"ndcg@{k}"] += (dcg / ideal_dcg[n_relevant.clamp(max=top_k).long()]).sum()
    return {**{name: float(total) / len(evaluated) for name, total in sums.items()}, "n_users": len(evaluated)}


def hit_and_mrr(ranks: Any, ks: Sequence[int] = (5, 10, 20)) -> dict[str, float]:
    """Hit@K = mean [rank ≤ K] and MRR@K = mean [rank ≤ K] / rank over queries, from the 1-based rank of
    each query's true item (link prediction, next-item recommendation)."""
    if isinstance(ranks, torch.Tensor):
        ranks = ranks.detach().cpu().numpy()
    values = np.asarray(ranks, dtype=np.float64).ravel()
    if values.size == 0:
        raise EmptyDataError("hit_and_mrr got no ranks; pass the 1-based rank of each query's true item.")
    if not np.isfinite(values).all():
        raise NonFiniteDataError(f"hit_and_mrr ranks hold {int((~np.isfinite(values)).sum())} NaN or infinite values.")
    if values.min() < 1:
        raise InvalidDataError(f"Ranks are 1-based (the best is 1), got a rank of {values.min()}.")
    metrics = {}
    for k in _cutoffs(ks):
        within = values <= k
        metrics[f"hit@{k}"] = float(within.mean())
        metrics[f"mrr@{k}"] = float(np.where(within, 1.0 / values, 0.0).mean())
    return metrics


def _embedding_pair(user_embeddings: Any, item_embeddings: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """User and item embeddings as float tensors on the users' device, checked for shape and finiteness."""
    tensors = []
    for what, values in (("user_embeddings", user_embeddings), ("item_embeddings", item_embeddings)):
        tensor = values.detach() if isinstance(values, torch.Tensor) else torch.as_tensor(np.asarray(values))
        if tensor.dim() != 2 or tensor.numel() == 0:
            raise InvalidDataError(f"{what} must be a non-empty 2-D (rows, dimensions) array, got shape {tuple(tensor.shape)}.")
        if tensor.dtype not in (torch.float32, torch.float64):
            tensor = tensor.float()
        check_finite_tensor(tensor, what)
        tensors.append(tensor)
    users, items = tensors
    if users.shape[1] != items.shape[1]:
        raise InvalidDataError(f"User embeddings have {users.shape[1]} dimensions, item embeddings {items.shape[1]}.")
    dtype = torch.promote_types(users.dtype, items.dtype)
    return users.to(dtype), items.to(device=users.device, dtype=dtype)


def _interactions(matrix: Any, what: str, n_users: int, n_items: int) -> sp.csr_array:
    if not sp.issparse(matrix):
        raise InvalidDataError(f"{what} must be a scipy.sparse (users × items) matrix, got {type(matrix).__name__}.")
    if matrix.shape != (n_users, n_items):
        raise InvalidDataError(f"{what} has shape {matrix.shape}; expected (users, items) = ({n_users}, {n_items}).")
    csr = sp.csr_array(matrix, copy=True)  # the clean-up below must not touch the caller's matrix
    csr.eliminate_zeros()
    csr.sum_duplicates()
    return csr


def _coordinates(rows: sp.csr_array, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(row, column) index tensors of the stored entries of a CSR block, for advanced indexing."""
    row_ids = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
    return torch.as_tensor(row_ids, device=device), torch.as_tensor(rows.indices.astype(np.int64), device=device)


def _cutoffs(ks: Sequence[int]) -> list[int]:
    cutoffs = [int(k) for k in ks]
    if not cutoffs or any(k < 1 or k != original for k, original in zip(cutoffs, ks, strict=True)):
        raise RecipeError(f"ks must be positive integers, got {ks!r}.")
    return cutoffs
