"""The training marginals a tabular run keeps, and SCARF's corruption drawing from them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from multissl_tabular.marginals import RowSample, corrupt_from_marginals, marginal_points
from multissl_tabular.modality import Tabular, TabularTable
from multissl_tabular.scarf import SCARF, SCARFConfig

from multissl.errors import InvalidDataError


def _table(rows: int, seed: int = 0) -> TabularTable:
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(rows, 2))
    numeric[::7, 1] = np.nan
    city = pd.Series(rng.choice(["a", "b", "c"], rows), dtype="str")
    return TabularTable(numeric, [city], None)


def test_points_are_every_value_when_the_table_is_small_and_spread_by_rank_otherwise():
    values = np.array([[3.0, np.nan], [1.0, 5.0], [2.0, 4.0]])
    np.testing.assert_array_equal(marginal_points(values, points=8), [[1.0, 4.0], [2.0, 5.0], [3.0, np.nan]])
    many = np.arange(1000.0)[:, None]
    points = marginal_points(many, points=10)[:, 0]
    np.testing.assert_array_equal(points, np.arange(50.0, 1000.0, 100.0))


def test_the_row_sample_holds_every_row_of_a_small_table_however_it_is_chunked():
    table = _table(100)
    whole, chunked = RowSample(size=1000), RowSample(size=1000)
    whole.add(table)
    for start in range(0, 100, 30):
        chunked.add(TabularTable(table.numeric[start:start + 30], [table.categorical[0][start:start + 30]], None))
    np.testing.assert_array_equal(whole.columns()[0], table.numeric)
    np.testing.assert_array_equal(chunked.columns()[0], table.numeric)
    assert chunked.columns()[1][0].tolist() == table.categorical[0].tolist()
    capped = RowSample(size=10)
    capped.add(table)
    assert capped.columns()[0].shape == (10, 2) and len(capped.columns()[1][0]) == 10


def test_corruption_replaces_the_ratio_of_each_row_by_training_values_not_batch_values():
    marginals = torch.tensor([[10.0, 20.0], [11.0, 21.0], [12.0, 22.0]])
    x = torch.zeros(64, 2)  # a batch of identical rows: batch marginals could only give zeros back
    corrupted, mask = corrupt_from_marginals(x, marginals, 0.5, torch.Generator().manual_seed(0))
    assert (mask.sum(dim=1) == 1).all()
    assert torch.isin(corrupted[:, 0][mask[:, 0]], marginals[:, 0]).all()
    assert torch.isin(corrupted[:, 1][mask[:, 1]], marginals[:, 1]).all()
    assert (corrupted[~mask] == 0).all()
    assert len(corrupted[:, 0][mask[:, 0]].unique()) == 3  # every point drawn


def test_the_modality_keeps_the_marginals_in_its_state_and_input_spec():
    modality = Tabular()
    frame = modality.example()
    modality.fit(modality.load(frame))
    spec = modality.input_spec()
    marginals = np.asarray(spec["marginals"])
    assert marginals.shape == (48, 5)  # 48 rows kept whole: age, income, label (numeric), city, member (codes)
    numeric, codes = modality.transform(modality.load(frame))
    for j in range(3):
        np.testing.assert_array_equal(np.sort(numeric[:, j].numpy()), marginals[:, j])
    np.testing.assert_array_equal(np.sort(codes[:, 0].numpy()), marginals[:, 3])
    restored = Tabular()
    restored.load_state_dict(modality.state_dict())
    np.testing.assert_array_equal(np.asarray(restored.input_spec()["marginals"]), marginals)


@pytest.mark.parametrize("marginals", ["training", "batch"])
def test_scarf_trains_a_step_from_either_marginals(marginals):
    modality = Tabular()
    raw = modality.load(modality.example())
    modality.fit(raw)
    config = SCARFConfig(dim=8, num_layers=1, ffn_dim=16, projector_dims=[16, 8], marginals=marginals)
    method = SCARF(config, modality.input_spec())
    batch = modality.collate([modality.dataset(raw)[i] for i in range(16)])
    loss = method.ssl_loss(batch)
    loss = loss[0] if isinstance(loss, tuple) else loss
    loss.backward()
    assert torch.isfinite(loss)


def test_scarf_from_training_marginals_says_what_to_do_without_them():
    modality = Tabular()
    raw = modality.load(modality.example())
    modality.fit(raw)
    spec = {k: v for k, v in modality.input_spec().items() if k != "marginals"}
    method = SCARF(SCARFConfig(dim=8, num_layers=1, ffn_dim=16, projector_dims=[16, 8]), spec)
    batch = modality.collate([modality.dataset(raw)[i] for i in range(16)])
    with pytest.raises(InvalidDataError, match="marginals: batch"):
        method.ssl_loss(batch)
