"""The normalised user-item graph of LightGCN, and its edge- and node-dropped versions (SGL).

``Â = D^{-1/2} A D^{-1/2}`` over the bipartite graph with users ``0..U-1`` and items ``U..U+I-1``
(He et al. 2020, LightGCN, eq. 7), stored as a torch CSR matrix, so that ``LGConv`` propagates with one
sparse-dense product per layer. It is assembled directly in CSR order from the sorted interaction keys
(``Â = [[0, R̃], [R̃ᵀ, 0]]``, ``R̃ = D_U^{-1/2} R D_I^{-1/2}``: the rows of ``R``, then those of ``Rᵀ``), on the
interactions' device, in a few arrays of E or 2E entries; PyG's ``gcn_norm`` gives the same values but builds,
sorts and coalesces a 2 × 2E COO edge index first. Repeated interactions count once.

:class:`SymmetricLGConv` is PyG's ``LGConv`` with its sparse product replaced by
:class:`SymmetricSparseProduct`, written here because ``Â`` is symmetric, so the backward pass
``Âᵀ g = Â g`` is one more CSR product; torch's generic backward transposes the CSR matrix on every
call (4x the forward's time on Gowalla with one CPU thread).
"""

from __future__ import annotations

import torch
from torch_geometric.nn import LGConv


def normalized_adjacency(users: torch.Tensor, items: torch.Tensor, n_users: int, n_items: int) -> torch.Tensor:
    """The (U+I, U+I) CSR matrix ``Â`` of the interactions ``(users[k], items[k])`` (each one an undirected edge),
    on their device; nodes without an interaction have an empty row."""
    return _csr(_normalized_parts(users, items, n_users, n_items)[:3])


def _normalized_parts(
    users: torch.Tensor, items: torch.Tensor, n_users: int, n_items: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """CSR ``(crow, col, value)`` of ``Â`` (the rows of ``R``, then those of ``Rᵀ``) and the sorted distinct keys
    ``u * I + i`` of the interactions."""
    keys = torch.unique(users * n_items + items)  # sorted, each interaction once: the rows of R in CSR order
    user, item = keys // n_items, keys % n_items
    transposed = torch.sort(item * n_users + user).values  # the rows of Rᵀ in CSR order
    t_item, t_user = transposed // n_users, transposed % n_users
    degree = torch.cat([torch.bincount(user, minlength=n_users), torch.bincount(item, minlength=n_items)])
    scale = degree.to(torch.float32).pow(-0.5).masked_fill(degree == 0, 0.0)
    user_scale, item_scale = scale[:n_users], scale[n_users:]
    crow = torch.cat([degree.new_zeros(1), degree.cumsum(0)])
    col = torch.cat([item + n_users, t_user])
    value = torch.cat([user_scale[user] * item_scale[item], item_scale[t_item] * user_scale[t_user]])
    return crow, col, value, keys


def _csr(parts: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
    crow, col, value = parts
    n = crow.numel() - 1
    return torch.sparse_csr_tensor(crow, col, value, (n, n))


def graph_context(users: torch.Tensor, items: torch.Tensor, n_users: int, n_items: int) -> dict[str, torch.Tensor]:
    """What every batch carries about the training graph, computed once from the data: the interactions
    ``graph_user``/``graph_item`` (E,), ``Â`` as its CSR parts ``graph_adjacency/crow``, ``/col``, ``/value`` (plain
    tensors, which move, pickle and trace like any batch entry; :func:`batch_adjacency` reassembles them) and
    ``graph_keys`` (sorted ``u * I + i``)."""
    crow, col, value, keys = _normalized_parts(users, items, n_users, n_items)
    return {
        "graph_user": users,
        "graph_item": items,
        "graph_adjacency/crow": crow,
        "graph_adjacency/col": col,
        "graph_adjacency/value": value,
        "graph_keys": keys,
    }


def batch_adjacency(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The batch's ``Â`` as a CSR matrix over its parts (no copy)."""
    crow = batch["graph_adjacency/crow"]
    n = crow.numel() - 1
    return torch.sparse_csr_tensor(crow, batch["graph_adjacency/col"], batch["graph_adjacency/value"], (n, n))


def edge_dropped(users: torch.Tensor, items: torch.Tensor, drop_ratio: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The interactions with each one removed independently with probability ``drop_ratio`` (SGL-ED, Wu et al. 2021, eq. 4)."""
    keep = torch.rand(users.shape, generator=generator, device=users.device) >= drop_ratio
    return users[keep], items[keep]


def node_dropped(
    users: torch.Tensor, items: torch.Tensor, n_users: int, n_items: int, drop_ratio: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """The interactions left when each user and each item is removed with probability ``drop_ratio``, with all its
    interactions (SGL-ND, Wu et al. 2021, eq. 3)."""
    kept_users = torch.rand(n_users, generator=generator, device=users.device) >= drop_ratio
    kept_items = torch.rand(n_items, generator=generator, device=items.device) >= drop_ratio
    keep = kept_users[users] & kept_items[items]
    return users[keep], items[keep]


class SymmetricSparseProduct(torch.autograd.Function):
    """``y = Â x`` for a symmetric sparse ``Â`` (no gradient to ``Â``); backward ``∂x = Â ∂y``."""

    @staticmethod
    def forward(ctx, adjacency: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        ctx.adjacency = adjacency
        return torch.sparse.mm(adjacency, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return None, torch.sparse.mm(ctx.adjacency, grad)


class SymmetricLGConv(LGConv):
    """``LGConv`` (``x' = Â x``, He et al. 2020) on a pre-normalised symmetric sparse ``Â``."""

    def __init__(self) -> None:
        super().__init__(normalize=False)

    def message_and_aggregate(self, adj_t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return SymmetricSparseProduct.apply(adj_t, x)
