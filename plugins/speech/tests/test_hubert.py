"""HuBERT: label/frame alignment, masking, codebook, iteration 2, and the transformers round trip."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
import torch
from multissl_speech.hubert import (
    EIGHT_KHZ_FRONT_END,
    HuBERT,
    HuBERTConfig,
    export_hubert,
    load_hubert,
)
from multissl_speech.hubert_mask import FairseqSpanMask
from multissl_speech.pooling import masked_mean
from transformers import AutoFeatureExtractor, HubertModel

import multissl
from multissl.errors import InvalidDataError, RecipeError

SPEC = {"input_dim": 80, "sample_rate": 16000, "features": {}}


@pytest.fixture
def clips(tone):
    return {"audio": [tone(0.25 + 0.05 * i, f0=110.0 + 35 * i, seed=i) for i in range(8)], "sample_rate": 16000}


def _method(tiny_hubert, **changes) -> HuBERT:
    return HuBERT(HuBERTConfig(**{**tiny_hubert, **changes}), SPEC)


@pytest.mark.parametrize("num_samples", [400, 401, 719, 720, 4000, 16000, 16321])
def test_mfcc_labels_every_second_frame_line_up_with_the_model_frames(tiny_hubert, num_samples):
    method = _method(tiny_hubert)
    batch = {"waveform": torch.randn(1, num_samples), "num_samples": torch.tensor([num_samples])}
    targets, valid = method._target_features(batch)
    frames = int(method.model._get_feat_extract_output_lengths(torch.tensor(num_samples)))
    assert targets.shape == (1, frames, 39) and valid.all()
    assert frames == 1 + (num_samples - 400) // 320  # 20 ms frames of 25 ms: MFCC frames 0, 2, 4, ...


@pytest.mark.parametrize("num_samples", [200, 201, 359, 360, 8000, 8161])
def test_the_8_khz_front_end_keeps_labels_aligned(tiny_hubert, num_samples):
    method = HuBERT(HuBERTConfig(**{**tiny_hubert, "conv_dim": [16] * 6, **EIGHT_KHZ_FRONT_END}), {**SPEC, "sample_rate": 8000})
    batch = {"waveform": torch.randn(1, num_samples), "num_samples": torch.tensor([num_samples])}
    targets, valid = method._target_features(batch)
    assert targets.shape == (1, 1 + (num_samples - 200) // 160, 39) and valid.all()  # 20 ms frames of 25 ms at 8 kHz
    with pytest.raises(RecipeError, match="do not line up"):
        _method(tiny_hubert, conv_dim=[16] * 6, **EIGHT_KHZ_FRONT_END)  # the 8 kHz plan on 16 kHz audio


def test_unmasked_weight_adds_the_unmasked_frames_cross_entropy(tiny_hubert):
    waveform = torch.randn(3, 16000)  # 50 frames: some stay unmasked (a clip of under 2 spans is hidden whole)
    batch = {"waveform": waveform, "num_samples": torch.tensor([16000, 12000, 1200])}
    losses = {}
    for weight in (0.0, 0.5):
        torch.manual_seed(0)
        method = _method(tiny_hubert, unmasked_weight=weight).eval()  # eval: no dropout, same mask from the seed
        method._set_codebook(torch.randn(4, 39))
        loss, logs = method.ssl_loss(batch)
        losses[weight] = (loss, logs)
    masked_only, (mixed, logs) = losses[0.0][0], losses[0.5]
    assert "unmasked_loss" not in losses[0.0][1] and logs["unmasked_loss"] > 0
    torch.testing.assert_close(mixed, masked_only + 0.5 * logs["unmasked_loss"])
    with pytest.raises(RecipeError, match="unmasked_weight"):
        _method(tiny_hubert, unmasked_weight=-1.0)


def test_a_label_rate_that_does_not_match_the_frame_rate_is_an_error(tiny_hubert):
    with pytest.raises(RecipeError, match="do not line up"):
        _method(tiny_hubert, conv_kernel=[10, 3, 3, 3, 3, 2, 3])  # receptive field 420 samples
    method = _method(tiny_hubert)
    method.label_step = 3  # as if the targets came at another rate
    with pytest.raises(InvalidDataError, match="label rate mismatch"):
        method._target_features({"waveform": torch.randn(1, 8000), "num_samples": torch.tensor([8000])})


def test_iterations_one_and_two_train_save_load_and_export_identically(clips, tiny_hubert, quiet, tmp_path):
    run = multissl.pretrain("speech", clips, method="hubert", max_epochs=1, batch_size=4, **tiny_hubert, **quiet)
    method = run.method
    assert method.codebook.shape == (4, 39)
    logs = run.metrics["train"]
    assert np.isfinite(logs["train/loss"]) and 0 <= logs["train/ssl/masked_accuracy"] <= 1
    run.save(tmp_path / "run")
    loaded = multissl.load(tmp_path / "run")
    torch.testing.assert_close(loaded.method.codebook, method.codebook)
    np.testing.assert_array_equal(loaded.embed(clips), run.embed(clips))
    exported = HubertModel.from_pretrained(export_hubert(run, tmp_path / "hf")).eval()
    # what a transformers user does with the directory gives Run.embed
    extractor = AutoFeatureExtractor.from_pretrained(tmp_path / "hf")
    inputs = extractor(clips["audio"], sampling_rate=16000, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = exported(inputs["input_values"], attention_mask=inputs["attention_mask"]).last_hidden_state
    frames = exported._get_feat_extract_output_lengths(inputs["attention_mask"].sum(1))
    pooled = masked_mean(hidden, torch.arange(hidden.shape[1]) < frames[:, None])
    np.testing.assert_allclose(pooled.numpy(), run.embed(clips), atol=1e-5)
    waveform = torch.from_numpy(clips["audio"][3])[None]
    with torch.no_grad():
        torch.testing.assert_close(exported(waveform).last_hidden_state, method.model.eval()(waveform).last_hidden_state,
                                   atol=0, rtol=0)
        torch.testing.assert_close(load_hubert(tmp_path / "run")(waveform).last_hidden_state,
                                   exported(waveform).last_hidden_state, atol=0, rtol=0)
    # iteration 2: codes of a layer of the exported iteration-1 model
    second = multissl.pretrain("speech", clips, method="hubert", max_epochs=1, batch_size=4, teacher=str(tmp_path / "hf"),
                               teacher_layer=1, **tiny_hubert, **quiet)
    assert second.method.codebook.shape == (4, 32)  # the teacher's hidden size
    assert np.isfinite(second.embed(clips)).all()


def test_masking_uses_spans_of_10_over_about_half_the_frames(tiny_hubert):
    method = _method(tiny_hubert)
    valid = torch.ones(64, 200, dtype=torch.bool)
    mask = method.span_mask(torch.zeros(64, 200), torch.Generator().manual_seed(0), valid=valid).mask
    assert 0.4 < mask.float().mean() < 0.7


def test_hubert_needs_waveforms_and_a_codebook(tiny_hubert):
    method = _method(tiny_hubert)
    with pytest.raises(InvalidDataError, match="feature_cache"):
        method.ssl_loss({"features": torch.zeros(1, 10, 80), "num_frames": torch.tensor([10])})
    with pytest.raises(InvalidDataError, match="no k-means codebook"):
        method._codes(torch.zeros(1, 3, 39))
    with pytest.raises(RecipeError, match="neither"):
        _method(tiny_hubert, teacher="/nonexistent")._teacher_model()
    assert dataclasses.asdict(HuBERTConfig())["mask_prob"] == 0.8


def test_fairseq_span_starts_are_distinct_and_at_least_two(tiny_hubert):
    """fairseq draws span starts without replacement, at least ``min_masks`` = 2: two 10-frame spans then hide
    11 to 20 frames, never exactly 10 (two equal starts, which a draw with replacement gives 1 time in 90)."""
    valid = torch.ones(2000, 100, dtype=torch.bool)
    mask = FairseqSpanMask(ratio=0.05, span=10, min_spans=2)(torch.zeros(2000, 100), torch.Generator().manual_seed(0),
                                                             valid=valid).mask
    counts = mask.sum(dim=1)
    assert counts.min() >= 11 and counts.max() <= 20
    # probabilistic rounding: ratio · T / span = 1.5 spans is 1 or 2 spans, about half each
    one_or_two = FairseqSpanMask(ratio=0.15, span=10, min_spans=0)(torch.zeros(2000, 100),
                                                                    torch.Generator().manual_seed(1), valid=valid).mask
    single = (one_or_two.sum(dim=1) == 10).float().mean()
    assert 0.4 < single < 0.6
    # padding is never masked; a row shorter than a span draws its 2 starts from [0, 2], as fairseq does
    valid = torch.arange(30) < torch.tensor([30, 6, 0])[:, None]
    short = FairseqSpanMask(ratio=0.8, span=10)(torch.zeros(3, 30), torch.Generator().manual_seed(2), valid=valid).mask
    assert not (short & ~valid).any() and short[1, 1:6].all()
    assert _method(tiny_hubert).span_mask == FairseqSpanMask(ratio=0.8, span=10, min_spans=2)


def test_defaults_are_hubert_base(tiny_hubert):
    method = _method(tiny_hubert)
    hf = method.model.config
    assert not hf.do_stable_layer_norm and hf.layerdrop == 0.05  # Base: post-LN, layer drop 0.05
    assert HuBERT.optimizer_defaults["betas"] == (0.9, 0.98) and HuBERT.optimizer_defaults["eps"] == 1e-6
    assert _method(tiny_hubert, stable_layer_norm=True).model.config.do_stable_layer_norm
    with pytest.raises(RecipeError, match="mask_sampling"):
        _method(tiny_hubert, mask_sampling="poisson")


def test_feature_grad_mult_scales_the_convolution_gradients(tiny_hubert):
    batch = {"waveform": torch.randn(2, 4000), "num_samples": torch.tensor([4000, 3000])}
    grads = {}
    for mult in (1.0, 0.1):
        torch.manual_seed(0)
        method = _method(tiny_hubert, feature_grad_mult=mult, layer_drop=0.0).train()
        method._set_codebook(torch.randn(4, 39))
        method.ssl_loss(batch)[0].backward()
        grads[mult] = method.model.feature_extractor.conv_layers[0].conv.weight.grad
    torch.testing.assert_close(grads[0.1], 0.1 * grads[1.0])


def test_a_pickled_method_computes_the_same_loss_and_gradients(tiny_hubert):
    """ddp_spawn pickles the method: the weight-normalised positional convolution must survive the trip."""
    method = _method(tiny_hubert)
    method._set_codebook(torch.randn(4, 39))
    arrived = pickle.loads(pickle.dumps(method))
    assert [name for name, _ in arrived.named_parameters()] == [name for name, _ in method.named_parameters()]
    batch = {"waveform": torch.randn(2, 4000, generator=torch.Generator().manual_seed(0)), "num_samples": torch.tensor([4000, 3200])}
    losses = []
    for model in (method, arrived):
        model.train()
        loss, _ = model.ssl_loss(batch)
        loss.backward()
        losses.append((loss.detach(), [p.grad.clone() for p in model.parameters() if p.grad is not None]))
    torch.testing.assert_close(losses[0][0], losses[1][0], atol=0, rtol=0)
    assert len(losses[0][1]) == len(losses[1][1]) > 0
    for first, second in zip(losses[0][1], losses[1][1]):
        torch.testing.assert_close(first, second, atol=0, rtol=0)
