"""Node and location ids: embeddings come back indexed by the graph's own ids (Run.embed(as_frame=True))."""

from pathlib import Path

import pandas as pd
import pytest

import multissl
from multissl.errors import InvalidDataError
from multissl_graph.modality import Graph
from multissl_graph.seenet.modality import TemporalRelationsModality

QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": [], "method.hidden_dim": 8}
NAMES = ["ada", "bob", "cy", "dee", "eve"]


def write_named_edge_list(folder: Path, edges: dict, nodes=NAMES) -> Path:
    """A path ada-bob-cy-dee-eve whose nodes are named in features.csv and by those names in edges.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(edges).to_csv(folder / "edges.csv", index=False)
    pd.DataFrame({"node": nodes, "f0": [1.0, 0.0, 1.0, 0.0, 1.0], "f1": [0.0, 1.0, 0.0, 1.0, 1.0]}).to_csv(folder / "features.csv", index=False)
    return folder


PATH = {"source": ["ada", "bob", "cy", "dee"], "target": ["bob", "cy", "dee", "eve"]}


def test_an_edge_list_with_a_node_column_keeps_its_ids_and_reads_edges_by_them(tmp_path):
    folder = write_named_edge_list(tmp_path / "g", {"source": ["eve", "bob"], "target": ["ada", "dee"]})
    graph = Graph().load(folder)
    assert graph.x.shape == (5, 2)  # the node column is not a feature
    assert graph.edge_index.tolist() == [[4, 1], [0, 3]]
    assert list(Graph().sample_ids(graph)) == NAMES


def test_embeddings_as_a_frame_are_indexed_by_node_ids(tmp_path):
    folder = write_named_edge_list(tmp_path / "g", PATH)
    run = multissl.pretrain("graph", str(folder), method="node_property", max_epochs=1, **QUIET)
    frame = run.embed(str(folder), as_frame=True)
    assert list(frame.index) == NAMES and frame.index.name == "id" and frame.shape == (5, 8)
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), pd.DataFrame(run.embed(str(folder)), columns=frame.columns))


def test_without_node_ids_nodes_are_numbered_in_order():
    source = Graph().example()
    assert Graph().sample_ids(source) is None
    run = multissl.pretrain("graph", source, method="node_property", max_epochs=1, **QUIET)
    assert list(run.embed(source, as_frame=True).index) == list(range(34))
    source.node_ids = [f"member{i}" for i in range(34)]  # ids set on a PyG Data by the user
    assert run.embed(source, as_frame=True).index[33] == "member33"
    source.node_ids = ["a", "b"]
    with pytest.raises(InvalidDataError, match="2 ids for 34 nodes"):
        run.embed(source, as_frame=True)


@pytest.mark.parametrize(
    ("edges", "nodes", "message"),
    [
        ({"source": ["ada"], "target": ["zed"]}, NAMES, "does not hold.*zed"),
        (PATH, ["ada", "bob", "bob", "dee", "eve"], "once.*bob"),
        (PATH, ["ada", None, "cy", "dee", "eve"], "missing"),
    ],
)
def test_unknown_repeated_or_missing_node_ids_are_refused(tmp_path, edges, nodes, message):
    with pytest.raises(InvalidDataError, match=message):
        Graph().load(write_named_edge_list(tmp_path / "g", edges, nodes))


def test_location_embeddings_are_indexed_by_location_ids(tmp_path):
    modality = TemporalRelationsModality(TemporalRelationsModality.Options(path_cache=str(tmp_path)))
    source = modality.example()
    raw = modality.load(source)
    assert modality.sample_ids(raw) == [f"loc{i}" for i in range(48)]
