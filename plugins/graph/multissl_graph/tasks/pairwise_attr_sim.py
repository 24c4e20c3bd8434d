"""PairwiseAttrSim (Jin et al. 2020): regress the feature similarity of node pairs from their embeddings.

Pairs, drawn once: each node with its ``least`` least and ``most`` most cosine-similar nodes and with
the nodes at ``random`` random similarity ranks (the same ranks for every node), itself excluded and
each unordered pair kept once. Each step samples ``pairs_per_step`` of them and minimises
``MSE(W |h_u - h_v|, cos(x_u, x_v))`` (SelfTask-GNN ``selfsl.PairwiseAttrSim`` with ``AttrSim``:
3 / 4 / 3, 5000 pairs). Similarities of the raw (row-normalised) features, ranked ``chunk`` rows at a
time so the work memory stays at ``chunk * N``; all pairs are ranked, so for full-batch graphs.
"""

from __future__ import annotations

import torch
from torch import nn

from multissl_graph.tasks.base import PretextTask, pair_difference


def similarity_pairs(x: torch.Tensor, least: int, most: int, random: int, generator: torch.Generator, chunk: int = 2048):
    """(P, 2) unordered node pairs (u < v) and their (P,) cosine similarities."""
    n = x.shape[0]
    unit = nn.functional.normalize(x.float(), dim=1)
    ranks = torch.randperm(max(n - least - most - 1, 0), generator=generator)[:random] + least
    picked = []
    for start in range(0, n, chunk):
        sims = unit[start:start + chunk] @ unit.t()
        rows = torch.arange(start, min(start + chunk, n))
        sims[torch.arange(len(rows)), rows] = float("nan")  # itself: never a partner
        order = sims.nan_to_num(nan=float("inf")).argsort(dim=1)  # itself sorts last
        columns = torch.cat([order[:, :least], order[:, n - 1 - most:n - 1], order[:, ranks]], dim=1)
        picked.append(torch.stack([rows[:, None].expand_as(columns), columns], dim=-1).reshape(-1, 2))
    pairs = torch.cat(picked).sort(dim=1).values
    pairs = torch.unique(pairs[pairs[:, 0] != pairs[:, 1]], dim=0)
    return pairs, (unit[pairs[:, 0]] * unit[pairs[:, 1]]).sum(dim=1)


class PairwiseAttrSim(PretextTask):
    """Regression of feature cosine similarity from ``|h_u - h_v|``."""

    whole_graph = "it ranks the feature similarity of all N^2 node pairs, and each step scores pairs of any two nodes"

    def __init__(self, hidden_dim: int, input_spec, least: int = 3, most: int = 4, random: int = 3, pairs_per_step: int = 5000) -> None:
        super().__init__(hidden_dim, input_spec)
        self.head = nn.Linear(hidden_dim, 1)
        self.least, self.most, self.random, self.pairs_per_step = least, most, random, pairs_per_step
        self.pairs = torch.empty(0, 2, dtype=torch.long)
        self.similarity = torch.empty(0)

    def build_targets(self, graph, seed):
        x = graph["x"]
        if x.shape[0] < 2:
            raise ValueError("pairwise_attr_sim needs at least 2 nodes")
        pairs, similarity = similarity_pairs(x.cpu(), self.least, self.most, self.random, torch.Generator().manual_seed(seed))
        self.pairs, self.similarity = pairs.to(x.device), similarity.to(x.device)

    def loss(self, h, generator, nodes=None, inputs=None):
        count = min(self.pairs_per_step, len(self.pairs))
        chosen = torch.randperm(len(self.pairs), generator=generator, device=generator.device)[:count].to(h.device)
        pairs = self.pairs[chosen]
        predicted = self.head(pair_difference(h, pairs)).squeeze(1)
        loss = nn.functional.mse_loss(predicted, self.similarity[chosen])
        return loss, {"pairwise_attr_sim": loss.detach()}
