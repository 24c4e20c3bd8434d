"""Graphs from folders and files: the Planetoid raw layout (read from a temporary copy, split kept) and edge-list
CSV tables (a folder, or a dict of paths or DataFrames)."""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch

from multissl.datasets import materialise
from multissl.errors import InvalidDataError
from multissl.plugins import registry
from multissl_graph.modality import Graph

SHARED_DATASETS = Path(__file__).resolve().parents[3].parent / "shared" / "datasets"
CORA = SHARED_DATASETS / "graph" / "Cora"


def write_edge_list(folder: Path, *, labels: bool = True, split: bool = True) -> Path:
    """5 nodes: a path 0-1-2-3-4, 2 features, labels 0/1 with node 4 unknown, and a train/val/test split."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"source": [0, 1, 2, 3], "target": [1, 2, 3, 4]}).to_csv(folder / "edges.csv", index=False)
    pd.DataFrame({"f0": [1.0, 0.0, 1.0, 0.0, 1.0], "f1": [0.0, 1.0, 0.0, 1.0, 1.0]}).to_csv(folder / "features.csv", index=False)
    if labels:
        table = pd.DataFrame({"label": [0, 1, 0, 1, -1]})
        if split:
            table = table.assign(train=[1, 1, 0, 0, 0], val=["false", "false", "true", "false", "false"], test=[0, 0, 0, 1, 0])
        table.to_csv(folder / "labels.csv", index=False)
    return folder


def test_an_edge_list_folder_reads_edges_features_labels_and_split(tmp_path):
    graph = Graph().load(write_edge_list(tmp_path / "g"))
    assert graph.edge_index.tolist() == [[0, 1, 2, 3], [1, 2, 3, 4]]
    assert graph.x.shape == (5, 2) and graph.y.tolist() == [0, 1, 0, 1, -1]
    assert graph.train_mask.tolist() == [True, True, False, False, False]
    assert graph.val_mask.tolist() == [False, False, True, False, False]
    assert graph.test_mask.tolist() == [False, False, False, True, False]


def test_an_edge_list_without_labels_or_split_reads_as_an_unlabelled_graph(tmp_path):
    graph = Graph().load(str(write_edge_list(tmp_path / "g", labels=False)))
    assert getattr(graph, "y", None) is None and getattr(graph, "train_mask", None) is None


def test_an_edge_list_dict_takes_paths_or_dataframes(tmp_path):
    folder = write_edge_list(tmp_path / "g", split=False)
    graph = Graph().load({"edges": folder / "edges.csv", "features": pd.read_csv(folder / "features.csv"),
                          "labels": str(folder / "labels.csv")})
    assert graph.num_nodes == 5 and graph.y.tolist() == [0, 1, 0, 1, -1]


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "edges.csv").write_text("from,to\n0,1\n"), "columns source and target"),
    (lambda f: (f / "features.csv").unlink(), "features table .* does not exist"),
    (lambda f: (f / "labels.csv").write_text("class\n0\n1\n0\n1\n0\n"), "column label"),
    (lambda f: (f / "labels.csv").write_text("label,train\n0,yes\n1,no\n0,no\n1,no\n0,no\n"), "true/false or 1/0"),
    (lambda f: (f / "edges.csv").unlink(), "neither Planetoid raw files"),
])
def test_a_damaged_edge_list_folder_is_named(tmp_path, damage, message):
    folder = write_edge_list(tmp_path / "g")
    damage(folder)
    with pytest.raises(InvalidDataError, match=message):
        Graph().load(folder)


def test_a_planetoid_folder_missing_a_raw_file_is_named(tmp_path):
    raw = tmp_path / "Cora" / "raw"
    raw.mkdir(parents=True)
    (raw / "ind.cora.x").write_bytes(b"")
    with pytest.raises(InvalidDataError, match=r"lacks ind\.cora\.y"):
        Graph().load(tmp_path / "Cora")


@pytest.mark.skipif(not CORA.exists(), reason=f"the shared Cora files are not at {CORA}")
def test_a_planetoid_folder_keeps_the_public_split_and_is_never_written_to(tmp_path):
    folder = tmp_path / "Cora"
    shutil.copytree(CORA / "raw", folder / "raw")
    for path in [folder, folder / "raw"]:
        os.chmod(path, 0o555)  # read-only, as the shared copy
    try:
        graph = Graph().load(folder)
    finally:
        for path in [folder, folder / "raw"]:
            os.chmod(path, 0o755)
    assert graph.num_nodes == 2708 and graph.x.shape[1] == 1433
    assert [int(graph[m].sum()) for m in ("train_mask", "val_mask", "test_mask")] == [140, 500, 1000]
    assert sorted(p.name for p in folder.iterdir()) == ["raw"]


@pytest.mark.skipif(not CORA.exists(), reason=f"the shared Cora files are not at {CORA}")
def test_the_cora_dataset_name_reads_the_folder_under_the_data_root():
    graph = Graph().load(materialise("cora", "graph", registry(), SHARED_DATASETS))
    assert int(graph.test_mask.sum()) == 1000 and torch.equal(graph.y.unique(), torch.arange(7))
