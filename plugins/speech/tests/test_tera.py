"""TERA's alteration policy, its loss and its short-utterance guard."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from multissl_speech.tera_alteration import TERAAlteration

import multissl
from multissl.errors import RecipeError


def _batch(n=400, length=200, bins=80, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, length, bins, generator=generator) + 3.0  # no frame is naturally zero
    valid = torch.ones(n, length, dtype=torch.bool)
    return x, valid


def test_time_alteration_follows_the_80_10_10_policy_in_spans_of_7():
    x, valid = _batch()
    altered = TERAAlteration(max_frequency=0.0, noise_probability=0.0)(x, torch.Generator().manual_seed(1), valid=valid)
    time_mask = altered.mask.all(dim=-1)
    hidden = time_mask.sum(1)
    assert (hidden <= 28).all() and (hidden >= 7).all()  # round(200 · 0.15 / 7) = 4 spans, overlap allowed
    changed = (altered.data != x).any(-1)
    zeroed = (altered.data[time_mask] == 0).all(-1).view(-1)
    assert not changed[~time_mask].any()  # nothing outside the spans is touched
    rows_zero = torch.tensor([(altered.data[i][time_mask[i]] == 0).all() for i in range(len(x))]).float().mean()
    rows_kept = torch.tensor([torch.equal(altered.data[i], x[i]) for i in range(len(x))]).float().mean()
    assert 0.72 < rows_zero < 0.88 and 0.05 < rows_kept < 0.16 and zeroed.any()
    replaced = [i for i in range(len(x)) if changed[i].any() and not (altered.data[i][time_mask[i]] == 0).all()]
    row = replaced[0]
    frames = altered.data[row][time_mask[row]]
    assert all((x[row] == f).all(-1).any() for f in frames)  # replacements are real frames of the same utterance


def test_frequency_block_is_at_most_20_percent_and_noise_hits_about_15_percent():
    x, valid = _batch()
    altered = TERAAlteration(proportion=0.0, noise_probability=0.0)(x, torch.Generator().manual_seed(2), valid=valid)
    widths = altered.mask[:, 0, :].sum(-1)
    assert widths.max() <= 16 and widths.min() == 0 and (widths > 8).any()
    block = altered.mask[:, 0, :]
    assert torch.equal((altered.data == 0).all(1), block)  # the block is zero on every frame, nothing else is
    noisy = TERAAlteration(proportion=0.0, max_frequency=0.0)(x, torch.Generator().manual_seed(3), valid=valid)
    fraction = (noisy.data != x).any(-1).any(-1).float().mean()
    assert 0.1 < fraction < 0.2 and not noisy.mask.any()


def test_alteration_is_pure_seeded_and_ignores_padding():
    x, valid = _batch(n=8, length=50)
    valid[:, 30:] = False
    before = x.clone()
    first = TERAAlteration()(x, torch.Generator().manual_seed(4), valid=valid)
    second = TERAAlteration()(x, torch.Generator().manual_seed(4), valid=valid)
    assert torch.equal(x, before) and torch.equal(first.data, second.data) and torch.equal(first.mask, second.mask)
    assert not first.mask[:, 30:].any() and (first.data[:, 30:] == 0).all()


def test_utterances_too_short_for_a_span_get_no_time_alteration_and_no_crash(tiny_tera, quiet):
    x, valid = _batch(n=4, length=6)
    altered = TERAAlteration(max_frequency=0.0)(x, torch.Generator().manual_seed(0), valid=valid)
    assert not altered.mask.any()
    clips = {"audio": [np.random.default_rng(i).normal(size=450).astype(np.float32) for i in range(4)], "sample_rate": 16000}
    run = multissl.pretrain("speech", clips, method="tera", max_epochs=1, batch_size=4, max_frequency=0.0, **tiny_tera, **quiet)
    assert run.metrics["train"]["train/loss"] == 0.0  # one frame each: nothing to reconstruct, no crash


def test_the_loss_counts_only_altered_elements():
    from multissl_speech.modality import Speech
    from multissl_speech.tera import TERA, TERAConfig

    modality = Speech()
    method = TERA(TERAConfig(d_model=32, num_layers=1, num_heads=2, ffn_dim=64), {"input_dim": 80, **_spec(modality)})
    x, valid = _batch(n=2, length=40)
    altered = method.alteration(x, torch.Generator().manual_seed(0), valid=valid)
    prediction = method.head(method.encoder(altered.data))
    loss, _ = method.objective(prediction, x, altered.mask)
    expected = (prediction - x).abs()[altered.mask].mean()
    torch.testing.assert_close(loss, expected)


def test_encoder_is_the_reference_layer_and_skips_padding():
    from multissl_speech.modality import Speech
    from multissl_speech.tera import TERA, TERAConfig

    method = TERA(TERAConfig(d_model=32, num_layers=2, num_heads=2, ffn_dim=64, dropout=0.1),
                  {"input_dim": 80, **_spec(Speech())}).eval()
    for layer in method.encoder.layers:  # BERT's layer: dropout everywhere but on the feed-forward hidden units
        assert layer.dropout.p == 0.0 and layer.dropout1.p == layer.dropout2.p == layer.self_attn.dropout == 0.1
    x, valid = _batch(n=3, length=30)
    valid[1, 12:] = False
    padded = x.masked_fill(~valid[..., None], 50.0)  # garbage in the padding must not reach real frames
    with torch.no_grad():
        tokens = method.encoder(padded, padding_mask=~valid)
        alone = method.encoder(x[1:2, :12])
    assert torch.equal(tokens[1, 12:], torch.zeros_like(tokens[1, 12:]))  # nothing computed on padding
    torch.testing.assert_close(tokens[1, :12], alone[0], atol=1e-5, rtol=1e-5)


def _spec(modality):
    spec = modality.input_spec()
    spec.pop("input_dim")
    return spec


def test_bad_alteration_settings_are_explained():
    with pytest.raises(RecipeError, match="at most 1"):
        TERAAlteration(zero_probability=0.9, replace_probability=0.2)
    with pytest.raises(RecipeError, match="span"):
        TERAAlteration(span=0)


def test_recipe_passes_alteration_options_flat_and_they_are_checked_when_read():
    from multissl_speech.tera import TERAConfig

    from multissl.config import build_options

    config = build_options(TERAConfig, {"d_model": 32, "span": 5, "noise_std": 0.1}, "method")
    alteration = TERAAlteration(**config.alteration_options())
    assert (alteration.span, alteration.noise_std, alteration.proportion) == (5, 0.1, 0.15)
    with pytest.raises(RecipeError, match="max_frequency"):
        build_options(TERAConfig, {"max_frequency": 1.5}, "method")
