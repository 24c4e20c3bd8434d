"""Distance2Clusters (Jin et al. 2020): regress each node's closeness to the centres of graph clusters.

The graph is partitioned into ``num_clusters`` parts by METIS (pymetis, Karypis & Kumar 1998); a part's
centre is its node of highest degree inside the part. Target ``t_ik = 1 / hops(i, centre_k)``, 0 when
the centre is unreachable (another connected component), 1 for the centre itself; loss
``MSE(W h_i, t_i)`` over all nodes (SelfTask-GNN ``selfsl.DistanceCluster``, regression). The reference
leaves the centre's own target at 0, the value of an unreachable node; here it is the maximum, 1.
Targets of the full graph, so mini-batches only index them.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from multissl_graph.tasks.base import PretextTask
from multissl_graph.tasks.hops import adjacency, hops_from, inverse_hops


def metis_parts(edge_index: torch.Tensor, num_nodes: int, num_parts: int, seed: int) -> np.ndarray:
    """(N,) part of each node from METIS (pymetis); isolated nodes are spread over the parts by METIS too."""
    import pymetis

    graph = adjacency(edge_index, num_nodes)
    if num_parts == 1:
        return np.zeros(num_nodes, dtype=np.int64)
    _, parts = pymetis.part_graph(
        num_parts, pymetis.CSRAdjacency(graph.indptr.astype(np.int64), graph.indices.astype(np.int64)),
        options=pymetis.Options(seed=seed),
    )
    return np.asarray(parts, dtype=np.int64)


def cluster_centres(edge_index: torch.Tensor, parts: np.ndarray, num_parts: int) -> np.ndarray:
    """(K,) per part, its node with the most neighbours inside the part (lowest id on ties); -1 for an empty part."""
    source, target = edge_index.cpu().numpy()
    inside = parts[source] == parts[target]
    degree = np.bincount(source[inside], minlength=len(parts))
    centres = np.full(num_parts, -1, dtype=np.int64)
    order = np.lexsort((np.arange(len(parts)), -degree))  # by degree descending, then id
    first = np.unique(parts[order], return_index=True)
    centres[first[0]] = order[first[1]]
    return centres


class Distance2Clusters(PretextTask):
    """Regression of ``1 / hops`` to each METIS cluster's centre."""

    def __init__(self, hidden_dim: int, input_spec, num_clusters: int = 10) -> None:
        super().__init__(hidden_dim, input_spec)
        if num_clusters < 1:
            raise ValueError(f"num_clusters must be at least 1, got {num_clusters}")
        self.num_clusters = num_clusters
        self.head = nn.Linear(hidden_dim, num_clusters)
        self.targets = torch.empty(0, num_clusters)

    def build_targets(self, graph, seed):
        edge_index, num_nodes = graph["edge_index"], graph["x"].shape[0]
        if num_nodes < self.num_clusters:
            raise ValueError(f"num_clusters={self.num_clusters} exceeds the graph's {num_nodes} nodes; lower num_clusters.")
        parts = metis_parts(edge_index, num_nodes, self.num_clusters, seed)
        self.centres = centres = cluster_centres(edge_index, parts, self.num_clusters)
        closeness = np.zeros((num_nodes, self.num_clusters), dtype=np.float32)
        found = centres >= 0
        closeness[:, found] = inverse_hops(hops_from(edge_index, num_nodes, centres[found])).T
        self.targets = torch.from_numpy(closeness).to(graph["x"].device)

    def loss(self, h, generator, nodes=None, inputs=None):
        targets = self.targets if nodes is None else self.targets[nodes]
        loss = nn.functional.mse_loss(self.head(h), targets)
        return loss, {"distance2clusters": loss.detach()}
