"""DistMult decoder per time slot with negative sampling (Yang et al. 2015; as SEENet trains it).

``score(s, r, o) = sum_d H_t[s]_d w_r,d H_t[o]_d`` with ``t`` the slot of relation ``r``;
``L = sum_t BCE(scores of slot t's positives and negatives)``; each positive gets ``rate`` negatives
that replace its head or its tail (a fair coin) with a uniformly drawn location.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class DistMult(nn.Module):
    """Relation vectors ``w_r``; ``score(H (S, N, D), triples) -> (E,)``."""

    def __init__(self, num_relations: int, num_slots: int, dim: int) -> None:
        super().__init__()
        self.num_slots = num_slots
        self.relations = nn.Parameter(torch.empty(num_relations, dim))
        nn.init.xavier_uniform_(self.relations, gain=nn.init.calculate_gain("relu"))

    def score(self, h: torch.Tensor, triples: torch.Tensor) -> torch.Tensor:
        slot = triples[:, 1] % self.num_slots
        return (h[slot, triples[:, 0]] * self.relations[triples[:, 1]] * h[slot, triples[:, 2]]).sum(dim=1)

    def loss(self, h: torch.Tensor, positives: torch.Tensor, rate: int, generator: torch.Generator) -> torch.Tensor:
        negatives = corrupt(positives, h.shape[1], rate, generator)
        triples = torch.cat([positives, negatives])
        labels = torch.cat([positives.new_ones(len(positives)), positives.new_zeros(len(negatives))]).to(h.dtype)
        logits = self.score(h, triples)
        slot = triples[:, 1] % self.num_slots
        loss = h.new_zeros(())
        for t in range(self.num_slots):
            chosen = slot == t
            if bool(chosen.any()):
                loss = loss + F.binary_cross_entropy_with_logits(logits[chosen], labels[chosen])
        return loss


def corrupt(triples: torch.Tensor, num_locations: int, rate: int, generator: torch.Generator) -> torch.Tensor:
    """``rate`` copies of ``triples`` with the head or the tail replaced by a uniform random location."""
    negatives = triples.repeat(rate, 1)
    replacement = torch.randint(num_locations, (len(negatives),), generator=generator, device=triples.device)
    head = torch.rand(len(negatives), generator=generator, device=triples.device) < 0.5
    negatives[:, 0] = torch.where(head, replacement, negatives[:, 0])
    negatives[:, 2] = torch.where(head, negatives[:, 2], replacement)
    return negatives
