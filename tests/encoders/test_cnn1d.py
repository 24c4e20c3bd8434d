"""CNN1dEncoder (TPN): channels-last (N, T, C) -> (N, T', channels[-1]); pooled embedding."""

from __future__ import annotations

import pytest
import torch

from multissl.encoders import CNN1dEncoder, Encoder
from multissl.errors import InvalidDataError, RecipeError


def test_valid_padding_shortens_time_by_the_kernels():
    encoder = CNN1dEncoder(3)
    assert isinstance(encoder, Encoder) and encoder.output_dim == 96
    assert encoder(torch.randn(2, 60, 3)).shape == (2, 60 - 23 - 15 - 7, 96)


def test_same_padding_keeps_time():
    encoder = CNN1dEncoder(3, channels=(8, 4), kernel_sizes=(5, 3), padding="same")
    assert encoder(torch.randn(2, 10, 3)).shape == (2, 10, 4) and encoder.output_dim == 4


@pytest.mark.parametrize("pool, reduce", [("max", lambda h: h.amax(dim=1)), ("mean", lambda h: h.mean(dim=1))])
def test_embed_pools_over_time(pool, reduce):
    encoder = CNN1dEncoder(3, pool=pool).eval()
    x = torch.randn(4, 50, 3)
    assert torch.equal(encoder.embed(x), reduce(encoder(x))) and encoder.embed(x).shape == (4, 96)


def test_input_shorter_than_the_receptive_field_is_refused():
    encoder = CNN1dEncoder(3)
    assert encoder(torch.randn(1, 46, 3)).shape == (1, 1, 96)
    with pytest.raises(InvalidDataError, match="at least 46 time steps"):
        encoder(torch.randn(1, 45, 3))


def test_gradients_reach_every_parameter(assert_gradients_flow):
    encoder = CNN1dEncoder(3, channels=(8, 8), kernel_sizes=(5, 3), dropout=0.0)
    assert_gradients_flow(encoder, encoder.embed(torch.randn(4, 20, 3)))


@pytest.mark.parametrize("x", [torch.randn(2, 50), torch.randn(2, 50, 4)])
def test_wrong_input_is_refused(x):
    with pytest.raises(InvalidDataError, match="CNN1dEncoder expects a tensor of shape \\(N, T, 3\\)"):
        CNN1dEncoder(3)(x)


@pytest.mark.parametrize("options", [{"kernel_sizes": (3,)}, {"pool": "sum"}, {"padding": "causal"}])
def test_bad_settings_are_refused(options):
    with pytest.raises(RecipeError, match="CNN1dEncoder"):
        CNN1dEncoder(3, **options)
