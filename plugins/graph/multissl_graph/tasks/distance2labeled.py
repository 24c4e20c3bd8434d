"""Distance2Labeled (Jin et al. 2020): regress each node's mean closeness to the labelled nodes of every class.

``t_ic = mean_{j in L_c} 1 / hops(i, j)`` over the labelled training nodes ``L_c`` of class ``c``
(0 for unreachable nodes and for a class without labelled nodes); loss ``MSE(W h_i, t_i)`` over the
unlabelled nodes (SelfTask-GNN ``selfsl.Distance2Labeled``, regression). A labelled node's distance to
itself counts as closeness 1 here (the reference leaves it 0, the unreachable value); the loss does
not read labelled nodes' targets anyway.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from multissl_graph.tasks.base import PretextTask
from multissl_graph.tasks.hops import hops_from, inverse_hops


class Distance2Labeled(PretextTask):
    """Regression of the mean ``1 / hops`` to each class's labelled nodes."""

    whole_graph = "its targets are breadth-first searches from every labelled node, and its loss reads every unlabelled node"
    needs_labels = True

    def __init__(self, hidden_dim: int, input_spec) -> None:
        super().__init__(hidden_dim, input_spec)
        self.num_classes = int(input_spec.get("num_classes", 0))
        if self.num_classes < 2:
            raise ValueError("distance2labeled needs node labels of at least 2 classes (data.y, -1 for unknown)")
        self.head = nn.Linear(hidden_dim, self.num_classes)
        self.targets = torch.empty(0, self.num_classes)
        self.unlabelled = torch.empty(0, dtype=torch.long)

    def build_targets(self, graph, seed):
        labelled = graph["train_mask"] & (graph["y"] >= 0)
        if not labelled.any():
            raise ValueError("distance2labeled needs labelled training nodes (train_mask with labels >= 0)")
        sources = labelled.nonzero().flatten().cpu().numpy()
        closeness = inverse_hops(hops_from(graph["edge_index"], graph["x"].shape[0], sources))  # (L, N)
        classes = graph["y"].cpu().numpy()[sources]
        targets = np.zeros((graph["x"].shape[0], self.num_classes), dtype=np.float32)
        for c in np.unique(classes):
            targets[:, c] = closeness[classes == c].mean(axis=0)
        device = graph["x"].device
        self.targets = torch.from_numpy(targets).to(device)
        self.unlabelled = (~labelled).nonzero().flatten().to(device)

    def loss(self, h, generator, nodes=None, inputs=None):
        rows = self.unlabelled
        loss = nn.functional.mse_loss(self.head(h[rows]), self.targets[rows])
        return loss, {"distance2labeled": loss.detach()}
