"""MLPEncoder: (N, input_dim) -> (N, output_dim)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from multissl.encoders import Encoder, MLPEncoder
from multissl.errors import InvalidDataError, RecipeError


@pytest.mark.parametrize("norm", ["batch", "layer", None])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_output_shape_matches_output_dim(norm, activation):
    encoder = MLPEncoder(7, hidden_dims=(16, 8), output_dim=5, norm=norm, activation=activation, dropout=0.1)
    assert isinstance(encoder, Encoder) and encoder.output_dim == 5
    x = torch.randn(4, 7)
    assert encoder(x).shape == (4, 5)
    encoder.eval()
    assert torch.equal(encoder.embed(x), encoder(x))


def test_layers_follow_the_settings():
    encoder = MLPEncoder(3, hidden_dims=(8,), output_dim=2, norm="layer", activation="gelu")
    assert [type(m) for m in encoder.net] == [nn.Linear, nn.LayerNorm, nn.GELU, nn.Dropout, nn.Linear]
    assert [type(m) for m in MLPEncoder(3, hidden_dims=(), output_dim=2).net] == [nn.Linear]


def test_gradients_reach_every_parameter(assert_gradients_flow):
    encoder = MLPEncoder(6, hidden_dims=(12, 12), output_dim=4)
    assert_gradients_flow(encoder, encoder.embed(torch.randn(10, 6)))


@pytest.mark.parametrize("x", [torch.randn(4, 6), torch.randn(4, 7, 1), torch.ones(4, 7, dtype=torch.int64)])
def test_wrong_input_is_refused(x):
    with pytest.raises(InvalidDataError, match="MLPEncoder expects"):
        MLPEncoder(7)(x)


def test_batch_norm_in_training_needs_two_rows():
    encoder = MLPEncoder(3)
    with pytest.raises(InvalidDataError, match="at least 2 rows"):
        encoder(torch.randn(1, 3))
    assert encoder.eval()(torch.randn(1, 3)).shape == (1, 128)


@pytest.mark.parametrize("options", [{"norm": "group"}, {"activation": "tanh"}, {"output_dim": 0}, {"dropout": 1.0}])
def test_bad_settings_are_refused(options):
    with pytest.raises(RecipeError, match="MLPEncoder"):
        MLPEncoder(3, **options)
