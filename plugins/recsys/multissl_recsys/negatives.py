"""Uniform negative items for BPR, resampled where they hit one of the user's training items.

Written here rather than taken from ``torch_geometric.utils.structured_negative_sampling`` because that
samples over all nodes of a homogeneous graph, not over the item side of a bipartite one, and runs
on the CPU; this version is vectorised on the batch's device and drawn from the method's seeded
generator. Membership is tested by binary search in the sorted keys ``user * I + item``.
"""

from __future__ import annotations

import torch


def interaction_keys(users: torch.Tensor, items: torch.Tensor, n_items: int) -> torch.Tensor:
    """Sorted ``user * n_items + item`` keys of the training interactions."""
    return torch.sort(users * n_items + items).values


def sample_negatives(
    users: torch.Tensor, keys: torch.Tensor, n_items: int, generator: torch.Generator, max_rounds: int = 10
) -> torch.Tensor:
    """One item per user drawn uniformly from the items the user has not interacted with.

    Collisions are redrawn for up to ``max_rounds`` rounds; a user who interacted with nearly every
    item may keep a collision after that (probability ``(n_u / I) ** max_rounds``).
    """
    negatives = torch.randint(n_items, users.shape, generator=generator, device=users.device)
    for _ in range(max_rounds):
        query = users * n_items + negatives
        position = torch.searchsorted(keys, query).clamp(max=len(keys) - 1)
        hit = keys[position] == query
        if not bool(hit.any()):
            break
        negatives = torch.where(hit, torch.randint(n_items, users.shape, generator=generator, device=users.device), negatives)
    return negatives
