"""The graph contrastive family (DGI, GRACE, BGRL, GraphMAE, CCA-SSG), the graph views and the graph_nodes input."""

import math

import numpy as np
import pytest
import torch

import multissl
from multissl.errors import InvalidDataError, RecipeError
from multissl.methods.generic_input import apply_views
from multissl.objectives.scaled_cosine_error import ScaledCosineError
from multissl.plugins import registry
from multissl_graph.contrastive.cca_ssg import CCASSGLoss
from multissl_graph.contrastive.dgi import DGI, DGIConfig
from multissl_graph.contrastive.edge_drop import EdgeDrop
from multissl_graph.contrastive.feature_mask import FeatureMask
from multissl_graph.contrastive.grace_loss import GRACELoss
from multissl_graph.contrastive.graph_nodes import GraphNodes
from multissl_graph.contrastive.graphmae import GraphMAE, GraphMAEConfig
from multissl_graph.contrastive.node_mask import NodeMask
from multissl_graph.modality import Graph

QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}
FAMILY = ["dgi", "grace", "bgrl", "graphmae", "cca_ssg"]
GENERIC = ["simclr", "vicreg", "barlow_twins", "byol", "mae"]


def karate():
    modality = Graph()
    raw = modality.load(modality.example())
    modality.fit(raw)
    return modality, modality.transform(raw)


def two_communities(n: int = 40, features: int = 16, seed: int = 0) -> dict[str, torch.Tensor]:
    """A planted partition: two dense communities, sparse links between them, features tied to the community."""
    generator = torch.Generator().manual_seed(seed)
    community = torch.arange(n) % 2
    same = community[:, None] == community[None, :]
    probability = torch.where(same, torch.tensor(0.3), torch.tensor(0.02))
    upper = torch.triu(torch.rand(n, n, generator=generator) < probability, diagonal=1)
    edge_index = (upper | upper.T).nonzero().T
    centres = torch.randn(2, features, generator=generator)
    x = centres[community] + 0.5 * torch.randn(n, features, generator=generator)
    return {"x": x, "edge_index": edge_index}


def method_for(name: str, modality: Graph):
    """``name`` built from its options as a recipe resolves them on the graph modality (method_defaults included)."""
    cls = registry().get("method", name)
    options = {**Graph.method_defaults.get(name, {})}
    config = cls.Config(**options)
    return cls(config, modality.input_spec())


@pytest.mark.parametrize("name", FAMILY + GENERIC)
def test_each_method_trains_a_few_steps_on_karate(name):
    modality, batch = karate()
    method = method_for(name, modality)
    optimizer = torch.optim.Adam(method.parameters(), lr=1e-3)
    before = [p.detach().clone() for p in method.encoder.parameters()]
    for _ in range(3):
        loss, logs = method.ssl_loss(batch)
        assert torch.isfinite(loss) and "loss" in logs
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, method.encoder.parameters()))
    assert method.eval().embed(batch).shape == (34, method.encoder.output_dim)


def test_dgi_discriminator_separates_real_from_corrupted_after_training():
    torch.manual_seed(0)
    batch = two_communities()
    method = DGI(DGIConfig(encoder_options={"hidden_dims": [32], "activation": "prelu"}), {"input_dim": 16, "num_classes": 0})
    optimizer = torch.optim.Adam(method.parameters(), lr=1e-2)
    _, logs = method.ssl_loss(batch)
    untrained = float(logs["discriminator_accuracy"])
    for _ in range(100):
        loss, _ = method.ssl_loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        loss, logs = method.ssl_loss(batch)  # a fresh row shuffle
    assert float(logs["discriminator_accuracy"]) > 0.9 > untrained + 0.2
    assert float(loss) < 0.3 < math.log(2)


def test_graphmae_scaled_cosine_error_is_its_formula_on_a_hand_case():
    prediction = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]])
    target = torch.tensor([[1.0, 1.0], [0.0, 1.0], [4.0, -3.0]])
    mask = torch.tensor([True, False, True])
    loss, _ = ScaledCosineError(gamma=3.0)(prediction, target, mask)
    expected = ((1 - 1 / math.sqrt(2)) ** 3 + (1 - 0.0) ** 3) / 2  # cos = 1/sqrt(2) on row 0, 0 on row 2
    assert float(loss) == pytest.approx(expected, rel=1e-6)


