"""NodeProperty (Jin et al. 2020): predict each node's degree class from its embedding.

Classes: degree <= 2 -> 0, 3..7 -> 1, > 7 -> 2 (SelfTask-GNN ``ssl_utils.split_multiclass``). Loss
``CE(W h_i, c_i)`` over all nodes (a mini-batch's seed nodes on large graphs; degrees of the full graph). The reference also means to force nodes between the 35th and 65th
degree percentile into the middle class, but its test ``d > s[0.35n] and d <= s[0.65n]`` on values
sorted in descending order never holds, so it changes nothing; it is left out here too.
"""

from __future__ import annotations

import torch
from torch import nn

from multissl_graph.tasks.base import PretextTask


def degree_classes(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """(N,) long degree classes of an undirected graph given with both edge directions."""
    degree = torch.bincount(edge_index[0].cpu(), minlength=num_nodes).float()
    classes = torch.ones(num_nodes, dtype=torch.long)
    classes[degree <= 2] = 0
    classes[degree > 7] = 2
    return classes


class NodeProperty(PretextTask):
    """Degree-class prediction."""

    def __init__(self, hidden_dim: int, input_spec) -> None:
        super().__init__(hidden_dim, input_spec)
        self.head = nn.Linear(hidden_dim, 3)
        self.classes = torch.empty(0, dtype=torch.long)

    def build_targets(self, graph, seed):
        self.classes = degree_classes(graph["edge_index"], graph["x"].shape[0]).to(graph["x"].device)

    def loss(self, h, generator, nodes=None, inputs=None):
        targets = self.classes if nodes is None else self.classes[nodes]
        loss = nn.functional.cross_entropy(self.head(h), targets)
        return loss, {"node_property": loss.detach()}
