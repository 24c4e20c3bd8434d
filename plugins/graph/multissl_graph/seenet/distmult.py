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
        """``(H_t * w_r)[s] . H_t[o]``. When there are more triples than (relation, location) pairs (Tokyo:
        159k vs 8 x 3,103), the head side is gathered from the (R, N, D) table of every location scaled
        by every relation, which saves a (triples x D) gather and product per step. ``index_select`` on
        flat tables: its backward is an ``index_add_``."""
        num_slots, n, dim = h.shape
        num_relations = self.relations.shape[0]
        tail = h.reshape(num_slots * n, dim).index_select(0, (triples[:, 1] % self.num_slots) * n + triples[:, 2])
        if num_relations * n <= triples.shape[0]:
            relation_slot = torch.arange(num_relations, device=h.device) % self.num_slots
            scaled = (h.index_select(0, relation_slot) * self.relations.unsqueeze(1)).reshape(num_relations * n, dim)
            head = scaled.index_select(0, triples[:, 1] * n + triples[:, 0])
        else:
            head = h.reshape(num_slots * n, dim).index_select(0, (triples[:, 1] % self.num_slots) * n + triples[:, 0])
            head = head * self.relations.index_select(0, triples[:, 1])
        return (head * tail).sum(dim=1)

    def loss(self, h: torch.Tensor, positives: torch.Tensor, rate: int, generator: torch.Generator) -> torch.Tensor:
        """``sum_t mean_{i in slot t} BCE_i``, as one weighted BCE (each sample weighs 1 / its slot's size)."""
        negatives = corrupt(positives, h.shape[1], rate, generator)
        triples = torch.cat([positives, negatives])
        labels = torch.cat([positives.new_ones(len(positives)), positives.new_zeros(len(negatives))]).to(h.dtype)
        slot = triples[:, 1] % self.num_slots
        weight = (1.0 / torch.bincount(slot, minlength=self.num_slots).clamp(min=1).to(h.dtype))[slot]
        return F.binary_cross_entropy_with_logits(self.score(h, triples), labels, weight=weight, reduction="sum")


def corrupt(triples: torch.Tensor, num_locations: int, rate: int, generator: torch.Generator) -> torch.Tensor:
    """``rate`` copies of ``triples`` with the head or the tail replaced by a uniform random location."""
    negatives = triples.repeat(rate, 1)
    replacement = torch.randint(num_locations, (len(negatives),), generator=generator, device=triples.device)
    head = torch.rand(len(negatives), generator=generator, device=triples.device) < 0.5
    negatives[:, 0] = torch.where(head, replacement, negatives[:, 0])
    negatives[:, 2] = torch.where(head, negatives[:, 2], replacement)
    return negatives