def test_graphmae_masks_half_the_nodes_with_its_token_and_scores_them_only():
    modality, batch = karate()
    method = GraphMAE(GraphMAEConfig(replace_rate=0.0), modality.input_spec())
    with torch.no_grad():
        method.mask_token.fill_(7.0)
    corrupted, mask = method.corrupt(batch["x"], torch.Generator().manual_seed(0))
    assert int(mask.sum()) == 17
    assert torch.all(corrupted[mask] == 7.0) and torch.equal(corrupted[~mask], batch["x"][~mask])
    with_noise = GraphMAE(GraphMAEConfig(replace_rate=0.2), modality.input_spec())
    corrupted, mask = with_noise.corrupt(batch["x"], torch.Generator().manual_seed(0))
    assert int((corrupted[mask] == 0).all(dim=1).sum()) == 17 - int(0.2 * 17)  # the token is zero at start


def test_graphmae_remasks_the_masked_rows_before_the_decoder():
    modality, batch = karate()
    method = GraphMAE(GraphMAEConfig(), modality.input_spec())
    seen = {}
    corrupt = method.corrupt
    method.corrupt = lambda x, generator: seen.setdefault("corrupted", corrupt(x, generator))
    method.decoder.register_forward_pre_hook(lambda module, args: seen.update(decoder_input=args[0].detach()))
    method.ssl_loss(batch)
    mask, hidden = seen["corrupted"][1], seen["decoder_input"]
    assert torch.all(hidden[mask] == 0) and torch.all(hidden[~mask].abs().sum(dim=1) > 0)


@pytest.mark.parametrize("reinitialize", [True, False])
def test_bgrl_target_encoder_gets_no_gradient_and_starts_apart_from_the_online_one_as_the_references(reinitialize):
    from multissl_graph.contrastive.bgrl import BGRL, BGRLConfig

    modality, batch = karate()
    method = BGRL(BGRLConfig(reinitialize_target=reinitialize), modality.input_spec())
    teacher = method.target_encoder.teacher
    same = [torch.equal(a, b) for a, b in zip(teacher.parameters(), method.encoder.parameters())]
    convolution_weights = [i for i, (name, _) in enumerate(teacher.named_parameters()) if name.endswith("lin.weight")]
    assert convolution_weights and all(same) != reinitialize
    assert all(not same[i] for i in convolution_weights) == reinitialize
    loss, logs = method.ssl_loss(batch)
    loss.backward()
    assert all(p.grad is None for p in teacher.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in method.encoder.parameters())
    assert 0.0 <= float(loss) <= 8.0  # two terms of 2 - 2 cos each


@pytest.mark.parametrize("batch_statistics", [True, False])
def test_bgrl_target_batch_norm_reads_each_view_as_the_references_training_mode_target(batch_statistics):
    from multissl_graph.contrastive.bgrl import BGRL, BGRLConfig

    modality, batch = karate()
    method = BGRL(BGRLConfig(target_batch_statistics=batch_statistics), modality.input_spec()).train()
    norms = [m for m in method.target_encoder.teacher.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    modes = []
    for norm in norms:
        norm.register_forward_hook(lambda module, inputs, output: modes.append(module.training))
    method.ssl_loss(batch)
    assert len(modes) == 2 * len(norms) > 0 and set(modes) == {batch_statistics}  # two views through every layer
    assert not any(m.training for m in method.target_encoder.modules())  # eval mode again after the step


def test_bgrl_evaluates_with_about_the_last_training_views_batch_statistics_as_the_reference():
    """The reference's ``BatchNorm(momentum=0.99)``: running ← 0.01·running + 0.99·batch after each training view."""
    from multissl_graph.contrastive.bgrl import BGRL, BGRLConfig

    modality, batch = karate()
    method = BGRL(BGRLConfig(), modality.input_spec()).train()
    first = method.encoder.norms[0]
    seen = []
    first.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0].detach()))
    method.ssl_loss(batch)
    assert len(seen) == 2  # the online encoder's two views; the target's forwards leave these statistics alone
    first_view, last_view = (view.mean(dim=0) for view in seen)
    assert torch.allclose(first.running_mean, 0.01 * 0.99 * first_view + 0.99 * last_view, atol=1e-5)
    with pytest.raises(RecipeError, match="batch_norm_momentum"):
        registry().get("encoder", "gcn_stack")(input_dim=34, hidden_dims=[8], batch_norm=True, batch_norm_momentum=0.0)


def test_an_override_of_one_encoder_option_keeps_bgrls_batch_norm():
    from multissl.recipe import apply_overrides, resolve

    raw = {"modality": "graph", "data": {"source": "cora"}, "method": {"name": "bgrl"}}  # encoder_options left at the default
    recipe = resolve(apply_overrides(raw, ["method.encoder_options.hidden_dims=[256, 128]"]), registry())
    assert recipe.method_options.encoder_options == {
        "hidden_dims": [256, 128], "activation": "prelu_shared", "batch_norm": True, "batch_norm_momentum": 0.99,
    }


