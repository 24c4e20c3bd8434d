"""SE-SSL global task: spatial infomax between grid-cell summaries at slot t+1 and locations at slot t
(SEENet, KDD 2023; a DGI-style discriminator, Velickovic et al. 2019).

For a batch of cells (drawn with replacement), ``s_c = mean_{i in c} f(H_{t+1}[i])`` with ``f`` linear;
positives are the locations of ``c``, negatives ``ratio x |c|`` locations of cells at Manhattan distance
``hop < d < hop + 4`` from ``c`` (:func:`~multissl_graph.seenet.grid.negative_candidates`);
``L_t = BCE(f(H_t[i])^T B s_c, 1 for positives, 0 for negatives)`` with ``B`` bilinear, summed over slots.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch_geometric.utils import scatter


class SpatialInfomax(nn.Module):
    """``sample(graph, ...)`` draws a batch of cells; ``forward(H_t, H_next, batch) -> BCE``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.project = nn.Linear(dim, dim)
        self.bilinear = nn.Bilinear(dim, dim, 1)
        nn.init.xavier_uniform_(self.bilinear.weight)
        nn.init.zeros_(self.bilinear.bias)

    @staticmethod
    def sample(graph: dict[str, torch.Tensor], batch_cells: int, ratio: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """Positive locations with their cell's batch position, and ``ratio`` negatives per positive."""
        cell_pointer, members = graph["cell_pointer"], graph["cell_members"]
        negative_pointer, negatives = graph["negative_pointer"], graph["negative_locations"]
        device = members.device
        num_cells = cell_pointer.shape[0] - 1
        cells = torch.randint(num_cells, (batch_cells,), generator=generator, device=device)
        sizes = cell_pointer[cells + 1] - cell_pointer[cells]
        position = torch.repeat_interleave(torch.arange(batch_cells, device=device), sizes)
        offset = torch.arange(position.shape[0], device=device) - torch.repeat_interleave(torch.cumsum(sizes, 0) - sizes, sizes)
        positives = members[cell_pointer[cells][position] + offset]
        negative_position = position.repeat_interleave(ratio)
        negative_cells = cells[negative_position]
        available = negative_pointer[negative_cells + 1] - negative_pointer[negative_cells]
        draws = torch.rand(negative_position.shape[0], generator=generator, device=device)
        picked = negatives[negative_pointer[negative_cells] + (draws * available).long()]
        return {"positives": positives, "position": position, "negatives": picked, "negative_position": negative_position,
                "num_cells": torch.tensor(batch_cells)}

    def forward(self, h: torch.Tensor, h_next: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        summary = scatter(self.project(h_next)[batch["positives"]], batch["position"], dim=0,
                          dim_size=int(batch["num_cells"]), reduce="mean")
        projected = self.project(h)
        # x^T B s for every pair, as (x @ B) . s: nn.Bilinear's trilinear kernel is several times slower on CPU
        weighted = summary @ self.bilinear.weight[0].T
        positive = (projected[batch["positives"]] * weighted[batch["position"]]).sum(1)
        negative = (projected[batch["negatives"]] * weighted[batch["negative_position"]]).sum(1)
        logits = torch.cat([positive, negative]) + self.bilinear.bias
        labels = torch.cat([torch.ones_like(positive), torch.zeros_like(negative)])
        return F.binary_cross_entropy_with_logits(logits, labels)
