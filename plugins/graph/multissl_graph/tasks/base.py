"""What a SelfTask pretext task provides: targets built once per graph, a head, and a loss on node embeddings."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn


class PretextTask(nn.Module):
    """A pretext task on node embeddings ``h`` (N, D) of one graph.

    ``prepare`` computes the task's targets from the graph once and caches them (recomputed only
    for a graph of another size); ``training_graph`` is the edge set the encoder sees during
    training (the full graph unless the task hides edges); ``loss`` draws what it samples from
    ``generator``. ``default_weight`` is the reference's lambda on Cora (SelfTask-GNN configs.py).
    """

    default_weight: ClassVar[float]

    def __init__(self) -> None:
        super().__init__()
        self._prepared_for: tuple[int, int] | None = None

    def prepare(self, edge_index: torch.Tensor, num_nodes: int, seed: int) -> None:
        key = (num_nodes, int(edge_index.shape[1]))
        if self._prepared_for != key:
            self.build_targets(edge_index, num_nodes, seed)
            self._prepared_for = key

    def build_targets(self, edge_index: torch.Tensor, num_nodes: int, seed: int) -> None:
        raise NotImplementedError

    def training_graph(self, edge_index: torch.Tensor) -> torch.Tensor:
        return edge_index

    def loss(self, h: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        raise NotImplementedError