@pytest.mark.parametrize(("name", "slopes"), [("prelu", 8), ("prelu_shared", 1)])
def test_prelu_learns_one_slope_per_channel_or_one_per_layer_as_the_reference_code(name, slopes):
    encoder = registry().get("encoder", "gcn_stack")(input_dim=34, hidden_dims=[8, 8], activation=name)
    assert [module.weight.numel() for module in encoder.activations] == [slopes, slopes]
    with pytest.raises(RecipeError, match="prelu_shared"):
        registry().get("encoder", "gcn_stack")(input_dim=34, hidden_dims=[8], activation="swish")


def test_graphmae_gat_draws_its_weights_as_the_references_xavier_normal_with_gain_1_414():
    torch.manual_seed(0)
    reference = registry().get("encoder", "gat_heads")(input_dim=1433, hidden_dim=512, heads=4, num_layers=1)
    pyg = registry().get("encoder", "gat_heads")(input_dim=1433, hidden_dim=512, heads=4, num_layers=1, init="glorot")
    weight, glorot = reference.convs[0].lin.weight, pyg.convs[0].lin.weight
    assert float(weight.std()) == pytest.approx(1.414 * math.sqrt(2 / (1433 + 512)), rel=0.02)
    assert float(glorot.std()) == pytest.approx(math.sqrt(2 / (1433 + 512)), rel=0.02)  # uniform, same variance as gain 1
    assert [module.weight.numel() for module in reference.activations] == [1]  # nn.PReLU(): one slope per layer
    with pytest.raises(RecipeError, match="init"):
        registry().get("encoder", "gat_heads")(input_dim=8, init="kaiming")


@pytest.mark.parametrize(("init", "gain"), [("xavier_normal", 1.414), ("glorot", 1.0)])
def test_graphmae_decoder_is_drawn_as_its_encoder(init, gain):
    torch.manual_seed(0)
    spec = {"input_dim": 1433, "num_classes": 7}
    method = GraphMAE(GraphMAEConfig(encoder_options={"hidden_dim": 512, "heads": 4, "init": init}), spec)
    assert float(method.decoder.convs[0].lin.weight.std()) == pytest.approx(gain * math.sqrt(2 / (512 + 1433)), rel=0.02)


def test_graphmae_mask_token_learns():
    modality, batch = karate()
    method = GraphMAE(GraphMAEConfig(), modality.input_spec())
    loss, _ = method.ssl_loss(batch)
    loss.backward()
    assert method.mask_token.grad is not None and method.mask_token.grad.abs().sum() > 0


def test_cca_ssg_loss_is_invariance_plus_lambda_decorrelation():
    generator = torch.Generator().manual_seed(0)
    h1, h2 = torch.randn(50, 4, generator=generator), torch.randn(50, 4, generator=generator)
    loss, logs = CCASSGLoss(lambd=0.5)(h1, h2)
    z1 = (h1 - h1.mean(0)) / h1.std(0) / math.sqrt(50)
    z2 = (h2 - h2.mean(0)) / h2.std(0) / math.sqrt(50)
    expected = -torch.trace(z1.T @ z2) + 0.5 * (((torch.eye(4) - z1.T @ z1) ** 2).sum() + ((torch.eye(4) - z2.T @ z2) ** 2).sum())
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-5)
    same, _ = CCASSGLoss(lambd=0.0)(h1, h1)
    assert float(same) == pytest.approx(-4.0 * 49 / 50, rel=1e-4)  # tr(Z^T Z) = D (N-1)/N with unbiased std
    with pytest.raises(RecipeError):
        CCASSGLoss(lambd=-1.0)
    with pytest.raises(InvalidDataError):
        CCASSGLoss()(h1, h2[:, :3])


def test_grace_loss_is_nt_xent_over_both_views_value_and_gradient():
    from multissl.objectives.ntxent import NTXent

    generator = torch.Generator().manual_seed(0)
    z1, z2 = (torch.randn(30, 8, generator=generator, requires_grad=True) for _ in range(2))
    ours, logs = GRACELoss(temperature=0.4)(z1, z2)
    core, _ = NTXent(temperature=0.4)(z1, z2)
    torch.testing.assert_close(ours, core)
    for a, b in zip(torch.autograd.grad(ours, (z1, z2)), torch.autograd.grad(core, (z1, z2))):
        torch.testing.assert_close(a, b)
    aligned, aligned_logs = GRACELoss(temperature=0.4)(z1, z1 * 3.0)  # each node's positive is itself, scaled
    assert float(aligned_logs["positive_cosine"]) == pytest.approx(1.0) and float(aligned) < float(ours)
    with pytest.raises(RecipeError):
        GRACELoss(temperature=0.0)
    with pytest.raises(InvalidDataError):
        GRACELoss()(z1, z2[:, :3])


