"""Fine-tuning on a graph's nodes: the whole graph each step, the loss on the labelled nodes, one prediction per node."""

import numpy as np
import pytest

import multissl
from multissl.errors import InvalidDataError

QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}


@pytest.fixture(scope="module")
def cora_run(cora):
    return multissl.pretrain("graph", cora, method="node_property", supervised=False, max_epochs=2, **QUIET)


def test_cora_fine_tunes_on_the_public_split_and_predicts_every_node(cora, cora_run, tmp_path):
    tuned = multissl.finetune(cora_run, cora, epochs=30, lr=0.05, patience=30)
    assert (tuned.metrics["finetune"]["n_train"], tuned.metrics["finetune"]["n_val"]) == (140, 500)
    predicted = tuned.predict(cora)
    assert predicted.shape == (cora.num_nodes,)
    test = cora.test_mask.numpy()
    accuracy = (predicted[test] == cora.y.numpy()[test]).mean()
    assert accuracy > 0.6  # 7 classes; the most frequent holds 32% of the test nodes
    tuned.save(tmp_path / "tuned")
    np.testing.assert_array_equal(multissl.load(tmp_path / "tuned").predict(cora), predicted)


def test_the_finetune_evaluator_keeps_the_planetoid_split(cora, cora_run):
    report = multissl.evaluate(cora_run, data=cora, evaluators="finetune", finetune_epochs=3, finetune_lr=0.01)
    assert report["finetune/n_test"] == 1000 and report["finetune/n_labelled"] == 640
    for key in ("finetune/accuracy", "finetune_frozen/accuracy", "baseline/finetune/accuracy"):
        assert 0.0 <= report[key] <= 1.0


def test_karate_club_without_masks_learns_its_communities_from_a_seeded_split():
    from torch_geometric.datasets import KarateClub

    graph = KarateClub()[0]
    del graph.train_mask  # no split of its own: fine-tuning draws one from the labelled nodes
    run = multissl.pretrain("graph", graph, method="pairwise_distance", supervised=False, max_epochs=1, **QUIET)
    tuned = multissl.finetune(run, graph, epochs=100, lr=0.05, patience=30, val_fraction=0.25)
    assert tuned.metrics["finetune"]["n_train"] + tuned.metrics["finetune"]["n_val"] == 34
    predicted = tuned.predict(graph)
    assert predicted.shape == (34,)
    assert (predicted == graph.y.numpy()).mean() > 0.5  # 4 communities; the largest holds 13 of 34 nodes


def test_unknown_labels_are_left_out_and_bad_options_are_refused():
    from torch_geometric.datasets import KarateClub

    graph = KarateClub()[0]
    del graph.train_mask
    run = multissl.pretrain("graph", graph, method="pairwise_distance", supervised=False, max_epochs=1, **QUIET)
    labels = graph.y.numpy().copy()
    labels[:10] = -1
    tuned = multissl.finetune(run, graph, labels, epochs=2)
    assert tuned.metrics["finetune"]["n_train"] + tuned.metrics["finetune"]["n_val"] == 24
    with pytest.raises(InvalidDataError, match="samples are its nodes"):
        multissl.finetune(run, graph, labels, what="items")
    with pytest.raises(InvalidDataError, match="no label column"):
        multissl.finetune(run, graph, "club")


def test_a_neighbour_sampled_run_is_refused_with_what_to_change():
    from torch_geometric.datasets import KarateClub

    from multissl_graph.modality import Graph, GraphOptions

    modality = Graph(GraphOptions(loader="neighbor"))
    raw = modality.load(KarateClub()[0])
    modality.fit(raw)
    with pytest.raises(InvalidDataError, match="data.loader is full"):
        modality.finetune_samples(raw)
