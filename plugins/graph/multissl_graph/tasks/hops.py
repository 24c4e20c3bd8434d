"""Shortest-path hop counts from a few source nodes, by breadth-first search (scipy.sparse.csgraph)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import shortest_path


def adjacency(edge_index: torch.Tensor, num_nodes: int) -> sp.csr_matrix:
    """The (N, N) 0/1 adjacency of ``edge_index`` (duplicate entries summed, then clipped to 1)."""
    edges = edge_index.cpu().numpy()
    matrix = sp.coo_matrix((np.ones(edges.shape[1], dtype=np.float32), (edges[0], edges[1])), shape=(num_nodes, num_nodes)).tocsr()
    matrix.data[:] = 1.0
    return matrix


def hops_from(edge_index: torch.Tensor, num_nodes: int, sources, chunk: int = 256) -> np.ndarray:
    """(len(sources), N) float64 hop counts from each source; ``inf`` where a node is unreachable.

    ``chunk`` sources at a time keep the work memory at ``chunk * N`` values.
    """
    graph = adjacency(edge_index, num_nodes)
    sources = np.asarray(sources, dtype=np.int64)
    out = np.empty((len(sources), num_nodes))
    for start in range(0, len(sources), chunk):
        out[start:start + chunk] = shortest_path(graph, directed=False, unweighted=True, indices=sources[start:start + chunk])
    return out


def inverse_hops(hops: np.ndarray) -> np.ndarray:
    """``1 / hops`` with 0 for unreachable nodes and 1 for the source itself (hop 0)."""
    with np.errstate(divide="ignore"):
        closeness = np.where(np.isinf(hops), 0.0, 1.0 / np.maximum(hops, 1.0))
    return closeness
