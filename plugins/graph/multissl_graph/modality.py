"""The ``graph`` modality: one attributed graph, trained full-batch.

Accepts a torch_geometric ``Data`` (``x``, ``edge_index``, optional ``y`` with -1 for unknown,
``train_mask``, ``val_mask``, ``test_mask``), a tuple ``(edges, features)`` / ``(edges, features, labels)`` with
``edges`` an (E, 2) array or DataFrame of node ids and ``features`` an (N, F) array or DataFrame, a folder in PyG's
Planetoid raw layout (its public split kept) or with ``edges.csv`` + ``features.csv`` [+ ``labels.csv``], or a dict
``{"edges", "features"[, "labels"]}`` of those CSV paths or DataFrames (:mod:`multissl_graph.readers`). Labels
are integer classes; a graph needs at least one edge between two distinct nodes.

Preprocessing, as in GCN (Kipf & Welling 2017, the Planetoid preprocessing): features are
row-normalised, ``x_i <- x_i / sum_j x_ij`` (all-zero rows stay zero); edges are made undirected,
self-loops and duplicates are removed (``coalesce``). Nodes without labels carry ``y = -1``; without
``train_mask`` every labelled node is a training node; ``val_mask`` nodes (labelled) are the validation
set (the same graph, evaluated on those nodes). Batches are one full graph:
``{"x", "edge_index", "y", "train_mask", "val_mask"}``. Node ids (``sample_ids``, the index of
``Run.embed(data, as_frame=True)``): the ``node`` column of an edge-list ``features.csv`` or a ``Data``'s
``node_ids``, else 0..N-1.

Large graphs (``loader: neighbor``): batches of ``loader.batch_size`` seed nodes with their sampled
``num_neighbors`` neighbourhoods (:mod:`seed_batches`, :mod:`neighbor_sampler`), in the same format plus
``n_id`` (global node ids, seed nodes first), ``seed_count``, and ``graph`` (the full preprocessed graph,
shared, for targets computed once); only seed nodes are training nodes, and there is no validation set.
Under DDP each process trains on its own seeds, the same number of batches in each; ``embed`` reads every
node in order, each from its sampled neighbourhood (drawn from a fixed seed: the same embeddings each time).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from multissl._validation import check_finite_array
from multissl.errors import EmptyDataError, InvalidDataError
from multissl.modalities.base import Modality, PreprocessingState
from multissl_graph.contrastive.generic_defaults import GENERIC_METHOD_DEFAULTS


@dataclasses.dataclass
class GraphOptions:
    """Recipe keys under ``data`` for the ``graph`` modality."""

    normalize_features: bool = True
    """Row-normalise node features (GCN preprocessing)."""
    loader: Literal["full", "neighbor"] = "full"
    """One full-batch graph per step, or neighbour-sampled mini-batches of seed nodes (large graphs)."""
    num_neighbors: list[int] = dataclasses.field(default_factory=lambda: [10])
    """Neighbours sampled per node at each hop (``loader: neighbor``); one hop per graph-convolution layer."""


class OneGraph(Dataset):
    """A dataset of one item: the whole preprocessed graph."""

    def __init__(self, graph: dict[str, torch.Tensor]) -> None:
        self.graph = graph

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.graph


class _SeedNodes(OneGraph):
    """The whole preprocessed graph, counted as its nodes: the samples neighbour mini-batches are made of."""

    def __len__(self) -> int:
        return int(self.graph["x"].shape[0])


class Graph(Modality):
    """One graph, full batch; ``embed`` gives one row per node."""

    name = "graph"
    Options = GraphOptions
    method_defaults: ClassVar[dict[str, dict[str, Any]]] = GENERIC_METHOD_DEFAULTS

    def __init__(self, options: GraphOptions | None = None) -> None:
        super().__init__(options)
        self.num_features = 0
        self.num_classes = 0

    def load(self, source: Any):
        from torch_geometric.data import Data

        from multissl_graph.readers import read_edge_list, read_graph_folder

        if isinstance(source, Data):
            graph = source
        elif isinstance(source, tuple) and len(source) in (2, 3):
            graph = graph_from_tables(*source)
        elif isinstance(source, str | Path):
            graph = read_graph_folder(source)
        elif isinstance(source, dict):
            graph = read_edge_list(source)
        else:
            raise InvalidDataError(
                "graph expects a torch_geometric Data, a tuple (edges, features[, labels]), a folder (Planetoid raw "
                f"layout, or edges.csv + features.csv) or a dict {{'edges', 'features', 'labels'}}; got {type(source).__name__}."
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
        val_mask = getattr(raw, "val_mask", None)
        val_mask = torch.zeros(n, dtype=torch.bool) if val_mask is None else val_mask.bool() & (y >= 0)
        return {"x": x, "edge_index": edge_index, "y": y, "train_mask": train_mask, "val_mask": val_mask}

    def dataset(self, raw) -> Dataset:
        return (OneGraph if self.options.loader == "full" else _SeedNodes)(self.transform(raw))

    def collate(self, items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        return items[0]

    def validation_split(self, dataset, val_fraction, seed):
        """The graph itself, validated on its ``val_mask`` nodes; none without them (or with ``loader: neighbor``)."""
        has_val = bool(dataset.graph["val_mask"].any())
        if val_fraction > 0 and not has_val:
            raise InvalidDataError(
                "A graph holds out validation nodes through data.val_mask (a boolean mask of labelled nodes), "
                "not loader.val_fraction; add a val_mask or set loader.val_fraction to 0."
            )
        return dataset, dataset if has_val and self.options.loader == "full" else None

    def dataloader(self, dataset, *, batch_size, shuffle, drop_last, num_workers, seed):
        """One full-batch graph per step (``batch_size``, ``shuffle`` and ``drop_last`` do not apply), or
        neighbour-sampled batches of ``batch_size`` seed nodes (``loader: neighbor``)."""
        if self.options.loader == "full":
            return DataLoader(dataset, batch_size=1, shuffle=False, collate_fn=self.collate)
        from multissl_graph.seed_batches import neighbor_loader

        return neighbor_loader(dataset.graph, self.options.num_neighbors, batch_size, shuffle=shuffle, drop_last=drop_last,
                               num_workers=num_workers, seed=seed)

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

    def sample_ids(self, raw) -> pd.Index | None:
        """The graph's own node ids (``data.node_ids``: the ``node`` column of an edge-list ``features.csv``, or
        set by the user on a PyG ``Data``), one per node in order; ``None`` (nodes numbered 0..N-1) without them."""
        ids = getattr(raw, "node_ids", None)
        if ids is None:
            return None
        ids = pd.Index(ids, name="id")
        if len(ids) != raw.num_nodes:
            raise InvalidDataError(f"data.node_ids holds {len(ids)} ids for {raw.num_nodes} nodes; give one id per node, in node order.")
        return ids

    def finetune_samples(self, raw, what=None):
        """The nodes: each fine-tuning step is the whole graph, its loss on the labelled nodes (:mod:`finetune_nodes`)."""
        from multissl_graph.finetune_nodes import NodeSamples

        if what is not None:
            raise InvalidDataError(f"A graph's samples are its nodes; drop what={what!r}.")
        return NodeSamples(self, raw)

    def baseline_features(self, raw) -> np.ndarray:
        return self.transform(raw)["x"].numpy()


def graph_from_tables(edges: Any, features: Any, labels: Any = None):
    """A ``Data`` from an (E, 2) edge table, an (N, F) feature table and optional labels (-1 for unknown)."""
    from torch_geometric.data import Data

    edges = np.asarray(edges.to_numpy() if isinstance(edges, pd.DataFrame) else edges)
    if edges.size == 0:
        edges = edges.reshape(0, 2)
    if edges.ndim != 2 or edges.shape[1] != 2 or not np.issubdtype(edges.dtype, np.integer):
        raise InvalidDataError(f"edges must be an (E, 2) array of integer node ids; got shape {edges.shape}, dtype {edges.dtype}.")
    if features is None:
        raise InvalidDataError("graph needs a node-feature table; use an identity matrix np.eye(N) for featureless graphs.")
    try:
        features = np.asarray(features.to_numpy() if isinstance(features, pd.DataFrame) else features, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"Node features must all be numeric ({exc}); encode text or categories as numbers first.") from exc
    if features.ndim != 2:
        raise InvalidDataError(f"Node features must be an (N, F) table; got shape {features.shape}.")
    data = Data(x=torch.from_numpy(features.copy()), edge_index=torch.from_numpy(edges.T.astype(np.int64)))
    if labels is not None:
        data.y = torch.from_numpy(_class_ids(np.asarray(labels)))
    return data


def _class_ids(labels: np.ndarray) -> np.ndarray:
    """Integer class ids from ``labels``; float labels are accepted only when they are whole numbers."""
    if labels.ndim != 1:
        raise InvalidDataError(f"Node labels must be one class id per node (1-D); got shape {labels.shape}.")
    if np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool:
        return labels.astype(np.int64)
    if not np.issubdtype(labels.dtype, np.floating):
        raise InvalidDataError(f"Node labels must be integer class ids (-1 for unknown); got dtype {labels.dtype}. Map names to ids first.")
    if not np.isfinite(labels).all():
        raise InvalidDataError("Node labels hold NaN or infinite values; mark unknown labels with -1.")
    fractional = labels != np.round(labels)
    if fractional.any():
        raise InvalidDataError(
            f"{int(fractional.sum())} node labels are not whole numbers (e.g. {labels[fractional][:3].tolist()}); graph labels are "
            "class ids, and truncating them would merge classes. Give integer classes (-1 for unknown), or bin a "
            "continuous target into classes first."
        )
    return labels.astype(np.int64)


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
    if n == 1:
        raise EmptyDataError("The graph has one node; graph methods learn from edges between distinct nodes.")
    if not (edge_index[0] != edge_index[1]).any():
        raise EmptyDataError(
            f"All {edge_index.shape[1]} edges are self-loops, which are removed in preprocessing, leaving no structure; "
            "give edges between distinct nodes."
        )
    y = getattr(graph, "y", None)
    if y is not None and y.shape[0] != n:
        raise InvalidDataError(f"labels have {y.shape[0]} entries for {n} nodes; use -1 for unlabelled nodes.")
    if y is not None and (y.is_floating_point() or y.ndim != 1):
        graph = graph.clone()
        graph.y = torch.from_numpy(_class_ids(y.numpy()))
        y = graph.y
    if y is not None and (y < -1).any():
        raise InvalidDataError(f"Node labels must be class ids >= 0, or -1 for unknown; found {int(y.min())}.")
    for name in ("train_mask", "val_mask", "test_mask"):
        mask = getattr(graph, name, None)
        if mask is not None and (mask.shape != (n,) or mask.dtype != torch.bool):
            raise InvalidDataError(f"data.{name} must be a boolean tensor of shape ({n},); got {mask.dtype} of shape {tuple(mask.shape)}.")
    train_mask = getattr(graph, "train_mask", None)
    for held_out in ("val_mask", "test_mask"):
        mask = getattr(graph, held_out, None)
        if train_mask is not None and mask is not None and (train_mask & mask).any():
            raise InvalidDataError(
                f"{int((train_mask & mask).sum())} nodes are in both data.train_mask and data.{held_out}; "
                "held-out nodes must be kept out of training."
            )
    if num_features is not None and graph.x.shape[1] != num_features:
        raise InvalidDataError(f"The graph has {graph.x.shape[1]} features per node; the run was trained on {num_features}.")
    return graph
