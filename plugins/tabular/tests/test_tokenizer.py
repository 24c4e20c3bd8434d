"""The feature tokenizer: per-column tokens, [REG] first, a learned token for missing numbers."""

from __future__ import annotations

import torch
from multissl_tabular.tokenizer import FeatureTokenizer


def test_tokens_follow_the_equations_and_missing_values_get_their_token():
    tokenizer = FeatureTokenizer(2, [4], dim=8, n_reg=2)
    numeric = torch.tensor([[0.5, float("nan")]])
    tokens = tokenizer(numeric, torch.tensor([[3]]))
    assert tokens.shape == (1, 2 + 3, 8)
    torch.testing.assert_close(tokens[0, :2], tokenizer.reg)
    torch.testing.assert_close(tokens[0, 2], 0.5 * tokenizer.numeric_weight[0] + tokenizer.numeric_bias[0])
    torch.testing.assert_close(tokens[0, 3], tokenizer.numeric_missing[1])
    torch.testing.assert_close(tokens[0, 4], tokenizer.category_embedding[3] + tokenizer.category_bias[0])


def test_categorical_columns_use_their_own_embedding_rows():
    tokenizer = FeatureTokenizer(0, [3, 5], dim=4, n_reg=1)
    tokens = tokenizer(torch.zeros(1, 0), torch.tensor([[0, 0]]))
    torch.testing.assert_close(tokens[0, 2], tokenizer.category_embedding[3] + tokenizer.category_bias[1])


def test_gradients_stay_finite_with_missing_numbers():
    tokenizer = FeatureTokenizer(3, [], dim=4)
    tokenizer(torch.tensor([[1.0, float("nan"), 0.0]]), torch.zeros(1, 0, dtype=torch.long)).sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in tokenizer.parameters() if p.grad is not None)


def test_value_weights_start_at_their_own_scale_and_the_rest_at_init_std():
    torch.manual_seed(0)
    tokenizer = FeatureTokenizer(40, [50] * 4, 64, n_reg=1, init_std=0.02, value_init_std=1.0)
    for value in (tokenizer.numeric_weight, tokenizer.category_embedding):
        assert 0.75 < float(value.std()) < 0.95 and float(value.abs().max()) <= 2.0  # N(0, 1) truncated at ±2
    for other in (tokenizer.numeric_bias, tokenizer.numeric_missing, tokenizer.category_bias, tokenizer.reg):
        assert float(other.abs().max()) <= 0.04
    same = FeatureTokenizer(40, [50] * 4, 64, init_std=0.02)  # value_init_std None: every parameter at init_std
    assert float(same.numeric_weight.abs().max()) <= 0.04