def test_edge_drop_keeps_the_features_and_about_one_minus_p_of_the_edges_seeded():
    _, batch = karate()
    inputs = GraphNodes().inputs(batch)
    first = EdgeDrop(p=0.3)(inputs, torch.Generator().manual_seed(1))
    again = EdgeDrop(p=0.3)(inputs, torch.Generator().manual_seed(1))
    kept = first.inputs.context["edge_index"]
    assert first.mask is None and first.inputs.x is inputs.x
    assert torch.equal(kept, again.inputs.context["edge_index"])
    assert 0.5 < kept.shape[1] / inputs.context["edge_index"].shape[1] < 0.9
    original = {tuple(e) for e in inputs.context["edge_index"].T.tolist()}
    assert {tuple(e) for e in kept.T.tolist()} <= original
    with pytest.raises(RecipeError):
        EdgeDrop(p=1.5)


def test_feature_mask_zeroes_the_same_columns_on_every_node():
    x = torch.rand(30, 200) + 0.1
    view = FeatureMask(p=0.4)(x, torch.Generator().manual_seed(0))
    zero_columns = (view.data == 0).all(dim=0)
    assert torch.equal(view.mask, zero_columns.expand(30, -1))
    assert torch.equal((view.data == 0).any(dim=0), zero_columns)
    assert 0.25 < zero_columns.float().mean() < 0.55
    assert torch.equal(view.data[:, ~zero_columns], x[:, ~zero_columns])


def test_node_mask_hides_round_ratio_n_rows():
    x = torch.rand(34, 5) + 0.1
    view = NodeMask(ratio=0.5)(x, torch.Generator().manual_seed(0))
    assert view.mask.shape == (34,) and int(view.mask.sum()) == 17
    assert torch.all(view.data[view.mask] == 0) and torch.equal(view.data[~view.mask], x[~view.mask])


def test_graph_nodes_keeps_seed_rows_only_in_neighbour_batches():
    modality, batch = karate()
    nodes = GraphNodes()
    encoder = registry().get("encoder", "gcn_stack")(input_dim=34, hidden_dims=[8])
    full = nodes.embed(encoder, nodes.inputs(batch))
    seeded = nodes.inputs({**batch, "seed_count": torch.tensor(5)})
    assert full.shape == (34, 8) and nodes.embed(encoder, seeded).shape == (5, 8)
    assert nodes.target(seeded).shape == (5, 34)
    altered = apply_views([NodeMask(ratio=0.5)], seeded, torch.Generator().manual_seed(0))
    loss, logs = nodes.reconstruction_loss(
        nodes.encode(encoder, altered.inputs), torch.nn.Linear(8, 34), seeded, altered, ScaledCosineError(2.0)
    )
    assert torch.isfinite(loss) and float(logs["masked_fraction"]) == pytest.approx(altered.mask[:5].float().mean().item())
    with pytest.raises(InvalidDataError, match="edge_index"):
        nodes.inputs({"x": batch["x"]})


def test_dgi_reads_seed_nodes_only_from_neighbour_batches():
    modality, batch = karate()
    method = DGI(DGIConfig(encoder_options={"hidden_dims": [8]}), modality.input_spec())
    _, logs = method.ssl_loss({**batch, "seed_count": torch.tensor(6)})
    real = method.input.embed(method.encoder, method.input.inputs({**batch, "seed_count": torch.tensor(6)}))
    assert real.shape[0] == 6 and method.discriminate(real, real).shape == (12,)  # 6 real and 6 corrupted seed nodes
    assert float(logs["discriminator_accuracy"]) * 12 == pytest.approx(round(float(logs["discriminator_accuracy"]) * 12))


@pytest.mark.parametrize("name", GENERIC)
def test_every_generic_method_on_graph_fits_saves_loads_and_embeds_identically(name, tmp_path):
    graph = Graph().example()
    assert name in {c.name for c in registry().methods_for("graph")}
    run = multissl.pretrain("graph", data=graph, method=name, max_epochs=1, **QUIET)
    assert run.recipe.method_options.input == "graph_nodes"
    embeddings = run.embed(graph)
    run.save(tmp_path / name)
    np.testing.assert_array_equal(multissl.load(tmp_path / name).embed(graph), embeddings)
    assert embeddings.shape[0] == 34 and np.isfinite(embeddings).all()


