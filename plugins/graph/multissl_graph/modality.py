"""The ``graph`` modality: one attributed graph, trained full-batch.

Accepts a torch_geometric ``Data`` (``x``, ``edge_index``, optional ``y`` with -1 for unknown and
``train_mask``) or a tuple ``(edges, features)`` / ``(edges, features, labels)`` with ``edges`` an
(E, 2) array or DataFrame of node ids and ``features`` an (N, F) array or DataFrame.

Preprocessing, as in GCN (Kipf & Welling 2017, the Planetoid preprocessing): features are
row-normalised, ``x_i <- x_i / sum_j x_ij`` (all-zero rows stay zero); edges are made undirected,
self-loops and duplicates are removed (``coalesce``). Nodes without labels carry ``y = -1``; without
``train_mask`` every labelled node is a training node. Batches are one full graph:
``{"x", "edge_index", "y", "train_mask"}``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from multissl._validation import check_finite_array
from multissl.errors import EmptyDataError, InvalidDataError
from multissl.modalities.base import Modality, PreprocessingState


@dataclasses.dataclass
class GraphOptions:
    """Recipe keys under ``data`` for the ``graph`` modality."""

    normalize_features: bool = True
    """Row-normalise node features (GCN preprocessing)."""


class _OneGraph(Dataset):
    """A dataset of one item: the whole preprocessed graph."""

    def __init__(self, graph: dict[str, torch.Tensor]) -> None:
        self.graph = graph

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.graph


class Graph(Modality):
    """One graph, full batch; ``embed`` gives one row per node."""

    name = "graph"
    Options = GraphOptions

    def __init__(self, options: GraphOptions | None = None) -> None:
        super().__init__(options)
        self.num_features = 0
        self.num_classes = 0

    def load(self, source: Any):
        from torch_geometric.data import Data

        if isinstance(source, Data):
            graph = source
        elif isinstance(source, tuple) and len(source) in (2, 3):
            graph = _from_tables(*source)
        else:
            raise InvalidDataError(
                f"graph expects a torch_geometric Data or a tuple (edges, features[, labels]); got {type(source).__name__}."
            )
        return _validated(graph, self.num_features if self.fitted else None)

    def fit(self, raw) -> None:
        self.num_features = int(raw.x.shape[1])
        labels = raw.y if getattr(raw, "y", None) is not None else torch.empty(0, dtype=torch.long)
        self.num_classes = int(labels.max().item()) + 1 if labels.numel() and labels.max() >= 0 else 0
        self.fitted = True

    def transform(self, raw) -> dict[str, torch.Tensor]:
        """The preprocessed graph as the batch dict methods read."""
        from torch_geometric.utils import coalesce, remove_self_loops, to_undirected

        if not self.fitted:
            raise InvalidDataError("The graph preprocessing is not fitted yet: call fit(raw) on training data first.")
        n = raw.num_nodes
        x = raw.x.float()
        if self.options.normalize_features:
            row_sum = x.sum(dim=1, keepdim=True)
            x = torch.where(row_sum != 0, x / row_sum.where(row_sum != 0, torch.ones_like(row_sum)), x)
        edge_index, _ = remove_self_loops(raw.edge_index.long())
        edge_index = coalesce(to_undirected(edge_index, num_nodes=n), num_nodes=n)
        y = raw.y.long() if getattr(raw, "y", None) is not None else torch.full((n,), -1, dtype=torch.long)
        train_mask = getattr(raw, "train_mask", None)
        train_mask = (y >= 0) if train_mask is None else train_mask.bool() & (y >= 0)
        return {"x": x, "edge_index": edge_index, "y": y, "train_mask": train_mask}

    def dataset(self, raw) -> Dataset:
        return _OneGraph(self.transform(raw))

    def collate(self, items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        return items[0]

    def dataloader(self, dataset, *, batch_size, shuffle, drop_last, num_workers, seed) -> DataLoader:
        """One full-batch graph per step (``batch_size``, ``shuffle`` and ``drop_last`` do not apply)."""
        return DataLoader(dataset, batch_size=1, shuffle=False, collate_fn=self.collate)

    def input_spec(self) -> dict[str, Any]:
        return {"input_dim": self.num_features, "num_classes": self.num_classes}

    def state_dict(self) -> PreprocessingState:
        return {"num_features": self.num_features, "num_classes": self.num_classes}

    def load_state_dict(self, state: PreprocessingState) -> None:
        self.num_features = int(state["num_features"])
        self.num_classes = int(state["num_classes"])
        self.fitted = True

    def example(self):
        """Zachary's karate club (34 nodes, 4 communities, one labelled node each), shipped with PyG."""
        from torch_geometric.datasets import KarateClub

        return KarateClub()[0]

    def labels(self, raw) -> np.ndarray | None:
        return raw.y.numpy() if getattr(raw, "y", None) is not None else None

    def baseline_features(self, raw) -> np.ndarray:
        return self.transform(raw)["x"].numpy()


def _from_tables(edges: Any, features: Any, labels: Any = None):
    from torch_geometric.data import Data

    edges = np.asarray(edges.to_numpy() if isinstance(edges, pd.DataFrame) else edges)
    if edges.size == 0:
        edges = edges.reshape(0, 2)
    if edges.ndim != 2 or edges.shape[1] != 2 or not np.issubdtype(edges.dtype, np.integer):
        raise InvalidDataError(f"edges must be an (E, 2) array of integer node ids; got shape {edges.shape}, dtype {edges.dtype}.")
    if features is None:
        raise InvalidDataError("graph needs a node-feature table; use an identity matrix np.eye(N) for featureless graphs.")
    features = np.asarray(features.to_numpy() if isinstance(features, pd.DataFrame) else features, dtype=np.float32)
    data = Data(x=torch.from_numpy(features.copy()), edge_index=torch.from_numpy(edges.T.astype(np.int64)))
    if labels is not None:
        data.y = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    return data


def _validated(graph, num_features: int | None):
    """``graph`` after the checks every source passes; raises ``multissl.errors``."""
    if getattr(graph, "x", None) is None:
        raise InvalidDataError("The graph has no node features (data.x); use torch.eye(num_nodes) for featureless graphs.")
    if graph.x.ndim != 2 or graph.x.shape[0] == 0:
        raise EmptyDataError(f"The graph has no nodes (features of shape {tuple(graph.x.shape)}).")
    check_finite_array(graph.x.numpy(), "graph node features")
    n = graph.x.shape[0]
    edge_index = getattr(graph, "edge_index", None)
    if edge_index is None or edge_index.numel() == 0:
        raise EmptyDataError("The graph has no edges; graph methods need structure (data.edge_index of shape (2, E)).")
    if edge_index.min() < 0 or edge_index.max() >= n:
        raise InvalidDataError(
            f"edge_index holds node ids from {int(edge_index.min())} to {int(edge_index.max())}, "
            f"but there are {n} nodes (ids 0..{n - 1})."
        )
    y = getattr(graph, "y", None)
    if y is not None and y.shape[0] != n:
        raise InvalidDataError(f"labels have {y.shape[0]} entries for {n} nodes; use -1 for unlabelled nodes.")
    if num_features is not None and graph.x.shape[1] != num_features:
        raise InvalidDataError(f"The graph has {graph.x.shape[1]} features per node; the run was trained on {num_features}.")
    return graph
