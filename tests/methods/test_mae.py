"""Masked reconstruction: only hidden entries are scored, and training learns to fill them in."""

from __future__ import annotations

import pytest
import torch

from multissl.errors import InvalidDataError, RecipeError
from multissl.methods.mae import MAEConfig, MaskedAutoencoder


def _method(**options) -> MaskedAutoencoder:
    torch.manual_seed(0)
    config = MAEConfig(encoder_options={"hidden_dims": [32], "output_dim": 16}, decoder_dims=[32], **options)
    return MaskedAutoencoder(config, {"input_dim": 8})


def _duplicated(n: int) -> torch.Tensor:
    """Rows whose last four features repeat the first four: a hidden feature is known from its twin."""
    half = torch.randn(n, 4)
    return torch.cat([half, half], dim=1)


@pytest.mark.parametrize("loss", ["mse", "sce"])
def test_training_fills_in_hidden_features_from_the_visible_ones(loss):
    method = _method(loss=loss, views=[{"name": "random_mask", "ratio": 0.25}])
    optimizer = torch.optim.Adam(method.parameters(), lr=5e-3)
    initial = None
    for _ in range(150):
        value, logs = method.ssl_loss({"x": _duplicated(64)})
        initial = value.item() if initial is None else initial
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    assert logs["masked_fraction"].item() == pytest.approx(0.25 if loss == "mse" else 1.0)  # SCE counts rows
    final = sum(method.ssl_loss({"x": _duplicated(256)})[0].item() for _ in range(4)) / 4
    assert final < 0.35 * initial


def test_unmasked_entries_do_not_count():
    method = _method(views=[{"name": "random_mask", "ratio": 0.5}])
    x = torch.randn(16, 8)
    original = method.input.inputs({"x": x})
    from multissl.methods.generic_input import apply_views

    altered = apply_views(method.views, original, torch.Generator().manual_seed(0))
    head = lambda encoded: torch.where(altered.mask, x, torch.full_like(x, 100.0))  # noqa: E731 - exact where hidden
    loss, _ = method.input.reconstruction_loss(torch.zeros(16, 16), head, original, altered, method.error)
    assert loss.item() == 0.0


def test_views_that_hide_nothing_and_bad_options_are_refused():
    method = _method(views=[{"name": "gaussian_noise", "std": 0.1}])
    with pytest.raises(InvalidDataError, match="hid nothing"):
        method.ssl_loss({"x": torch.randn(4, 8)})
    with pytest.raises(RecipeError, match="loss"):
        _method(loss="l1")
    with pytest.raises(RecipeError, match="at least one view"):
        _method(views=[])
