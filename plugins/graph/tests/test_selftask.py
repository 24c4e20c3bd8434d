"""The SelfTask method: joint and label-free losses, options, and a tiny fit that saves and reloads."""

import numpy as np
import pytest
import torch

import multissl
from multissl.errors import RecipeError
from multissl_graph.modality import Graph
from multissl_graph.selftask import SelfTask, SelfTaskConfig
from multissl_graph.tasks import TASKS


def karate_batch():
    modality = Graph()
    raw = modality.load(modality.example())
    modality.fit(raw)
    return modality, modality.transform(raw)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_joint_loss_is_nll_plus_lambda_times_task_loss(task):
    modality, batch = karate_batch()
    method = SelfTask(SelfTaskConfig(task=task), modality.input_spec()).eval()  # eval: no dropout, same h twice
    total, logs = method._total_loss(batch)
    assert method.ssl_weight == TASKS[task].default_weight
    expected = logs["supervised/nll"] + method.ssl_weight * logs[f"ssl/{task}"]
    torch.testing.assert_close(total, expected)


def test_label_free_mode_has_no_classifier_and_trains_on_the_task_alone():
    modality, batch = karate_batch()
    method = SelfTask(SelfTaskConfig(supervised=False, ssl_weight=3.0), modality.input_spec())
    total, logs = method._total_loss(batch)
    assert method.classifier is None and set(logs) == {"ssl/pairwise_distance"}
    torch.testing.assert_close(total, logs["ssl/pairwise_distance"])


@pytest.mark.parametrize("encoder", ["gcn", "gat", "graphsage"])
def test_every_encoder_gives_one_embedding_row_per_node(encoder):
    modality, batch = karate_batch()
    method = SelfTask(SelfTaskConfig(encoder=encoder, hidden_dim=16), modality.input_spec()).eval()
    assert method.embed(batch).shape == (34, 16)
    assert method.predict_classes(batch).shape == (34,)


def test_unknown_task_is_named_with_the_choices():
    with pytest.raises(RecipeError, match="pairwise_distance"):
        SelfTask(SelfTaskConfig(task="pairwise_distanc"), {"input_dim": 3, "num_classes": 2})
    with pytest.raises(RecipeError, match="mask_ratio"):
        SelfTask(SelfTaskConfig(task="node_property", task_options={"mask_ratio": 0.2}), {"input_dim": 3, "num_classes": 2})


@pytest.mark.parametrize("method", ["selftask", "edge_mask"])
def test_tiny_fit_saves_loads_and_embeds_identically(method, tmp_path):
    source = Graph().example()
    run = multissl.pretrain("graph", source, method=method, max_epochs=3, **{"trainer.enable_progress_bar": False})
    embeddings = run.embed(source)
    assert embeddings.shape == (34, 128) and np.isfinite(embeddings).all()
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(source), embeddings)
