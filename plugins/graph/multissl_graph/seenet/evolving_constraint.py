"""SE-SSL local task: the evolving constraint (SEENet, KDD 2023).

For each pair (u, v) related by kind k in slot t, predict whether it is still related by k in slot t+1:
``L_t = BCE(MLP_t([H_t[u] * H_t[v] || H_{t+1}[u] * H_{t+1}[v]]), [(u, k, v) holds at t+1])``, one
two-layer MLP (2D -> D -> 1, relu) per slot, summed over slots. Pairs and labels come from the training
relations only (:func:`evolving_pairs`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def evolving_pairs(train: np.ndarray, num_slots: int) -> dict[str, np.ndarray]:
    """``slot, head, tail, label`` of every distinct (slot, kind, head, tail) in ``train``; label 1 when the
    same kind relates head and tail in the next slot (cyclic)."""
    slot, kind = train[:, 1] % num_slots, train[:, 1] // num_slots
    n = int(train[:, [0, 2]].max()) + 1
    pair = train[:, 0] * n + train[:, 2]
    present = np.unique((kind * num_slots + slot) * n * n + pair)
    kind_slot, pair_id = present // (n * n), present % (n * n)
    k, s = kind_slot // num_slots, kind_slot % num_slots
    following = (k * num_slots + (s + 1) % num_slots) * n * n + pair_id
    label = np.isin(following, present).astype(np.float32)
    return {"slot": s, "head": pair_id // n, "tail": pair_id % n, "label": label}


class EvolvingConstraint(nn.Module):
    """One MLP per slot; ``forward(H (S, N, D), pairs) -> summed BCE``."""

    def __init__(self, dim: int, num_slots: int) -> None:
        super().__init__()
        self.heads = nn.ModuleList(nn.Sequential(nn.Linear(2 * dim, dim), nn.ReLU(), nn.Linear(dim, 1)) for _ in range(num_slots))
        for head in self.heads:
            for layer in (head[0], head[2]):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(self, h: torch.Tensor, pairs: dict[str, torch.Tensor]) -> torch.Tensor:
        num_slots = h.shape[0]
        loss = h.new_zeros(())
        for t, head in enumerate(self.heads):
            chosen = pairs["evo_slot"] == t
            if not bool(chosen.any()):
                continue
            u, v = pairs["evo_head"][chosen], pairs["evo_tail"][chosen]
            now, following = h[t], h[(t + 1) % num_slots]
            logits = head(torch.cat([now[u] * now[v], following[u] * following[v]], dim=1)).squeeze(1)
            loss = loss + F.binary_cross_entropy_with_logits(logits, pairs["evo_label"][chosen])
        return loss
