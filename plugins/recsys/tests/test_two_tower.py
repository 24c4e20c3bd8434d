"""Two-tower SSL: mutual information, complementary masks, value dropout, the towers and the losses."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from multissl_recsys.evaluation import ranking_report
from multissl_recsys.feature_masking import (
    complementary_masks,
    correlated_masks,
    mutual_information,
    value_dropout,
)
from multissl_recsys.modality import Interactions
from multissl_recsys.two_tower import TwoTowerConfig, TwoTowerSSL

from multissl.errors import RecipeError


def test_mutual_information_of_single_valued_features_matches_the_formula():
    a = np.array([[2], [2], [3], [3]])
    b = np.array([[2], [3], [3], [3]])
    joint = np.array([[0.25, 0.25], [0.0, 0.5]])
    pa, pb = joint.sum(1), joint.sum(0)
    expected = sum(joint[i, j] * math.log(joint[i, j] / (pa[i] * pb[j])) for i in range(2) for j in range(2) if joint[i, j] > 0)
    assert mutual_information(a, b) == pytest.approx(expected)
    assert mutual_information(a, a) == pytest.approx(math.log(2))


def test_mutual_information_spreads_each_multi_valued_row_over_its_values():
    a = np.array([[2, 3], [2, 0]])  # row 0 holds two values, each gets weight 1/2
    b = np.array([[4], [5]])
    joint = np.array([[0.25, 0.5], [0.25, 0.0]])  # rows: values 2, 3; columns: 4, 5
    pa, pb = joint.sum(1), joint.sum(0)
    expected = sum(joint[i, j] * math.log(joint[i, j] / (pa[i] * pb[j])) for i in range(2) for j in range(2) if joint[i, j] > 0)
    assert mutual_information(a, b) == pytest.approx(expected)


def test_cfm_masks_the_seed_and_its_most_informative_features():
    rng = np.random.default_rng(0)
    base = rng.integers(2, 6, size=(200, 1))
    codes = [base, base.copy(), rng.integers(2, 6, size=(200, 1)), rng.integers(2, 6, size=(200, 1))]
    table = correlated_masks(codes)
    assert table.diagonal().all() and (table.sum(1) == 2).all()  # seed + the most informative other: k/2 = 2 of 4
    assert table[0, 1] and table[1, 0]  # identical features are each other's most informative


def test_rfm_and_cfm_views_are_complementary_halves():
    generator = torch.Generator().manual_seed(0)
    rfm = complementary_masks("rfm", 1000, None, 5, generator, "cpu")
    assert (rfm.sum(1) == 2).all()
    assert rfm.float().mean(0).sub(0.4).abs().max() < 0.06  # every feature equally likely
    table = torch.eye(3, dtype=torch.bool)
    seeds = set()
    for _ in range(30):
        cfm = complementary_masks("cfm", 300, table, 3, generator, "cpu")
        assert (cfm.sum(1) == 1).all() and (cfm == cfm[0]).all()  # one seed feature for the whole batch
        seeds.add(int(cfm[0].float().argmax()))
    assert seeds == {0, 1, 2}


def test_value_dropout_pads_values_at_the_given_rate_without_touching_the_input():
    codes = torch.full((500, 20), 7)
    dropped = value_dropout(codes, 0.3, torch.Generator().manual_seed(0))
    assert (codes == 7).all()
    assert abs((dropped == 0).float().mean().item() - 0.3) < 0.02 and set(dropped.unique().tolist()) == {0, 7}


@pytest.fixture
def example_batch():
    modality = Interactions()
    tables = modality.load(modality.example())
    modality.fit(tables)
    batch = modality.collate(modality.dataset(tables).__getitems__(list(range(16))))
    return modality, batch


def test_tower_replaces_masked_and_fully_dropped_features_by_their_default(example_batch):
    modality, batch = example_batch
    method = TwoTowerSSL(TwoTowerConfig(), modality.input_spec())
    items = torch.arange(4)
    everything = torch.ones(4, len(method.item_tower.names), dtype=torch.bool)
    masked = method.item_vectors(batch, items, everything)
    assert torch.allclose(masked, masked[:1].expand_as(masked))  # all features default: the same vector
    codes = method._codes(batch, "item", items)
    genres = method.item_tower.names.index("genres")
    no_genres = {**codes, "genres": torch.zeros_like(codes["genres"])}
    only_genres_masked = torch.zeros_like(everything)
    only_genres_masked[:, genres] = True
    torch.testing.assert_close(method.item_tower(no_genres), method.item_tower(codes, only_genres_masked))


def test_ssl_items_are_drawn_uniformly_from_the_catalogue(example_batch, monkeypatch):
    modality, batch = example_batch
    method = TwoTowerSSL(TwoTowerConfig(n_ssl=4000, ssl="rfm"), modality.input_spec())
    seen = []
    original = method.item_vectors
    monkeypatch.setattr(method, "item_vectors", lambda b, items, *a, **k: seen.append(items) or original(b, items, *a, **k))
    method.ssl_loss(batch)
    counts = torch.bincount(seen[0], minlength=method.n_items).float()
    assert counts.min() > 0.6 * counts.mean() and counts.max() < 1.4 * counts.mean()


def test_losses_and_weights_per_ssl_variant(example_batch):
    modality, batch = example_batch
    none = TwoTowerSSL(TwoTowerConfig(ssl="none"), modality.input_spec())
    assert none.ssl_weight == 0.0 and none.ssl_loss(batch)[0] == 0
    for variant in ("rfm", "cfm"):
        method = TwoTowerSSL(TwoTowerConfig(ssl=variant, ssl_weight=0.3, n_ssl=8), modality.input_spec())
        loss, logs = method._total_loss(batch)
        assert method.ssl_weight == 0.3 and torch.isfinite(loss) and {"ssl/infonce", "supervised/batch_softmax"} <= set(logs)
    with pytest.raises(RecipeError, match="n_ssl"):
        TwoTowerSSL(TwoTowerConfig(n_ssl=1), modality.input_spec())


def test_two_tower_learns_planted_preferences():
    """Users of group g like items of genre g; the genre feature lets the model rank them first."""
    rng = np.random.default_rng(0)
    rows = [(f"g{g}u{u}", f"g{g}i{i}") for g in range(3) for u in range(10) for i in rng.choice(12, size=6, replace=False)]
    items = pd.DataFrame({"item": [f"g{g}i{i}" for g in range(3) for i in range(12)], "genre": [f"genre{g}" for g in range(3) for _ in range(12)]})
    modality = Interactions()
    tables = modality.load({"interactions": pd.DataFrame(rows, columns=["user", "item"]), "item_features": items})
    modality.fit(tables)
    method = TwoTowerSSL(TwoTowerConfig(ssl="cfm", n_ssl=16, embedding_dim=8, tower_dims=[16]), modality.input_spec())
    optimizer = torch.optim.Adam(method.parameters(), lr=0.02)
    dataset = modality.dataset(tables)
    for step in range(60):
        batch = modality.collate(dataset.__getitems__(torch.randperm(len(dataset), generator=torch.Generator().manual_seed(step))[:32].tolist()))
        loss, _ = method._total_loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    report = ranking_report(modality, method, tables)
    assert report["recall@10"] > 0.6, report  # random ranking: about 10 / 32 unseen items
