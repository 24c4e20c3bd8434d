"""The graph evaluators on small known cases: node_classification (the graph's split, a seeded split, the run's
classifier or a probe, the GCN-without-SSL baseline) and relation_ranking (filtered ranking, its baseline)."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

import multissl
from multissl.errors import InvalidDataError, RecipeError
from multissl_graph.node_classification import NodeClassification
from multissl_graph.seenet.modality import TemporalRelationsModality
from multissl_graph.seenet.ranking import slot_metrics

QUIET = {"trainer.enable_progress_bar": False}


def separable_graph(masks: bool = True) -> Data:
    """60 nodes in 3 classes; a node's features are its class one-hot and edges stay within a class, so the
    features and the structure both determine the label."""
    y = torch.arange(60) % 3
    x = torch.nn.functional.one_hot(y, 3).float()
    order = torch.argsort(y, stable=True)
    edge_index = torch.stack([order[:-1], order[1:]])
    edge_index = edge_index[:, y[edge_index[0]] == y[edge_index[1]]]
    graph = Data(x=x, edge_index=edge_index, y=y)
    if masks:
        node = torch.arange(60)
        graph.train_mask, graph.val_mask, graph.test_mask = node < 15, (node >= 15) & (node < 30), node >= 30
    return graph


def train(graph, **options):
    return multissl.pretrain("graph", graph, method="node_property", max_epochs=30, lr=0.05, **QUIET, **options)


def test_a_graph_whose_features_give_the_label_is_classified_perfectly_by_the_run_and_the_baseline():
    report = multissl.evaluate(train(separable_graph()), separable_graph())
    assert report["node_classification/accuracy"] == 1.0 and report["baseline/node_classification/accuracy"] == 1.0
    assert report["node_classification/validation_accuracy"] == 1.0  # the same classifier on the 15 validation nodes
    assert report["baseline"] == "GCN without SSL"
    assert report["n_train"] == 15 and report["n_test"] == 30


def test_a_label_free_run_is_probed_on_the_training_nodes():
    run = train(separable_graph(), supervised=False)
    assert run.method.classifier is None
    report = multissl.evaluate(run, separable_graph())
    assert report["node_classification/accuracy"] == 1.0 and report["baseline/node_classification/accuracy"] == 1.0
    assert report["node_classification/validation_accuracy"] == 1.0


def test_without_a_test_mask_a_seeded_stratified_split_excludes_training_and_validation_nodes():
    graph = separable_graph()
    del graph.test_mask
    evaluator = NodeClassification(NodeClassification.Options(test_fraction=0.5), seed=3)
    train_nodes, test_nodes = evaluator.split(graph)
    assert torch.equal(train_nodes, graph.train_mask) and int(test_nodes.sum()) == 15
    assert not (test_nodes & (graph.train_mask | graph.val_mask)).any()
    assert torch.bincount(graph.y[test_nodes]).tolist() == [5, 5, 5]
    assert torch.equal(NodeClassification(evaluator.options, seed=3).split(graph)[1], test_nodes)


def test_a_classifier_trained_on_every_label_is_refused_on_a_seeded_split():
    graph = separable_graph(masks=False)
    with pytest.raises(InvalidDataError, match="trained its classifier on"):
        multissl.evaluate(train(graph), graph)


def test_bad_options_and_unlabelled_graphs_are_named():
    with pytest.raises(RecipeError, match="test_fraction"):
        multissl.pretrain("graph", separable_graph(), method="node_property", evaluate={"test_fraction": 1.5})
    unlabelled = separable_graph(masks=False)
    unlabelled.y = torch.full((60,), -1)
    with pytest.raises(InvalidDataError, match="needs node labels"):
        NodeClassification().split(unlabelled)


def test_filtered_ranking_of_a_scorer_that_puts_every_true_tail_first_is_perfect():
    """Three locations, one slot: (0, r, 1) is the query; (0, r, 2) is another true tail and is filtered out."""
    train = np.array([[0, 0, 1], [0, 0, 2], [1, 0, 2]])
    test = np.array([[0, 0, 1], [1, 0, 2]])
    known = np.concatenate([train, test])

    def true_tail_first(queries):
        scores = torch.zeros(len(queries), 3)
        scores[torch.arange(len(queries)), queries[:, 2]] = 1.0
        return scores

    metrics = slot_metrics(true_tail_first, test, known, train, ["all"], 3, ks=(10,))
    assert metrics["mrr@10"] == 1.0 and metrics["hit@10"] == 1.0 and metrics["n_ranked"] == 2.0
    reverse = slot_metrics(lambda q: -true_tail_first(q), test, known, train, ["all"], 3, ks=(10,))
    # reversed: the first query's one unfiltered other candidate ranks first (rank 2), the second's two (rank 3)
    assert reverse["mrr@10"] == pytest.approx((1 / 2 + 1 / 3) / 2)


def test_relation_ranking_reports_the_run_and_its_baseline_on_the_test_triples(tmp_path):
    source = TemporalRelationsModality().example()
    schedule = {"method.hidden_dim": 8, "method.pretrain_epochs": 1, "method.train_epochs": 2, "method.evaluate_every": 1,
                "data.path_cache": str(tmp_path)}
    run = multissl.pretrain("temporal_relations", source, **schedule, **QUIET, evaluate={"baseline": "rgcn"})
    report = run.metrics["evaluation"]
    assert report["baseline"] == "R-GCN + DistMult"
    assert {"mrr@10", "hits@10", "baseline/mrr@10", "baseline/hits@10"} <= set(report)
    assert 0 < report["mrr@10"] <= report["hits@10"] <= 1 and report["n_ranked"] > 0
    assert report["mrr@10"] == pytest.approx(run.method.rank(run.modality.transform(run.read(source)), "test")["mrr@10"])


def test_relation_ranking_refuses_an_unknown_baseline():
    with pytest.raises(RecipeError, match="baseline"):
        multissl.pretrain("temporal_relations", TemporalRelationsModality().example(), evaluate={"baseline": "transe"})
