"""Sparse dropout: the masks of nn.Dropout, exact attention dropout on the fused kernel, the same layers."""

from __future__ import annotations

import pytest
import torch
from multissl_tabular.chunked_feed_forward import relu_feed_forward
from multissl_tabular.sparse_dropout import (
    attention_with_sparse_dropout,
    dropped_positions,
    sparse_dropout,
)
from multissl_tabular.sparse_dropout_transformer import SparseDropoutTransformer

from multissl.encoders.transformer import TransformerEncoder
from multissl.errors import InvalidDataError


def test_dropped_positions_are_distinct_in_range_and_bernoulli_in_number():
    torch.manual_seed(0)
    counts = torch.zeros(1000)
    sizes = []
    for _ in range(400):
        dropped = dropped_positions(1000, 0.01)
        assert dropped.unique().numel() == dropped.numel() and (0 <= dropped).all() and (dropped < 1000).all()
        counts[dropped] += 1
        sizes.append(dropped.numel())
    sizes = torch.tensor(sizes, dtype=torch.float64)
    assert abs(sizes.mean() - 10) < 0.6 and abs(sizes.var() - 9.9) < 2.5  # Binomial(1000, 0.01): mean 10, var 9.9
    assert counts[:500].sum() / counts.sum() == pytest.approx(0.5, abs=0.05)  # no index favoured
    assert dropped_positions(1000, 0.0).numel() == 0


@pytest.mark.parametrize("p", [0.01, 0.3])
def test_sparse_dropout_zeroes_a_share_p_and_rescales_the_rest(p):
    torch.manual_seed(0)
    x = torch.rand(200, 500) + 1
    out = sparse_dropout(x, p)
    dropped = out == 0
    assert dropped.float().mean().item() == pytest.approx(p, rel=0.1)
    assert torch.allclose(out[~dropped], x[~dropped] / (1 - p))
    assert sparse_dropout(x, p, training=False) is x and sparse_dropout(x, 0.0) is x


def test_sparse_dropout_passes_no_gradient_through_dropped_elements():
    x = torch.rand(100, 100, requires_grad=True)
    out = sparse_dropout(x, 0.02)
    out.sum().backward()
    assert torch.equal(x.grad == 0, out == 0)
    assert torch.allclose(x.grad[out != 0], torch.tensor(1 / 0.98))


def test_attention_with_sparse_dropout_equals_dropout_on_the_weights():
    torch.manual_seed(0)
    q, k, v = (torch.randn(3, 2, 5, 4, dtype=torch.float64, requires_grad=True) for _ in range(3))
    dropped = torch.tensor([0, 7, 8, 24, 40, 149])  # flat (b, h, i, j), several in one row
    mask = torch.ones(3 * 2 * 5 * 5, dtype=torch.float64)
    mask[dropped] = 0
    weights = torch.softmax(q @ k.transpose(-1, -2) / 2, dim=-1)
    expected = (weights * mask.view(3, 2, 5, 5) / 0.9) @ v
    got = attention_with_sparse_dropout(q, k, v, 0.1, dropped)
    assert torch.allclose(got, expected)
    grads = torch.autograd.grad(got.pow(2).sum(), (q, k, v))
    for a, b in zip(grads, torch.autograd.grad(expected.pow(2).sum(), (q, k, v)), strict=True):
        assert torch.allclose(a, b)


def _pair(norm_first: bool, dropout: float, **options) -> tuple[TransformerEncoder, SparseDropoutTransformer]:
    options = {"d_model": 8, "num_layers": 2, "num_heads": 2, "ffn_dim": 16, "dropout": dropout, "activation": "relu",
               "norm_first": norm_first, "positional": None, "project_input": False, **options}
    input_dim = 5 if options["project_input"] else 8
    core = TransformerEncoder(input_dim, **options)
    sparse = SparseDropoutTransformer(input_dim, **options)
    sparse.load_state_dict(core.state_dict())  # the same parameters and checkpoints
    return core, sparse


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("options", [{}, {"positional": "sinusoidal", "project_input": True, "activation": "gelu"}],
                         ids=["tabular", "projected-gelu"])
@pytest.mark.parametrize("length", [6, 20], ids=["batch-last-attention", "fused-attention"])
def test_sparse_dropout_transformer_computes_the_core_layers(norm_first, options, length):
    torch.manual_seed(0)
    core, sparse = _pair(norm_first, 0.0, **options)
    x = torch.randn(4, length, core.input_dim)
    assert torch.allclose(sparse.train()(x), core.train()(x), atol=1e-5)
    gradients = [torch.autograd.grad(model(x).pow(2).sum(), list(model.parameters())) for model in (core, sparse)]
    for a, b in zip(*gradients, strict=True):
        assert torch.allclose(a, b, atol=1e-5)
    core_dropout, sparse_dropout_ = _pair(norm_first, 0.01, **options)
    assert torch.allclose(sparse_dropout_.eval()(x), core_dropout.eval()(x), atol=1e-5)  # evaluation: no dropout


@pytest.mark.parametrize("training", [True, False])
def test_sparse_dropout_transformer_refuses_what_the_core_refuses(training):
    _, sparse = _pair(False, 0.01, positional="sinusoidal", project_input=True, max_len=8)
    sparse.train(training)
    with pytest.raises(InvalidDataError, match="length 9, longer than max_len=8"):
        sparse(torch.randn(2, 9, 5))
    with pytest.raises(InvalidDataError, match="expects a tensor of shape"):
        sparse(torch.randn(2, 9))


def test_sparse_dropout_transformer_drops_in_training_only():
    torch.manual_seed(0)
    _, sparse = _pair(False, dropout=0.04)
    x = torch.randn(64, 6, 8)
    first, second = sparse.train()(x), sparse(x)
    assert not torch.equal(first, second) and torch.isfinite(first).all()
    assert torch.equal(sparse.eval()(x), sparse(x))


@pytest.mark.parametrize("p", [0.0, 0.03, 0.2])
def test_relu_feed_forward_equals_the_block_with_the_same_dropped_units(p):
    torch.manual_seed(0)
    linear1, linear2 = torch.nn.Linear(6, 12).double(), torch.nn.Linear(12, 6).double()
    x = torch.randn(40, 6, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(1)
    got = relu_feed_forward(x, linear1, linear2, p, chunk_rows=7)  # chunks that do not divide the rows
    torch.manual_seed(1)
    if p < 0.05:
        mask = torch.ones(40 * 12, dtype=torch.float64)
        mask[dropped_positions(40 * 12, p)] = 0
        expected = linear2(torch.relu(linear1(x)) * mask.view(40, 12) / (1 - p))
    else:  # dense dropout above SPARSE_BELOW: the same random stream as F.dropout
        expected = linear2(torch.nn.functional.dropout(torch.relu(linear1(x)), p, True))
    assert torch.allclose(got, expected)
    parameters = [x, *linear1.parameters(), *linear2.parameters()]
    for a, b in zip(torch.autograd.grad(got.pow(2).sum(), parameters),
                    torch.autograd.grad(expected.pow(2).sum(), parameters), strict=True):
        assert torch.allclose(a, b)


def test_sparse_dropout_transformer_trains_under_autocast():
    torch.manual_seed(0)
    _, sparse = _pair(True, dropout=0.01)
    x = torch.randn(32, 6, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = sparse.train()(x)
    out.float().pow(2).sum().backward()
    assert torch.isfinite(out.float()).all() and all(torch.isfinite(p.grad).all() for p in sparse.parameters())
