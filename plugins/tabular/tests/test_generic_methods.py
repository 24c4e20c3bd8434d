"""The core's generic methods on tables: one step each, save, load, identical embeddings; the tabular views."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from multissl_tabular.modality import Tabular
from multissl_tabular.plugin import GENERIC_METHODS
from multissl_tabular.table_rows import TableRows, TableTransformer, TrainingMarginalCorruption

import multissl
from multissl.errors import InvalidDataError
from multissl.methods.generic_input import Inputs

QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": [], "data.label_column": "label"}


def _fitted() -> tuple[Tabular, object]:
    modality = Tabular()
    raw = modality.load(modality.example())
    modality.fit(raw)
    return modality, raw


@pytest.mark.parametrize("method", GENERIC_METHODS)
def test_generic_method_trains_on_a_table_and_embeds_identically_after_loading(method, tmp_path):
    frame = Tabular().example()
    run = multissl.pretrain("tabular", frame, method, max_epochs=1, batch_size=16, **QUIET,
                            **{"method.encoder_options": {"dim": 8, "num_layers": 1, "ffn_dim": 16}})
    embeddings = run.embed(frame)
    assert embeddings.shape == (48, 8) and np.isfinite(embeddings).all()
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(frame), embeddings)


def test_generic_methods_are_listed_for_tables():
    names = {entry.name for entry in multissl.plugins.registry().methods_for("tabular")}
    assert set(GENERIC_METHODS) <= names


def test_table_rows_read_numbers_then_codes_and_the_encoder_reads_nan_as_missing():
    modality, raw = _fitted()
    batch = modality.collate([modality.dataset(raw)[i] for i in range(8)])
    rows = TableRows(**modality.input_spec())
    inputs = rows.inputs(batch)
    assert torch.equal(inputs.x[:, 3:].long(), batch["categorical"])
    torch.testing.assert_close(inputs.x[:, :3], batch["numeric"], equal_nan=True)
    encoder = TableTransformer(**modality.input_spec(), dim=8, num_layers=1, ffn_dim=16).eval()
    hidden = inputs.x.clone()
    hidden[:, 3] = float("nan")
    missing = inputs.x.clone()
    missing[:, 3] = 0.0  # the missing code
    torch.testing.assert_close(encoder.embed(hidden), encoder.embed(missing))
    assert rows.encode(encoder, inputs).shape == (8, 5, 8)  # one output per feature, [REG] left out


def test_training_marginal_corruption_draws_from_the_kept_marginals_only():
    modality, raw = _fitted()
    batch = modality.collate([modality.dataset(raw)[i] for i in range(16)])
    inputs = TableRows(**modality.input_spec()).inputs(batch)
    altered = TrainingMarginalCorruption(ratio=0.4)(inputs, torch.Generator().manual_seed(0))
    assert (altered.mask.sum(dim=1) == 2).all()  # round(0.4 * 5)
    marginals = inputs.context["marginals"]
    for j in range(5):
        drawn = altered.inputs.x[altered.mask[:, j], j]
        column = marginals[:, j]
        assert all(torch.isnan(v) and torch.isnan(column).any() or (column == v).any() for v in drawn)
    with pytest.raises(InvalidDataError, match="marginal_corruption"):
        TrainingMarginalCorruption()(Inputs(inputs.x), torch.Generator())


def test_table_reconstruction_scores_hidden_numbers_by_squared_error_and_hidden_categories_by_cross_entropy():
    from multissl.methods.generic_input import InputsAltered

    rows = TableRows(n_numeric=1, categorical_cardinalities=[3])
    x = torch.tensor([[0.5, 2.0], [float("nan"), 1.0]])
    prediction = torch.tensor([[[1.5, 0.0, 0.0], [0.0, 0.0, 0.0]], [[9.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    mask = torch.tensor([[True, True], [True, False]])  # row 1's number is missing: not scored
    loss, _ = rows.reconstruction_loss(prediction, torch.nn.Identity(), Inputs(x), InputsAltered(Inputs(x), mask), None)
    expected = ((1.5 - 0.5) ** 2 + np.log(3.0)) / 2  # one number, one category (uniform logits over 3 codes)
    assert loss.item() == pytest.approx(expected)
