"""ContextLabel (Jin et al. 2020): predict the label distribution of each node's 2-hop context.

Labels of unlabelled nodes are first filled in (``filler``: label propagation, ICA or their ensemble,
:mod:`label_fillers`). Target ``t_i = normalise(sum_{j in N1(i)} e_{l_j} + sum_{j in N2(i)} e_{l_j})``
with ``N1`` the neighbours, ``N2`` the nodes two steps away (``A^2`` without its diagonal; a
neighbour in a triangle counts twice) and ``e_l`` the one-hot filled label. Loss
``MSE(softmax(W dropout(h_i)), t_i)`` over unlabelled nodes, on ``h`` before the encoder's dropout
(SelfTask-GNN ``selfsl.ICAContextLabel`` / ``LPContextLabel`` / ``CombinedContextLabel``).

Label correction (``label_correction = alpha > 0``, the reference's 1.0-1.5), each step: ``correct``
unlabelled nodes drawn at random get the label of their nearest density-peak prototypes
(:mod:`label_correction`) computed on ``h``; their context targets are recomputed with these labels
and ``alpha * MSE`` on them is added. Nodes without any neighbour have no context: no loss.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from multissl_graph.tasks.base import PretextTask
from multissl_graph.tasks.hops import adjacency
from multissl_graph.tasks.label_correction import corrected_labels
from multissl_graph.tasks.label_fillers import FILLERS, fill_labels

def context_matrix(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Sparse (N, N) ``A + (A^2 != 0 off the diagonal)``, both 0/1, as a torch COO tensor."""
    graph = adjacency(edge_index, num_nodes)
    two_hop = graph @ graph
    two_hop.setdiag(0)
    two_hop.eliminate_zeros()
    two_hop.data[:] = 1.0
    context = (graph + two_hop).tocoo()
    indices = torch.from_numpy(np.vstack([context.row, context.col]).astype(np.int64))
    values = torch.from_numpy(context.data).float()
    return torch.sparse_coo_tensor(indices, values, (num_nodes, num_nodes), check_invariants=True).coalesce()


def normalised_rows(counts: torch.Tensor) -> torch.Tensor:
    return counts / counts.sum(dim=1, keepdim=True).clamp(min=1e-12)


class ContextLabel(PretextTask):
    """Context label-distribution regression, with optional label correction."""

    whole_graph = ("its targets need labels filled in over the whole graph and each node's 2-hop context (A + A^2), "
                   "and its loss reads every unlabelled node")
    needs_labels = True
    after_dropout = False

    def __init__(self, hidden_dim: int, input_spec, filler: str = "label_propagation", label_correction: float = 0.0,
                 correct: int = 1000, dropout: float = 0.5) -> None:
        super().__init__(hidden_dim, input_spec)
        if filler not in FILLERS:
            raise ValueError(f"filler must be one of {FILLERS}, got {filler!r}")
        if label_correction < 0:
            raise ValueError(f"label_correction (alpha) must be >= 0, got {label_correction}")
        self.num_classes = int(input_spec.get("num_classes", 0))
        if self.num_classes < 2:
            raise ValueError("context_label needs node labels of at least 2 classes (data.y, -1 for unknown)")
        self.filler, self.label_correction, self.correct, self.dropout = filler, label_correction, correct, dropout
        self.head = nn.Linear(hidden_dim, self.num_classes)
        self.filled = torch.empty(0, dtype=torch.long)
        self.targets = torch.empty(0, self.num_classes)
        self.trained_rows = torch.empty(0, dtype=torch.long)

    def build_targets(self, graph, seed):
        x, edge_index, y = graph["x"], graph["edge_index"], graph["y"]
        labelled = graph["train_mask"] & (y >= 0)
        if not labelled.any():
            raise ValueError("context_label needs labelled training nodes (train_mask with labels >= 0)")
        scores = fill_labels(self.filler, x, edge_index, y, labelled, self.num_classes, seed)
        reached = scores.sum(dim=1) > 0
        filled = torch.where(reached, scores.argmax(dim=1), torch.full_like(y.cpu(), -1))
        self.context = context_matrix(edge_index, x.shape[0])
        counts = self.context @ nn.functional.one_hot(filled.clamp(min=0), self.num_classes).float().mul(reached[:, None])
        has_context = counts.sum(dim=1) > 0
        device = x.device
        self.filled = filled.to(device)
        self.targets = normalised_rows(counts).to(device)
        self.trained_rows = ((~labelled.cpu()) & has_context).nonzero().flatten().to(device)
        self.context = self.context.to(device)

    def corrected_targets(self, h: torch.Tensor, rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Context targets of ``rows`` once ``rows`` are relabelled from the class prototypes of ``h``."""
        labels = self.filled.clone()
        labels[rows] = corrected_labels(h.detach(), self.filled, rows, self.num_classes, generator)
        one_hot = nn.functional.one_hot(labels.clamp(min=0), self.num_classes).float().mul((labels >= 0)[:, None])
        return normalised_rows(self.context.index_select(0, rows) @ one_hot)

    def loss(self, h, generator, nodes=None, inputs=None):
        predicted = torch.softmax(self.head(nn.functional.dropout(h, self.dropout, self.training)), dim=1)
        rows = self.trained_rows
        loss = nn.functional.mse_loss(predicted[rows], self.targets[rows])
        logs = {"context_label": loss.detach()}
        if self.label_correction > 0 and len(rows):
            chosen = rows[torch.randperm(len(rows), generator=generator, device=generator.device).to(rows.device)[: self.correct]]
            corrected = nn.functional.mse_loss(predicted[chosen], self.corrected_targets(h, chosen, generator))
            loss = loss + self.label_correction * corrected
            logs["label_correction"] = corrected.detach()
        return loss, logs
