"""Bad input: awkward graphs every SelfTask task trains on (isolated nodes, self-loops, duplicate and one-way edges,
unknown labels, disconnected components), and inputs refused with a ``multissl.errors`` error naming the problem."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch_geometric.data import Data

import multissl
from multissl.errors import DatasetNotFoundError, EmptyDataError, InvalidDataError, NonFiniteDataError, RecipeError
from multissl_graph.modality import Graph
from multissl_graph.selftask import SelfTask, SelfTaskConfig
from multissl_graph.seenet.modality import TemporalRelationsModality
from multissl_graph.tasks import TASKS


def awkward_graph():
    """Two components (0-5 a path written one way with a duplicate and a self-loop, 6-9 a cycle), node 10 isolated."""
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 1, 3, 6, 7, 8, 9], [1, 2, 3, 4, 5, 2, 3, 7, 8, 9, 6]])
    y = torch.tensor([0, -1, -1, 1, -1, -1, 1, -1, 0, -1, -1])
    x = torch.rand(11, 6, generator=torch.Generator().manual_seed(0))
    x[4] = 0.0  # a node without features: stays a zero row
    return Data(x=x, edge_index=edge_index, y=y)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_task_trains_on_an_awkward_graph(task):
    modality = Graph()
    raw = modality.load(awkward_graph())
    modality.fit(raw)
    batch = modality.transform(raw)
    assert batch["edge_index"].shape[1] == 2 * 9  # undirected, no self-loop, no duplicate
    assert batch["train_mask"].tolist() == (awkward_graph().y >= 0).tolist()
    options = {"num_clusters": 3} if task == "distance2clusters" else {}
    method = SelfTask(SelfTaskConfig(task=task, task_options=options, hidden_dim=8), modality.input_spec())
    loss, logs = method._total_loss(batch)
    assert torch.isfinite(loss) and all(torch.isfinite(v) for v in logs.values())
    loss.backward()
    assert method.embed(batch).shape == (11, 8)


def test_distance_targets_of_unreachable_nodes_are_the_far_or_zero_values():
    modality = Graph()
    raw = modality.load(awkward_graph())
    modality.fit(raw)
    batch = modality.transform(raw)
    pairwise = SelfTask(SelfTaskConfig(task="pairwise_distance"), modality.input_spec()).task
    pairwise.prepare(batch, seed=0)
    assert pairwise.classes[10, :10].eq(3).all() and pairwise.classes[0, 6:].eq(3).all()
    labelled = SelfTask(SelfTaskConfig(task="distance2labeled"), modality.input_spec()).task
    labelled.prepare(batch, seed=0)
    assert labelled.targets[10].eq(0).all()
    context = SelfTask(SelfTaskConfig(task="context_label"), modality.input_spec()).task
    context.prepare(batch, seed=0)
    assert 10 not in context.trained_rows.tolist(), "an isolated node has no context to predict"


def graph_case(**changes):
    """A 4-node path with one-hot features and labels, with ``changes`` applied to its ``Data`` fields."""
    graph = Data(x=torch.eye(4), edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]]), y=torch.tensor([0, 1, 0, 1]))
    for key, value in changes.items():
        setattr(graph, key, value)
    return graph


def relations_case(**changes):
    """The modality's example city as CSV tables, with ``changes`` replacing tables."""
    return {**TemporalRelationsModality().example(), **changes}


def first_triple_to_itself():
    train = TemporalRelationsModality().example()["train"].copy()
    train.iloc[0, 3] = train.iloc[0, 0]
    return train


def nan_coordinate():
    coords = TemporalRelationsModality().example()["coords"].copy()
    coords.loc[3, "latitude"] = np.nan
    return coords


