"""PairwiseDistance (Jin et al. 2020, "Self-supervised Learning on Graphs: Deep Insights and New Direction").

Target: the shortest-path class of a node pair, ``c(u, v) = min(d(u, v), 4) - 1`` in {0, 1, 2, 3}
(hops 1, 2, 3, >= 4 or unreachable). Each step samples ``pairs_per_class`` pairs of every class and
minimises ``CE(W |h_u - h_v|, c(u, v))`` (SelfTask-GNN ``selfsl.py``). The reference draws without
replacement; here with, so small classes need no special case, and far pairs by rejection instead of
listing all N^2. Distances come from breadth-first searches (scipy), computed once and kept as an
(N, N) int8 matrix: for full-batch graphs of up to some tens of thousands of nodes.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from multissl_graph.tasks.base import PretextTask, pair_difference

CUTOFF = 3
"""Hops 1..CUTOFF are classes of their own; farther pairs share the last class."""


def distance_classes(edge_index: torch.Tensor, num_nodes: int, chunk: int = 1024) -> torch.Tensor:
    """(N, N) int8: ``min(hops, CUTOFF + 1) - 1`` per pair, unreachable pairs in the last class, -1 on the diagonal.

    Breadth-first searches run ``chunk`` sources at a time, so the float64 distances never take more than
    ``chunk * N`` entries (PubMed's 19,717 nodes: 390 MB of int8 targets).
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import shortest_path

    edges = edge_index.cpu().numpy()
    adjacency = sp.coo_matrix((np.ones(edges.shape[1]), (edges[0], edges[1])), shape=(num_nodes, num_nodes)).tocsr()
    classes = np.empty((num_nodes, num_nodes), dtype=np.int8)
    for start in range(0, num_nodes, chunk):
        sources = np.arange(start, min(start + chunk, num_nodes))
        hops = shortest_path(adjacency, directed=False, unweighted=True, indices=sources)
        classes[sources] = np.minimum(np.nan_to_num(hops, posinf=CUTOFF + 1), CUTOFF + 1).astype(np.int8) - 1
    return torch.from_numpy(classes)


class PairwiseDistance(PretextTask):
    """Classify node pairs by shortest-path distance from ``|h_u - h_v|``."""

    whole_graph = ("its targets are the shortest-path classes of all N^2 node pairs (an N x N matrix), and each step "
                   "draws pairs of any two nodes")

    def __init__(self, hidden_dim: int, input_spec, pairs_per_class: int = 4000) -> None:
        super().__init__(hidden_dim, input_spec)
        self.head = nn.Linear(hidden_dim, CUTOFF + 1)
        self.pairs_per_class = pairs_per_class
        self.classes = torch.empty(0, 0, dtype=torch.int8)
        self.near_pairs: list[torch.Tensor] = []

    def build_targets(self, graph, seed: int) -> None:
        self.classes = distance_classes(graph["edge_index"], graph["x"].shape[0]).to(graph["x"].device)
        self.near_pairs = [(self.classes == c).nonzero() for c in range(CUTOFF)]

    def sample_pairs(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(P, 2) node pairs and their classes: ``pairs_per_class`` of each near class, far pairs by rejection."""
        k, n = self.pairs_per_class, self.classes.shape[0]
        pairs = [p[torch.randint(len(p), (k,), generator=generator, device=generator.device)] for p in self.near_pairs if len(p)]
        candidates = torch.randint(n, (4 * k, 2), generator=generator, device=generator.device)
        far = candidates[self.classes[candidates[:, 0], candidates[:, 1]] == CUTOFF][:k]
        pairs = torch.cat(pairs + [far])
        return pairs, self.classes[pairs[:, 0], pairs[:, 1]].long()

    def loss(self, h, generator, nodes=None, inputs=None):
        pairs, targets = self.sample_pairs(generator)
        logits = self.head(pair_difference(h, pairs))
        loss = nn.functional.cross_entropy(logits, targets)
        return loss, {"pairwise_distance": loss.detach()}
