"""The SelfTask method: joint and label-free losses, options, validation on val_mask, and fits that save and reload."""

import numpy as np
import pytest
import torch

import multissl
from multissl.errors import InvalidDataError, RecipeError
from multissl_graph.modality import Graph
from multissl_graph.selftask import SelfTask, SelfTaskConfig
from multissl_graph.tasks import TASKS

QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}


def karate_batch():
    modality = Graph()
    raw = modality.load(modality.example())
    modality.fit(raw)
    return modality, modality.transform(raw)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_joint_loss_is_nll_plus_lambda_times_task_loss(task):
    modality, batch = karate_batch()
    options = {"num_clusters": 4} if task == "distance2clusters" else {}
    method = SelfTask(SelfTaskConfig(task=task, task_options=options), modality.input_spec()).eval()  # eval: no dropout
    total, logs = method._total_loss(batch)
    expected = logs["supervised/nll"] + method.ssl_weight * logs[f"ssl/{task}"]
    torch.testing.assert_close(total, expected)
    total.backward()
    assert all(p.grad is not None for p in method.task.head.parameters())


def test_label_free_mode_has_no_classifier_and_trains_on_the_task_alone():
    modality, batch = karate_batch()
    method = SelfTask(SelfTaskConfig(supervised=False, ssl_weight=3.0), modality.input_spec())
    total, logs = method._total_loss(batch)
    assert method.classifier is None and set(logs) == {"ssl/pairwise_distance"}
    torch.testing.assert_close(total, logs["ssl/pairwise_distance"])
    assert method.checkpoint_monitor() == ("val/loss", "min")


@pytest.mark.parametrize("task", ["distance2labeled", "context_label"])
def test_tasks_that_need_labels_refuse_label_free_mode(task):
    with pytest.raises(RecipeError, match="trains jointly only"):
        SelfTask(SelfTaskConfig(task=task, supervised=False), {"input_dim": 3, "num_classes": 2})
    with pytest.raises(RecipeError, match="at least 2 classes"):
        SelfTask(SelfTaskConfig(task=task), {"input_dim": 3, "num_classes": 0})


def test_zero_weight_trains_the_gcn_alone_without_computing_the_task(monkeypatch):
    modality, batch = karate_batch()
    method = SelfTask(SelfTaskConfig(task="pairwise_distance", ssl_weight=0.0), modality.input_spec())
    monkeypatch.setattr(method.task, "loss", lambda *a, **k: pytest.fail("the task ran with ssl_weight=0"))
    total, logs = method._total_loss(batch)
    assert set(logs) == {"supervised/nll"}
    torch.testing.assert_close(total, logs["supervised/nll"])


@pytest.mark.parametrize("encoder", ["gcn", "gat", "graphsage"])
def test_every_encoder_gives_one_embedding_row_per_node(encoder):
    modality, batch = karate_batch()
    method = SelfTask(SelfTaskConfig(encoder=encoder, hidden_dim=16), modality.input_spec()).eval()
    assert method.embed(batch).shape == (34, 16)
    assert method.predict_classes(batch).shape == (34,)


def test_unknown_task_and_bad_task_options_are_named():
    with pytest.raises(RecipeError, match="pairwise_distance"):
        SelfTask(SelfTaskConfig(task="pairwise_distanc"), {"input_dim": 3, "num_classes": 2})
    with pytest.raises(RecipeError, match="mask_ratio"):
        SelfTask(SelfTaskConfig(task="node_property", task_options={"mask_ratio": 0.2}), {"input_dim": 3, "num_classes": 2})
    with pytest.raises(RecipeError, match="mask_ratio must be in"):
        SelfTask(SelfTaskConfig(task="attribute_mask", task_options={"mask_ratio": 1.5}), {"input_dim": 3, "num_classes": 2})


@pytest.mark.parametrize("method", ["selftask", "edge_mask", "attribute_mask", "context_label"])
def test_tiny_fit_saves_loads_and_embeds_identically(method, tmp_path):
    source = Graph().example()
    run = multissl.pretrain("graph", source, method=method, max_epochs=3, **QUIET)
    embeddings = run.embed(source)
    assert embeddings.shape == (34, 128) and np.isfinite(embeddings).all()
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(source), embeddings)


def karate_with_validation():
    data = Graph().example()
    data.val_mask = torch.zeros(34, dtype=torch.bool)
    data.val_mask[10:20] = True
    return data


def test_validation_accuracy_on_val_mask_picks_the_restored_checkpoint(tmp_path):
    run = multissl.pretrain("graph", karate_with_validation(), method="node_property", max_epochs=4, output_dir=str(tmp_path / "run"), **QUIET)
    metrics = run.metrics["train"]
    assert "val/accuracy" in metrics and 1 <= metrics["restored_epoch"] <= 4
    best = torch.load(tmp_path / "run" / "checkpoints" / "best.ckpt", map_location="cpu", weights_only=True)
    assert best["epoch"] + 1 == metrics["restored_epoch"]
    for name, value in run.method.state_dict().items():
        torch.testing.assert_close(value, best["state_dict"][name])
    modality, batch = karate_batch()
    predicted = run.method.predict_classes(run.modality.transform(run.modality.load(karate_with_validation())))
    assert predicted.shape == (34,)


