"""The core's generic methods on interactions: one step each with the interactions defaults, then save, load and
embed; the user-item graph views and masked-edge reconstruction."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from multissl_recsys.adjacency import graph_context
from multissl_recsys.graph_views import InteractionEdgeDrop, InteractionEdgeMask, InteractionNodeDrop, InteractionRandomWalk
from multissl_recsys.lightgcn_encoder import LightGCNEncoder
from multissl_recsys.modality import Interactions
from multissl_recsys.user_item_input import UserItemGraphInput, graph_inputs

import multissl
from multissl.errors import RecipeError
from multissl.methods.generic_input import apply_views
from multissl.plugins import registry

GENERIC = ("simclr", "vicreg", "barlow_twins", "byol", "mae")
QUIET = {"trainer.max_steps": 1, "trainer.enable_progress_bar": False, "trainer.loggers": [], "data.split": "none"}


@pytest.mark.parametrize("method", GENERIC)
def test_each_generic_method_trains_a_step_saves_loads_and_embeds_identically(method, tmp_path):
    if method not in registry().names("method") or "interactions" not in registry().entry("method", method).modalities:
        pytest.skip(f"the core does not offer {method!r} here")
    source = Interactions().example()
    run = multissl.pretrain("interactions", source, method=method, batch_size=32, **QUIET)
    embeddings = run.embed(source)
    assert embeddings.shape == (60, 64) and np.isfinite(embeddings).all()  # [e_u, e_i], 32 each
    run.save(tmp_path / "run")
    loaded = multissl.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.embed(source), embeddings)
    items = loaded.modality.embedding_table(loaded.method, "items")
    assert items.shape == (19, 32) and items.index.tolist() == loaded.modality.item_ids  # 19 of 20 items interacted with
    row = list(source["interactions"].item).index("i0")
    np.testing.assert_allclose(items.loc["i0"].to_numpy(), embeddings[row, 32:], rtol=1e-5)  # the table is embed's item half


def test_the_generic_methods_are_listed_for_interactions():
    served = {name for name in registry().names("method") if "interactions" in registry().entry("method", name).modalities}
    assert {"lightgcn", "sgl", "simclr", "vicreg", "barlow_twins"} <= served


def _inputs():
    users, items = torch.tensor([0, 0, 1, 2, 2, 3]), torch.tensor([0, 1, 1, 2, 3, 0])
    batch = {"user": users, "item": items, **graph_context(users, items, 4, 5)}
    return graph_inputs(batch, 4, 5)


@pytest.mark.parametrize("view", [InteractionEdgeDrop(0.5), InteractionNodeDrop(0.5), InteractionRandomWalk(0.5, layers=2)])
def test_graph_views_remove_interactions_and_leave_the_input_alone(view):
    inputs = _inputs()
    before = inputs.context["adjacency"].to_dense().clone()
    altered = view(inputs, torch.Generator().manual_seed(0))
    graphs = altered.inputs.context["adjacency"]
    for graph in graphs if isinstance(graphs, tuple) else (graphs,):
        assert ((graph.to_dense() != 0) <= (before != 0)).all()
    assert inputs.context["adjacency"].to_dense().equal(before) and altered.inputs.x is inputs.x
    assert "ratio=0.5" in repr(view)
    with pytest.raises(RecipeError, match="ratio must be in"):
        type(view)(1.5)


def test_edge_mask_hides_the_masked_samples_from_the_graph_and_draws_unseen_items():
    inputs = _inputs()
    pairs = [(u, i - 4) for u, i in inputs.x.tolist()]
    seen = set(zip(inputs.context["graph_user"].tolist(), inputs.context["graph_item"].tolist()))
    generator, hidden_share = torch.Generator().manual_seed(0), []
    for _ in range(20):
        altered = apply_views([InteractionEdgeMask(0.5)], inputs, generator)
        mask, context = altered.mask, altered.inputs.context
        kept = set(zip(context["graph_user"].tolist(), context["graph_item"].tolist()))
        assert mask.shape == (6,) and all((pair in kept) != bool(hidden) for pair, hidden in zip(pairs, mask.tolist()))
        assert all((u, j - 4) not in seen for (u, _), j in zip(pairs, context["negative_items"].tolist()))
        hidden_share.append(float(mask.float().mean()))
    assert 0.35 < np.mean(hidden_share) < 0.65


def test_masked_edge_reconstruction_learns_to_rank_hidden_interactions_above_non_interactions():
    torch.manual_seed(0)
    bridge = UserItemGraphInput(n_users=4, n_items=5)
    encoder = LightGCNEncoder(4, 5, embedding_dim=8, n_layers=1)
    head = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.GELU(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=0.02)
    generator = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(60):
        inputs = _inputs()
        altered = apply_views([InteractionEdgeMask(0.5)], inputs, generator)
        loss, logs = bridge.reconstruction_loss(bridge.encode(encoder, altered.inputs), head, inputs, altered, None)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert np.mean(losses[-10:]) < 0.6 * np.mean(losses[:10]), losses
