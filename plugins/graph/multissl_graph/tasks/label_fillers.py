"""Fill in the labels of unlabelled nodes for ContextLabel: label propagation, ICA, and their ensemble.

Each filler returns ``(N, C)`` class scores; labelled nodes keep their one-hot label, and a node no
filler reaches keeps a zero row (it counts for no class).

- ``label_propagation``: ``Y <- alpha * D^-1/2 A D^-1/2 Y + (1 - alpha) Y_0`` with ``Y_0`` the one-hot
  training labels (Zhou et al. 2004), PyG's ``LabelPropagation``. The reference runs the harmonic
  function of Zhu et al. 2003 (networkx), the ``alpha -> 1`` limit with labelled nodes clamped.
- ``ica``: iterative classification (Lu & Getoor 2003, as the reference's ``ica`` package: bootstrap,
  count aggregation, 10 iterations). A logistic regression (scikit-learn) on the binarised features
  gives first labels; then a second one on ``[x, A one-hot(labels)]``, fitted on the labelled nodes,
  relabels the unlabelled nodes from their neighbours' current labels, ten times.
- ``ensemble``: the sum of both filler's scores (SelfTask-GNN ``CombinedAgent``).
"""

from __future__ import annotations

import numpy as np
import torch

from multissl_graph.tasks.hops import adjacency

FILLERS = ("label_propagation", "ica", "ensemble")


def one_hot_labels(y: torch.Tensor, labelled: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(N, C) one-hot rows for labelled nodes, zeros elsewhere."""
    out = torch.zeros(len(y), num_classes)
    out[labelled, y[labelled]] = 1.0
    return out


def label_propagation(edge_index, y, labelled, num_classes, num_layers: int = 50, alpha: float = 0.99) -> torch.Tensor:
    from torch_geometric.nn.models import LabelPropagation

    known = one_hot_labels(y, labelled, num_classes)
    scores = LabelPropagation(num_layers=num_layers, alpha=alpha)(known, edge_index)
    scores = scores / scores.sum(dim=1, keepdim=True).clamp(min=1e-12)
    scores[labelled] = known[labelled]
    return scores


def ica(x, edge_index, y, labelled, num_classes, iterations: int = 10, seed: int = 0) -> torch.Tensor:
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    features = (x != 0).float().numpy()
    train = labelled.numpy()
    targets = y.numpy()[train]
    graph = adjacency(edge_index, len(y))

    def scores_of(model, inputs):
        out = np.zeros((len(inputs), num_classes))
        out[:, model.classes_] = model.predict_proba(inputs)
        return out

    # one BLAS thread: these fits have a few hundred rows, and threads that wait for a busy CPU made them
    # 50x slower on a shared 2-core machine (78 s instead of 4 s on Cora)
    with threadpool_limits(limits=1, user_api="blas"):
        local = LogisticRegression(max_iter=1000, random_state=seed).fit(features[train], targets)
        scores = scores_of(local, features)
        known = one_hot_labels(y, labelled, num_classes).numpy()
        for _ in range(iterations):
            current = np.where(train[:, None], known, np.eye(num_classes)[scores.argmax(1)])
            inputs = np.hstack([features, graph @ current])
            relational = LogisticRegression(max_iter=1000, random_state=seed).fit(inputs[train], targets)
            scores = scores_of(relational, inputs)
    scores[train] = known[train]
    return torch.from_numpy(scores).float()


def fill_labels(filler: str, x, edge_index, y, labelled, num_classes, seed: int = 0) -> torch.Tensor:
    """(N, C) scores of ``filler`` (one of :data:`FILLERS`), computed on the CPU."""
    x, edge_index, y, labelled = x.cpu(), edge_index.cpu(), y.cpu(), labelled.cpu()
    if filler == "label_propagation":
        return label_propagation(edge_index, y, labelled, num_classes)
    if filler == "ica":
        return ica(x, edge_index, y, labelled, num_classes, seed=seed)
    if filler == "ensemble":
        return label_propagation(edge_index, y, labelled, num_classes) + ica(x, edge_index, y, labelled, num_classes, seed=seed)
    raise ValueError(f"filler must be one of {FILLERS}, got {filler!r}")
