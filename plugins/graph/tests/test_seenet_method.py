"""SEENet as a multissl method: the pretrain-then-train stages through the engine, selection on
validation MRR@10, baselines, joint mode, save/load, and bad options."""

import numpy as np
import pytest
import torch
from multissl_graph.seenet.method import SEENet, SEENetConfig
from multissl_graph.seenet.modality import TemporalRelationsModality

import multissl
from multissl.errors import InvalidDataError, RecipeError

TINY = {"method.hidden_dim": 8, "trainer.enable_progress_bar": False}


@pytest.fixture(scope="module")
def example_graph(tmp_path_factory):
    modality = TemporalRelationsModality(TemporalRelationsModality.Options(path_cache=str(tmp_path_factory.mktemp("paths"))))
    raw = modality.load(modality.example())
    modality.fit(raw)
    return modality, modality.transform(raw)


def test_pretrain_then_train_selects_on_validation_and_reloads(tmp_path):
    modality = TemporalRelationsModality()
    source = modality.example()
    run = multissl.pretrain(
        "temporal_relations", source, method="seenet", max_epochs=20,
        **TINY, **{"method.pretrain_epochs": 2, "method.pretrain_patience": 1, "method.train_epochs": 4, "method.evaluate_every": 2},
    )
    method, stages = run.method, run.method.stages
    assert method.stage == "train"
    assert 1 <= stages.progress["pretrain_epochs"] <= 2 and stages.progress["train_epochs"] == 4
    assert [h["epoch"] for h in stages.validation_history] == [2, 4]
    assert run.metrics["train"]["epochs"] == stages.progress["pretrain_epochs"] + 4
    # the weights given back are those of the best validation MRR@10
    batch = run.modality.transform(run.modality.load(source))
    best = max(h["mrr@10"] for h in stages.validation_history)
    assert method.rank(batch, "valid")["mrr@10"] == pytest.approx(best)
    embeddings = run.embed(source)
    assert embeddings.shape == (48, 4 * 8) and np.isfinite(embeddings).all()
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(source), embeddings)


def test_without_ssl_training_starts_at_once(example_graph):
    modality, graph = example_graph
    method = SEENet(SEENetConfig(ssl=False, hidden_dim=8), modality.input_spec())
    assert method.stage == "train" and method.ssl_weight == 0.0
    loss, logs = method._total_loss(graph)
    assert set(logs) == {"supervised/distmult"} and torch.isfinite(loss)


def test_pretrain_stage_trains_only_se_ssl(example_graph):
    modality, graph = example_graph
    method = SEENet(SEENetConfig(hidden_dim=8), modality.input_spec())
    loss, logs = method._total_loss(graph)
    assert set(logs) == {"ssl/global_infomax", "ssl/local_evolving", "ssl/distance_smoothness"}
    expected = logs["ssl/global_infomax"] + 0.1 * logs["ssl/local_evolving"] + 1e-6 * logs["ssl/distance_smoothness"]
    torch.testing.assert_close(loss.detach(), expected)
    loss.backward()
    assert method.decoder.relations.grad is None  # DistMult is not trained while pretraining
    assert method.encoder.embedding.weight.grad.abs().sum() > 0


def test_joint_mode_adds_weighted_se_ssl_to_distmult(example_graph):
    modality, graph = example_graph
    method = SEENet(SEENetConfig(hidden_dim=8, train_ssl_weight=0.5), modality.input_spec())
    method.stage = "train"
    loss, logs = method._total_loss(graph)
    assert {"supervised/distmult", "ssl/global_infomax"} <= set(logs)
    ssl = logs["ssl/global_infomax"] + 0.1 * logs["ssl/local_evolving"] + 1e-6 * logs["ssl/distance_smoothness"]
    torch.testing.assert_close(loss.detach(), logs["supervised/distmult"] + 0.5 * ssl)


@pytest.mark.parametrize("train_ssl_weight", [0.0, 0.5])
def test_one_forward_per_step_serves_both_terms(example_graph, train_ssl_weight):
    modality, graph = example_graph
    method = SEENet(SEENetConfig(hidden_dim=8, train_ssl_weight=train_ssl_weight), modality.input_spec())
    method.stage = "train"
    calls = []
    forward = method.encoder.forward
    method.encoder.forward = lambda *args: calls.append(1) or forward(*args)
    before = set(vars(method))
    method._total_loss(graph)
    assert len(calls) == 1 and set(vars(method)) == before


