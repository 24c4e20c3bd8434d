"""The graph modality: preprocessing, table input, bad input, saved state."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch_geometric.data import Data

from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError
from multissl_graph.modality import Graph


def fitted(graph):
    modality = Graph()
    raw = modality.load(graph)
    modality.fit(raw)
    return modality, raw


def test_edges_become_undirected_without_self_loops_or_duplicates():
    x = torch.eye(4)
    edge_index = torch.tensor([[0, 0, 1, 2, 2], [1, 1, 2, 2, 3]])  # a duplicate, a self-loop, one direction only
    modality, raw = fitted(Data(x=x, edge_index=edge_index))
    edges = modality.transform(raw)["edge_index"]
    assert sorted(map(tuple, edges.t().tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]


def test_features_are_row_normalised_and_zero_rows_stay_zero():
    x = torch.tensor([[1.0, 3.0], [0.0, 0.0], [2.0, 2.0]])
    modality, raw = fitted(Data(x=x, edge_index=torch.tensor([[0, 1], [1, 2]])))
    np.testing.assert_allclose(modality.transform(raw)["x"].numpy(), [[0.25, 0.75], [0, 0], [0.5, 0.5]])


def test_unknown_labels_are_minus_one_and_not_trained_on():
    graph = Data(x=torch.eye(3), edge_index=torch.tensor([[0, 1], [1, 2]]), y=torch.tensor([0, -1, 1]))
    modality, raw = fitted(graph)
    batch = modality.transform(raw)
    assert batch["train_mask"].tolist() == [True, False, True]
    assert modality.input_spec() == {"input_dim": 3, "num_classes": 2}
    unlabelled = modality.transform(modality.load(Data(x=torch.eye(3), edge_index=torch.tensor([[0], [1]]))))
    assert unlabelled["y"].tolist() == [-1, -1, -1] and not unlabelled["train_mask"].any()


def test_edge_list_and_feature_table_give_the_same_graph_as_data():
    edges = pd.DataFrame({"source": [0, 1], "target": [1, 2]})
    features = pd.DataFrame(np.eye(3, dtype=np.float32))
    modality, raw = fitted((edges, features, [0, 1, 0]))
    reference, reference_raw = fitted(Data(x=torch.eye(3), edge_index=torch.tensor([[0, 1], [1, 2]]), y=torch.tensor([0, 1, 0])))
    for key, value in reference.transform(reference_raw).items():
        assert torch.equal(modality.transform(raw)[key], value), key


@pytest.mark.parametrize(
    ("source", "error", "message"),
    [
        (Data(edge_index=torch.tensor([[0], [1]]), num_nodes=2), InvalidDataError, "no node features"),
        ((np.array([[0, 1]]), None), InvalidDataError, "node-feature table"),
        (Data(x=torch.eye(2), edge_index=torch.tensor([[0], [2]])), InvalidDataError, "ids 0..1"),
        (Data(x=torch.empty(0, 3), edge_index=torch.empty(2, 0, dtype=torch.long)), EmptyDataError, "no nodes"),
        (Data(x=torch.eye(2), edge_index=torch.empty(2, 0, dtype=torch.long)), EmptyDataError, "no edges"),
        (Data(x=torch.tensor([[float("nan")], [1.0]]), edge_index=torch.tensor([[0], [1]])), NonFiniteDataError, None),
        (Data(x=torch.eye(2), edge_index=torch.tensor([[0], [1]]), y=torch.tensor([0])), InvalidDataError, "-1 for unlabelled"),
        ("graph.txt", InvalidDataError, "is not a folder"),
        (42, InvalidDataError, "torch_geometric Data"),
    ],
)
def test_bad_input_raises_a_clear_error(source, error, message):
    with pytest.raises(error, match=message):
        Graph().load(source)


def test_state_round_trips_and_checks_feature_count_on_new_data():
    modality, _ = fitted(Graph().example())
    restored = Graph()
    restored.load_state_dict(modality.state_dict())
    assert restored.input_spec() == modality.input_spec() == {"input_dim": 34, "num_classes": 4}
    with pytest.raises(InvalidDataError, match="trained on 34"):
        restored.load(Data(x=torch.eye(3), edge_index=torch.tensor([[0], [1]])))


def test_loader_yields_the_whole_graph_once_per_epoch():
    modality, raw = fitted(Graph().example())
    batches = list(modality.dataloader(modality.dataset(raw), batch_size=4, shuffle=True, drop_last=True, num_workers=0, seed=0))
    assert len(batches) == 1 and batches[0]["x"].shape == (34, 34)


def test_val_mask_keeps_labelled_nodes_only_and_is_empty_without_one():
    graph = Data(x=torch.eye(4), edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]]), y=torch.tensor([0, 1, -1, 1]))
    graph.train_mask = torch.tensor([True, False, False, False])
    graph.val_mask = torch.tensor([False, True, True, False])
    modality, raw = fitted(graph)
    batch = modality.transform(raw)
    assert batch["val_mask"].tolist() == [False, True, False, False]  # node 2 has no label
    assert not fitted(Graph().example())[0].transform(Graph().example())["val_mask"].any()


def test_neighbor_loader_option_is_checked_by_the_recipe():
    import multissl
    from multissl.errors import RecipeError

    with pytest.raises(RecipeError, match="loader"):
        multissl.pretrain("graph", Graph().example(), method="node_property", max_epochs=1, **{"data.loader": "neighbour"})
