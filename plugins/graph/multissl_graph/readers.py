"""Graphs read from folders and files: PyG's Planetoid raw layout and edge-list CSV tables.

**Planetoid** (Yang et al. 2016; Cora, CiteSeer, PubMed): a folder holding ``raw/ind.<name>.{x,y,tx,ty,allx,ally,
graph,test.index}``. Read by ``torch_geometric.datasets.Planetoid`` with its public split (``train_mask``,
``val_mask``, ``test_mask``). PyG writes a ``processed/`` folder next to ``raw/``, so the raw files are copied to a
temporary folder first: the user's folder is never written to.

**Edge-list CSV**: a folder (or a dict ``{"edges": ..., "features": ..., "labels": ...}`` of paths or DataFrames)
holding

- ``edges.csv``: columns ``source, target``, one edge per row (made undirected later), naming nodes by their
  ``node`` in ``features.csv`` when it has that column, else by integer ids ``0..N-1``;
- ``features.csv``: one row per node (in id order without a ``node`` column), every other column a numeric
  feature; an optional column ``node`` gives each node's id (numbers or names, unique), kept as the graph's
  ``node_ids`` so embeddings come back indexed by them;
- ``labels.csv`` (optional): one row per node in the order of ``features.csv``, column ``label`` (integer
  class, -1 for unknown), and optional boolean columns ``train``, ``val``, ``test`` (``true``/``false`` or
  1/0) giving the split.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from multissl.errors import InvalidDataError

PLANETOID_SUFFIXES = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")
PLANETOID_NAMES = ("cora", "citeseer", "pubmed")
CSV_FILES = {"edges": "edges.csv", "features": "features.csv", "labels": "labels.csv"}
SPLIT_COLUMNS = {"train": "train_mask", "val": "val_mask", "test": "test_mask"}
NODE_COLUMN = "node"


def read_graph_folder(folder: str | Path):
    """The graph in ``folder``: Planetoid raw layout or edge-list CSV (see the module docstring)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidDataError(f"{folder} is not a folder; graph reads a Planetoid folder (raw/ind.<name>.*) or a folder with edges.csv and features.csv.")
    if sorted((folder / "raw").glob("ind.*.x")):
        return read_planetoid(folder)
    if (folder / CSV_FILES["edges"]).is_file():
        labels = folder / CSV_FILES["labels"]
        return read_edge_list({"edges": folder / CSV_FILES["edges"], "features": folder / CSV_FILES["features"],
                               "labels": labels if labels.is_file() else None})
    raise InvalidDataError(
        f"{folder} holds neither Planetoid raw files (raw/ind.<name>.x, ...) nor edges.csv; give a folder in one of "
        "those layouts (edges.csv + features.csv [+ labels.csv]), a torch_geometric Data or (edges, features[, labels])."
    )


def read_planetoid(folder: str | Path):
    """The Planetoid graph in ``folder/raw`` with its public split, read by PyG from a temporary copy."""
    from torch_geometric.datasets import Planetoid

    raw = Path(folder) / "raw"
    names = sorted({path.name.split(".")[1] for path in raw.glob("ind.*.x")})
    if len(names) != 1 or names[0] not in PLANETOID_NAMES:
        raise InvalidDataError(
            f"{raw} should hold the files of one Planetoid dataset ({', '.join(PLANETOID_NAMES)}); found {names or 'none'}."
        )
    name = names[0]
    missing = [f"ind.{name}.{suffix}" for suffix in PLANETOID_SUFFIXES if not (raw / f"ind.{name}.{suffix}").is_file()]
    if missing:
        raise InvalidDataError(f"{raw} lacks {', '.join(missing)}; a Planetoid folder needs all eight raw files.")
    with tempfile.TemporaryDirectory(prefix="multissl-planetoid-") as scratch:
        copy = Path(scratch) / name / "raw"
        copy.mkdir(parents=True)
        for suffix in PLANETOID_SUFFIXES:
            shutil.copyfile(raw / f"ind.{name}.{suffix}", copy / f"ind.{name}.{suffix}")
        return Planetoid(scratch, name)[0]


def read_edge_list(tables: dict[str, Any]):
    """A ``Data`` from ``{"edges", "features"[, "labels"]}``, each a CSV path or a DataFrame."""
    from multissl_graph.modality import graph_from_tables

    unknown = set(tables) - set(CSV_FILES)
    if unknown or not {"edges", "features"} <= set(tables):
        raise InvalidDataError(
            f"An edge-list graph reads the keys edges, features (and labels); got {sorted(tables)}."
        )
    edges = _table(tables["edges"], "edges")
    if not {"source", "target"} <= set(edges.columns):
        raise InvalidDataError(f"The edge table needs columns source and target; it has {list(edges.columns)}.")
    features = _table(tables["features"], "features")
    labels = _table(tables["labels"], "labels") if tables.get("labels") is not None else None
    if labels is not None and "label" not in labels.columns:
        raise InvalidDataError(f"The label table needs a column label (-1 for unknown); it has {list(labels.columns)}.")
    node_ids = None
    if NODE_COLUMN in features.columns:
        node_ids, features = _node_ids(features[NODE_COLUMN]), features.drop(columns=NODE_COLUMN)
        edges = _edges_by_position(edges, node_ids)
    graph = graph_from_tables(edges[["source", "target"]], features, None if labels is None else labels["label"])
    if node_ids is not None:
        graph.node_ids = node_ids
    for column, mask in SPLIT_COLUMNS.items():
        if labels is not None and column in labels.columns:
            setattr(graph, mask, torch.from_numpy(_booleans(labels[column], column)))
    return graph


def _node_ids(column: pd.Series) -> pd.Index:
    ids = pd.Index(column.to_numpy(), name="id")
    if ids.hasnans or not ids.is_unique:
        repeated = ids[ids.duplicated()].unique()[:3].tolist()
        raise InvalidDataError(
            f"features.csv column {NODE_COLUMN} must name each node once; it has "
            + ("missing values." if ids.hasnans else f"repeats (e.g. {repeated}).")
        )
    return ids


def _edges_by_position(edges: pd.DataFrame, node_ids: pd.Index) -> pd.DataFrame:
    """``edges`` with ``source`` and ``target`` turned from node ids into row positions of ``features.csv``."""
    positions = {end: node_ids.get_indexer(edges[end].to_numpy()) for end in ("source", "target")}
    unknown = sorted({str(v) for end, found in positions.items() for v in edges[end].to_numpy()[found < 0]})
    if unknown:
        raise InvalidDataError(
            f"edges.csv names {len(unknown)} node(s) that features.csv column {NODE_COLUMN} does not hold "
            f"(e.g. {unknown[:3]}); add their rows to features.csv or remove those edges."
        )
    return pd.DataFrame(positions)


def _table(source: Any, what: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source
    path = Path(source)
    if not path.is_file():
        raise InvalidDataError(f"The {what} table {path} does not exist.")
    return pd.read_csv(path)


def _booleans(column: pd.Series, name: str) -> np.ndarray:
    values = column.astype(str).str.strip().str.lower()
    known = values.isin(["true", "false", "1", "0"])
    if not known.all():
        raise InvalidDataError(f"labels.csv column {name} must hold true/false or 1/0; found {sorted(set(values[~known]))[:5]}.")
    return values.isin(["true", "1"]).to_numpy(copy=True)