@pytest.mark.parametrize("encoder", ["seenet", "rgcn", "distmult"])
def test_distmult_training_lowers_the_loss_for_every_encoder(example_graph, encoder):
    modality, graph = example_graph
    torch.manual_seed(0)
    method = SEENet(SEENetConfig(encoder=encoder, ssl=False, hidden_dim=16, dropout=0.0, edge_keep=1.0), modality.input_spec())
    optimizer = torch.optim.Adam(method.parameters(), lr=0.05)
    losses = []
    for _ in range(12):
        loss = method.supervised_loss(graph, method.forward_step(graph))[0]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert np.mean(losses[-3:]) < 0.9 * np.mean(losses[:3])


def test_message_graph_keeps_a_share_of_relations(example_graph):
    modality, graph = example_graph
    method = SEENet(SEENetConfig(hidden_dim=8, edge_keep=0.5), modality.input_spec())
    method.stage = "train"
    kept = []
    method.encoder.forward = lambda g, keep, generator: kept.append(keep) or torch.zeros(4, 48, 8, requires_grad=True)
    method.supervised_loss(graph, method.forward_step(graph))
    assert kept[0].dtype == torch.bool and 0.35 < kept[0].float().mean() < 0.65


def test_embeddings_are_deterministic_in_eval_mode(example_graph):
    modality, graph = example_graph
    method = SEENet(SEENetConfig(hidden_dim=8), modality.input_spec()).eval()
    torch.testing.assert_close(method.embed(graph), method.embed(graph))


def test_bad_options_and_foreign_data_are_refused(example_graph):
    modality, _ = example_graph
    with pytest.raises(RecipeError, match="Unknown SEENet encoder 'gcn'"):
        SEENet(SEENetConfig(encoder="gcn"), modality.input_spec())
    with pytest.raises(RecipeError, match="edge_keep"):
        SEENet(SEENetConfig(edge_keep=0.0), modality.input_spec())
    with pytest.raises(RecipeError, match="embedding_init 'uniform'.*'xavier'"):
        SEENet(SEENetConfig(embedding_init="uniform"), modality.input_spec())
    with pytest.raises(RecipeError, match="distance_bins"):
        TemporalRelationsModality(TemporalRelationsModality.Options(distance_bins=1))
    other = modality.example()
    other["coords"] = other["coords"].assign(location=[f"x{i}" for i in range(48)])
    other["train"] = other["train"].assign(head="x0", tail="x1")
    other["valid"] = other["test"] = None
    with pytest.raises(InvalidDataError, match="other locations"):
        modality.load(other)


def test_gradients_are_clipped_at_the_reference_norm_unless_the_trainer_says_otherwise(example_graph):
    modality, _ = example_graph
    method = SEENet(SEENetConfig(hidden_dim=8), modality.input_spec())
    calls = []
    method.clip_gradients = lambda optimizer, gradient_clip_val, gradient_clip_algorithm: calls.append((gradient_clip_val, gradient_clip_algorithm))
    method.configure_gradient_clipping(None)
    method.configure_gradient_clipping(None, gradient_clip_val=5.0, gradient_clip_algorithm="value")
    assert calls == [(1.0, "norm"), (5.0, "value")]


def test_grad_norm_zero_turns_clipping_off(example_graph):
    modality, _ = example_graph
    method = SEENet(SEENetConfig(hidden_dim=8, grad_norm=0.0), modality.input_spec())
    calls = []
    method.clip_gradients = lambda *args, **kwargs: calls.append(args)
    method.configure_gradient_clipping(None)
    assert calls == []


@pytest.mark.parametrize(("init", "bound"), [("normal", None), ("xavier", (6 / (48 + 8)) ** 0.5)])
def test_location_embedding_follows_either_reference_initialisation(example_graph, init, bound):
    modality, _ = example_graph
    torch.manual_seed(0)
    weight = SEENet(SEENetConfig(hidden_dim=8, embedding_init=init), modality.input_spec()).encoder.embedding.weight
    if bound is None:  # N(0, 1), the PyTorch reference
        assert 0.8 < weight.std().item() < 1.2
    else:  # Xavier-uniform over (locations, dim), the Paddle reference
        assert weight.abs().max().item() <= bound and weight.std().item() > bound / 3