def test_graph_views_and_family_are_registered():
    reg = registry()
    assert {"graph_edge_drop", "graph_feature_mask", "graph_node_mask"} <= set(reg.names("view"))
    assert set(FAMILY + GENERIC) <= {c.name for c in reg.methods_for("graph")}


def test_the_probe_keeps_the_l2_strength_best_on_the_validation_nodes():
    from torch_geometric.data import Data

    from multissl_graph.node_classification import NodeClassificationOptions, _probe_accuracy

    generator = np.random.default_rng(0)
    y = np.repeat([0, 1], 60)
    embeddings = np.c_[y + 0.2 * generator.standard_normal(120), generator.standard_normal(120)]
    train, val = torch.zeros(120, dtype=torch.bool), torch.zeros(120, dtype=torch.bool)
    train[:5] = train[60:90] = True  # class 1 the majority: a probe without freedom predicts it everywhere
    val[5:25] = val[90:105] = True
    test = ~(train | val)  # 35 nodes of class 0, 15 of class 1
    graph = Data(y=torch.as_tensor(y), val_mask=val)
    strict = _probe_accuracy(embeddings, graph, train, test, NodeClassificationOptions(probe="sklearn", probe_c=[1e-6]))
    picked = _probe_accuracy(
        embeddings, graph, train, test, NodeClassificationOptions(probe="sklearn", probe_c=[1e-6, 10.0], probe_standardize=True)
    )
    assert strict.test == pytest.approx(15 / 50) and strict.validation == pytest.approx(15 / 35)  # class 1 everywhere
    assert picked.test > 0.95 and picked.validation > 0.95


def test_the_adam_probe_scores_the_test_nodes_at_the_best_validation_epoch():
    from torch_geometric.data import Data

    from multissl_graph.node_classification import NodeClassificationOptions, _probe_accuracy

    generator = np.random.default_rng(0)
    y = np.repeat([0, 1], 60)
    embeddings = np.c_[y + 0.2 * generator.standard_normal(120), generator.standard_normal(120)]
    train, val = torch.zeros(120, dtype=torch.bool), torch.zeros(120, dtype=torch.bool)
    train[:5] = train[60:90] = True
    val[5:25] = val[90:105] = True
    test = ~(train | val)
    graph = Data(y=torch.as_tensor(y), val_mask=val)
    options = NodeClassificationOptions(probe_lr=0.1)  # two features at unit scale: a faster rate than Cora's
    trained = _probe_accuracy(embeddings, graph, train, test, options, seed=0)
    assert trained.test > 0.95 and trained.validation > 0.95
    assert trained == _probe_accuracy(embeddings, graph, train, test, options, seed=0)
    one_step = _probe_accuracy(embeddings, graph, train, test, NodeClassificationOptions(probe_lr=0.1, probe_epochs=1))
    assert one_step.test < 0.5  # one step from a random start: the score is the trained epoch's, not a fixed one
    without_validation = Data(y=torch.as_tensor(y))
    assert _probe_accuracy(embeddings, without_validation, train, test, options, seed=0).validation is None


def test_the_normalized_probe_ignores_each_embeddings_length():
    from torch_geometric.data import Data

    from multissl_graph.node_classification import NodeClassificationOptions, _probe_accuracy

    generator = np.random.default_rng(0)
    y = np.repeat([0, 1], 60)
    directions = np.c_[y + 0.3 * generator.standard_normal(120), 1 - y + 0.3 * generator.standard_normal(120)]
    lengths = 10.0 ** generator.uniform(-2, 2, size=(120, 1))  # four orders of magnitude between nodes
    train, val = torch.zeros(120, dtype=torch.bool), torch.zeros(120, dtype=torch.bool)
    train[:20] = train[60:80] = True
    val[20:30] = val[80:90] = True
    test = ~(train | val)
    graph = Data(y=torch.as_tensor(y), val_mask=val)
    normalized = NodeClassificationOptions(probe_normalize=True, probe_lr=0.1)
    on_lengths = _probe_accuracy(directions * lengths, graph, train, test, normalized)
    assert on_lengths == _probe_accuracy(directions, graph, train, test, normalized) and on_lengths.test > 0.9
    plain = NodeClassificationOptions(probe_lr=0.1)  # without it, the lengths change what the probe learns
    assert _probe_accuracy(directions * lengths, graph, train, test, plain) != _probe_accuracy(directions, graph, train, test, plain)