def test_validation_nodes_are_never_training_nodes_and_val_fraction_is_refused():
    data = karate_with_validation()
    data.train_mask = torch.ones(34, dtype=torch.bool)
    with pytest.raises(InvalidDataError, match="10 nodes are in both"):
        Graph().load(data)
    data.train_mask = torch.ones(34)
    with pytest.raises(InvalidDataError, match="boolean tensor of shape"):
        Graph().load(data)
    with pytest.raises(InvalidDataError, match="val_mask"):
        multissl.pretrain("graph", Graph().example(), method="node_property", max_epochs=1, val_fraction=0.2, **QUIET)


def test_context_label_with_label_correction_fits_on_karate():
    run = multissl.pretrain(
        "graph", karate_with_validation(), method="context_label", max_epochs=2,
        task_options={"filler": "ensemble", "label_correction": 1.5, "correct": 10}, **QUIET,
    )
    assert run.method.ssl_weight == 10.0 and np.isfinite(run.embed(Graph().example())).all()


@pytest.mark.parametrize("task", sorted(TASKS))
def test_each_task_method_is_registered_importable_and_picklable_by_name(task):
    import pickle

    from multissl.plugins import registry

    method_cls = registry().get("method", task)
    config = method_cls.Config()
    assert config.task == task and isinstance(config, SelfTaskConfig) and issubclass(method_cls, SelfTask)
    assert method_cls.__module__ == "multissl_graph.selftask" and type(config).__module__ == "multissl_graph.selftask"
    assert pickle.loads(pickle.dumps(method_cls)) is method_cls
    assert pickle.loads(pickle.dumps(config)) == config


@pytest.mark.parametrize(
    ("task", "dataset", "weight", "options"),
    [
        ("pairwise_distance", "cora", 20.0, {}),
        ("node_property", "citeseer", 0.1, {}),
        ("distance2clusters", "cora", 100.0, {"num_clusters": 10}),
        ("distance2clusters", "pubmed", 2000.0, {"num_clusters": 30}),
        ("context_label", "citeseer", 1.0, {"correct": 3000}),
    ],
)
def test_lambda_and_task_options_follow_the_reference_for_the_named_dataset(task, dataset, weight, options):
    method = SelfTask(SelfTaskConfig(task=task, reference_settings=dataset), {"input_dim": 3, "num_classes": 3})
    assert method.ssl_weight == weight
    assert all(getattr(method.task, name) == value for name, value in options.items())


def test_context_label_lambda_follows_its_filler_and_recipe_values_win():
    spec = {"input_dim": 3, "num_classes": 3}
    assert SelfTask(SelfTaskConfig(task="context_label", task_options={"filler": "ensemble"}), spec).ssl_weight == 10.0
    assert SelfTask(SelfTaskConfig(task="context_label", reference_settings="citeseer", task_options={"filler": "ensemble"}), spec).ssl_weight == 8.0
    method = SelfTask(SelfTaskConfig(task="distance2clusters", reference_settings="pubmed", ssl_weight=7.0, task_options={"num_clusters": 4}), spec)
    assert method.ssl_weight == 7.0 and method.task.num_clusters == 4
    with pytest.raises(RecipeError, match="reference_settings 'reddit'.*cora"):
        SelfTask(SelfTaskConfig(reference_settings="reddit"), spec)


@pytest.mark.parametrize("task", ["edge_mask", "attribute_mask", "context_label"])
def test_one_forward_serves_both_loss_terms(task, monkeypatch):
    modality, batch = karate_batch()
    method = SelfTask(SelfTaskConfig(task=task), modality.input_spec())
    calls = []
    forward = method.encoder.forward
    monkeypatch.setattr(method.encoder, "forward", lambda *a, **k: calls.append(1) or forward(*a, **k))
    before = set(vars(method))
    _, logs = method._total_loss(batch)
    assert len(calls) == 1 and {"supervised/nll", f"ssl/{task}"} <= set(logs)
    assert set(vars(method)) == before  # nothing of the step is kept on the method


def test_embeddings_follow_the_features_given_not_a_tensor_seen_before():
    modality, batch = karate_batch()
    method = SelfTask(SelfTaskConfig(task="attribute_mask", hidden_dim=8), modality.input_spec())
    method._total_loss(batch)  # fits the PCA on the training graph
    method.eval()
    first = method.embed(batch)
    del first
    other = dict(batch, x=torch.rand_like(batch["x"]))  # same shape: may reuse the freed memory
    torch.testing.assert_close(method.embed(other), torch.relu(method.encoder(method.task.encoder_inputs(other["x"]), other["edge_index"])))
    assert not torch.allclose(method.embed(other), method.embed(batch))
