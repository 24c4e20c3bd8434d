"""Training the unknown-category token: known codes become unknown at the configured rate; it gets gradient."""

from __future__ import annotations

import pytest
import torch
from multissl_tabular.modality import MISSING_CODE, UNKNOWN_CODE, Tabular
from multissl_tabular.tjepa import TJEPA, TJEPAConfig
from multissl_tabular.unknown_categories import replace_by_unknown

from multissl.errors import RecipeError


def test_only_known_codes_are_replaced_at_about_the_rate():
    codes = torch.tensor([[MISSING_CODE, UNKNOWN_CODE, 2, 3]]).repeat(5000, 1)
    replaced = replace_by_unknown(codes, 0.2, torch.Generator().manual_seed(0))
    assert torch.equal(replaced[:, :2], codes[:, :2])  # missing and unknown stay
    changed = (replaced[:, 2:] != codes[:, 2:]).float().mean()
    assert 0.18 < changed < 0.22 and set(replaced[:, 2:].unique().tolist()) == {UNKNOWN_CODE, 2, 3}
    assert torch.equal(codes, torch.tensor([[MISSING_CODE, UNKNOWN_CODE, 2, 3]]).repeat(5000, 1))  # input untouched
    assert replace_by_unknown(codes, 0.0, torch.Generator()) is codes


def test_rate_out_of_range_is_refused():
    with pytest.raises(RecipeError, match="unknown_category_rate"):
        replace_by_unknown(torch.zeros(2, 1, dtype=torch.long), 1.0, torch.Generator())


@pytest.mark.parametrize("rate", [0.0, 0.5])
def test_the_unknown_embedding_gets_gradient_only_when_trained(rate):
    modality = Tabular()
    frame = Tabular().example().drop(columns="label")
    modality.fit(modality.load(frame))
    config = TJEPAConfig(dim=8, num_layers=1, predictor_dim=8, predictor_layers=1, predictor_ffn_dim=8, unknown_category_rate=rate)
    method = TJEPA(config, modality.input_spec())
    batch = modality.collate(list(modality.dataset(modality.load(frame))))
    method.ssl_loss(batch)[0].backward()
    tokenizer = method.context_encoder.tokenizer
    unknown_rows = tokenizer.category_offsets + UNKNOWN_CODE
    gradient = tokenizer.category_embedding.grad[unknown_rows].abs().sum()
    assert (gradient > 0) == (rate > 0)