BAD_GRAPHS = {
    "float labels 0.0/0.7/1.4 (would truncate to 2 classes)": (
        (np.array([[0, 1], [1, 2]]), np.eye(3), np.array([0.0, 0.7, 1.4])), InvalidDataError, "not whole numbers"),
    "float labels in Data.y": (graph_case(y=torch.tensor([0.0, 0.5, 1.0, 1.0])), InvalidDataError, "not whole numbers"),
    "NaN label": (graph_case(y=torch.tensor([0.0, float("nan"), 1.0, 1.0])), InvalidDataError, "NaN"),
    "label below -1": (graph_case(y=torch.tensor([0, -3, 1, 1])), InvalidDataError, "found -3"),
    "two labels per node": ((np.array([[0, 1]]), np.eye(2), np.ones((2, 2), dtype=np.int64)), InvalidDataError, "1-D"),
    "only self-loops": (graph_case(edge_index=torch.tensor([[0, 1, 2], [0, 1, 2]])), EmptyDataError, "self-loops"),
    "one node": ((np.array([[0, 0]]), np.ones((1, 3)), None), EmptyDataError, "one node"),
    "no edges": (graph_case(edge_index=torch.zeros(2, 0, dtype=torch.long)), EmptyDataError, "no edges"),
    "NaN feature": (graph_case(x=torch.tensor([[1.0], [float("nan")], [0.0], [1.0]])), NonFiniteDataError, "node features"),
    "text features": ((np.array([[0, 1]]), pd.DataFrame({"f": ["a", "b"]})), InvalidDataError, "numeric"),
    "edge to a missing node": (graph_case(edge_index=torch.tensor([[0, 1], [1, 9]])), InvalidDataError, "ids 0..3"),
    "a label per edge, not per node": (graph_case(y=torch.tensor([0, 1, 0])), InvalidDataError, "3 entries for 4 nodes"),
    "test nodes also training nodes": (
        graph_case(train_mask=torch.tensor([True, True, False, False]), test_mask=torch.tensor([False, True, True, True])),
        InvalidDataError, "train_mask and data.test_mask"),
    "integer mask": (graph_case(val_mask=torch.tensor([0, 1, 0, 1])), InvalidDataError, "boolean tensor"),
    "unknown source": (42, InvalidDataError, "graph expects"),
}

BAD_RELATIONS = {
    "a triple relating a location to itself": (relations_case(train=first_triple_to_itself()), InvalidDataError, "to itself"),
    "no validation triples": (relations_case(valid=relations_case()["valid"].iloc[:0]), InvalidDataError, "no validation"),
    "NaN coordinate": (relations_case(coords=nan_coordinate()), NonFiniteDataError, "non-finite coordinates"),
    "unknown table": (relations_case(extra=pd.DataFrame()), InvalidDataError, "Unknown keys"),
    "unknown source": (3.5, InvalidDataError, "temporal_relations expects"),
}


@pytest.mark.parametrize("source, error, message", BAD_GRAPHS.values(), ids=BAD_GRAPHS.keys())
def test_bad_graphs_are_refused_with_their_reason(source, error, message):
    with pytest.raises(error, match=message):
        Graph().load(source)


@pytest.mark.parametrize("source, error, message", BAD_RELATIONS.values(), ids=BAD_RELATIONS.keys())
def test_bad_relation_data_is_refused_with_its_reason(source, error, message):
    modality = TemporalRelationsModality()
    with pytest.raises(error, match=message):
        modality.fit(modality.load(source))


@pytest.mark.parametrize("modality, source", [("graph", "tokyo"), ("temporal_relations", "cora")])
def test_a_dataset_of_the_other_modality_is_refused_before_training(modality, source):
    with pytest.raises(RecipeError, match="is for modality"):
        multissl.pretrain(modality, source, **{"data.root": "/nonexistent"})


@pytest.mark.parametrize("source", ["cora", "tokyo"])
def test_a_dataset_name_without_its_folder_says_where_it_looked(source, tmp_path):
    modality = "graph" if source == "cora" else "temporal_relations"
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        multissl.pretrain(modality, source, **{"data.root": str(tmp_path)})
