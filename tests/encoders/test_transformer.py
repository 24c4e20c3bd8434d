"""TransformerEncoder: (N, T, F) tokens -> (N, T, d_model); padding-aware mean embedding."""

from __future__ import annotations

import pytest
import torch

from multissl.encoders import Encoder, TransformerEncoder
from multissl.errors import InvalidDataError, RecipeError


def _small(**options) -> TransformerEncoder:
    settings = {"d_model": 16, "num_layers": 2, "num_heads": 2, "ffn_dim": 32, "max_len": 64} | options
    return TransformerEncoder(5, **settings)


def test_output_shape_matches_output_dim():
    encoder = _small()
    assert isinstance(encoder, Encoder) and encoder.output_dim == 16
    x = torch.randn(3, 11, 5)
    assert encoder(x).shape == (3, 11, 16) and encoder.embed(x).shape == (3, 16)


@pytest.mark.parametrize("norm_first", [False, True])
def test_return_all_layers_gives_projection_then_each_layer(norm_first):
    encoder = _small(num_layers=3, norm_first=norm_first).eval()
    x = torch.randn(2, 7, 5)
    layers = encoder(x, return_all_layers=True)
    assert len(layers) == 4 and all(h.shape == (2, 7, 16) for h in layers)
    assert torch.equal(layers[-1], encoder(x))
    assert torch.allclose(layers[0], encoder.input_projection(x) + encoder.positions[:7])


@pytest.mark.parametrize("positional", ["sinusoidal", "learned", None])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad"])  # no_grad takes PyTorch's fast path
def test_padded_sequence_embeds_like_its_unpadded_version(positional, norm_first, grad):
    encoder = _small(positional=positional, norm_first=norm_first).eval()
    lengths = [9, 6, 3]
    x = torch.randn(3, 9, 5) * 100  # padding holds large garbage: it must not leak into real tokens
    padding = torch.arange(9) >= torch.tensor(lengths)[:, None]
    with torch.set_grad_enabled(grad):
        padded = encoder.embed(x, padding)
        alone = torch.cat([encoder.embed(x[i : i + 1, :n]) for i, n in enumerate(lengths)])
        tokens = encoder(x, padding)
    assert torch.allclose(padded, alone, atol=1e-5)
    assert torch.isfinite(tokens).all()


@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad"])
def test_all_padding_rows_stay_finite_and_embed_to_zero(grad):
    encoder = _small().eval()
    padding = torch.tensor([[False] * 4, [True] * 4])
    with torch.set_grad_enabled(grad):
        tokens, embedding = encoder(torch.randn(2, 4, 5), padding), encoder.embed(torch.randn(2, 4, 5), padding)
    assert torch.isfinite(tokens).all()
    assert torch.equal(embedding[1], torch.zeros(16)) and embedding[0].abs().sum() > 0


def test_gradients_reach_every_parameter(assert_gradients_flow):
    encoder = _small(positional="learned")
    padding = torch.tensor([[False] * 6, [False] * 4 + [True] * 2])
    assert_gradients_flow(encoder, encoder.embed(torch.randn(2, 6, 5), padding))


def test_sequences_longer_than_max_len_are_refused():
    with pytest.raises(InvalidDataError, match="length 65, longer than max_len=64"):
        _small()(torch.randn(1, 65, 5))
    assert _small(positional=None)(torch.randn(1, 65, 5)).shape == (1, 65, 16)  # no position table, no limit


@pytest.mark.parametrize("x", [torch.randn(3, 5), torch.randn(3, 4, 6)])
def test_wrong_input_is_refused(x):
    with pytest.raises(InvalidDataError, match="TransformerEncoder expects a tensor of shape \\(N, T, 5\\)"):
        _small()(x)


@pytest.mark.parametrize("padding", [torch.zeros(2, 4, dtype=torch.int64), torch.zeros(2, 5, dtype=torch.bool)])
def test_bad_padding_mask_is_refused(padding):
    with pytest.raises(InvalidDataError, match="padding_mask as a bool tensor of shape \\(2, 4\\)"):
        _small()(torch.randn(2, 4, 5), padding)


@pytest.mark.parametrize("options", [{"positional": "rotary"}, {"activation": "tanh"}, {"num_heads": 3}])
def test_bad_settings_are_refused(options):
    with pytest.raises(RecipeError, match="TransformerEncoder"):
        _small(**options)


def test_project_input_false_feeds_tokens_to_the_layers_unchanged():
    encoder = TransformerEncoder(16, d_model=16, num_layers=1, num_heads=2, ffn_dim=32, positional=None, project_input=False).eval()
    x = torch.randn(2, 5, 16)
    assert not any(name.startswith("input_projection") for name, _ in encoder.named_parameters())
    assert torch.equal(encoder(x, return_all_layers=True)[0], x)
    with pytest.raises(RecipeError, match="input_dim == d_model"):
        TransformerEncoder(5, d_model=16, project_input=False)


@pytest.mark.parametrize("positional", ["sinusoidal", "learned", None])
@pytest.mark.parametrize("norm_first", [False, True])
def test_skip_padding_computes_the_same_real_tokens_and_gradients(positional, norm_first):
    torch.manual_seed(0)
    dense = _small(positional=positional, norm_first=norm_first, num_layers=3).eval()
    packed = _small(positional=positional, norm_first=norm_first, num_layers=3, skip_padding=True).eval()
    packed.load_state_dict(dense.state_dict())  # same parameter names: checkpoints load either way
    x = torch.randn(4, 9, 5) * 10
    padding = torch.arange(9) >= torch.tensor([9, 6, 1, 0])[:, None]  # full, partial, one token, none
    real = ~padding
    dense_layers, packed_layers = dense(x, padding, return_all_layers=True), packed(x, padding, return_all_layers=True)
    for a, b in zip(dense_layers, packed_layers, strict=True):
        assert torch.allclose(a[real], b[real], atol=1e-5)
        assert torch.equal(b[padding], torch.zeros_like(b[padding]))  # nothing computed on padding
    assert torch.equal(packed(x, padding), packed_layers[-1])
    (dense_layers[-1][real].pow(2).sum()).backward()
    (packed_layers[-1][real].pow(2).sum()).backward()
    for (name, a), b in zip(dense.named_parameters(), packed.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, atol=1e-4, rtol=1e-4), name
    assert torch.equal(packed(x), dense(x))  # without a padding mask both take the same path


def test_skip_padding_trains_with_dropout():
    encoder = _small(skip_padding=True, dropout=0.5).train()
    padding = torch.arange(6) >= torch.tensor([6, 3])[:, None]
    first, second = encoder(torch.ones(2, 6, 5), padding), encoder(torch.ones(2, 6, 5), padding)
    assert not torch.equal(first, second) and torch.isfinite(first).all()


def test_ffn_dropout_sets_the_feed_forward_hidden_dropout_only():
    encoder = _small(dropout=0.3, ffn_dropout=0.0)
    assert all(layer.dropout.p == 0.0 and layer.dropout1.p == 0.3 and layer.self_attn.dropout == 0.3 for layer in encoder.layers)
    assert all(layer.dropout.p == 0.3 for layer in _small(dropout=0.3).layers)
    with pytest.raises(RecipeError, match="ffn_dropout must lie in \\[0, 1\\)"):
        _small(ffn_dropout=1.0)
