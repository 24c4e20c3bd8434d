"""The core's generic methods on speech: the speech_frames input, time/frequency masking and noise views."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from multissl_speech.audio import AudioSkipWarning
from multissl_speech.frequency_mask import FrequencyMask
from multissl_speech.modality import Speech
from multissl_speech.speech_frames import SpeechFrames

import multissl
from multissl.methods.generic_input import apply_views
from multissl.methods.components import build_views
from multissl.plugins import registry

GENERIC = ("simclr", "vicreg", "barlow_twins", "byol", "mae")
TINY = {"method.encoder_options": {"d_model": 16, "num_layers": 1, "num_heads": 2, "ffn_dim": 32},
        "trainer.limit_train_batches": 1, "trainer.enable_progress_bar": False}


@pytest.mark.parametrize("method", GENERIC)
def test_generic_method_trains_saves_loads_and_embeds_identically(method, tmp_path):
    assert "speech" in registry().entry("method", method).modalities
    example = Speech().example()
    clips = {"audio": example["audio"], "sample_rate": example["sample_rate"]}
    run = multissl.pretrain("speech", clips, method=method, max_epochs=1, batch_size=8, **TINY)
    assert isinstance(run.method.input, SpeechFrames)
    embeddings = run.embed(clips)
    assert embeddings.shape == (24, 16) and np.isfinite(embeddings).all()
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(clips), embeddings)


def test_views_mask_frames_and_bins_of_real_frames_only():
    spec = Speech().input_spec()
    frames = SpeechFrames(**spec)
    waveform = torch.randn(3, 8000) * 0.1
    inputs = frames.inputs({"waveform": waveform, "num_samples": torch.tensor([8000, 4000, 1600])})
    assert inputs.x.shape[0] == 3 and inputs.x.shape[2] == spec["input_dim"] and inputs.valid.sum(1).tolist() == [48, 23, 8]
    views = build_views(Speech.method_defaults["mae"]["views"])
    altered = apply_views(views, inputs, torch.Generator().manual_seed(0))
    assert altered.mask.shape == inputs.x.shape and not (altered.mask & ~inputs.valid[..., None]).any()
    assert (altered.inputs.x[altered.mask] == 0).all() and altered.mask.any()
    band = FrequencyMask(max_fraction=0.5)(inputs.x, torch.Generator().manual_seed(1), valid=inputs.valid).mask
    per_row = band.any(dim=1)  # (N, F): the same band on every real frame
    assert torch.equal(band, per_row[:, None, :] & inputs.valid[..., None])
    assert (per_row.sum(1) <= spec["input_dim"] // 2).all()


def test_sample_ids_are_paths_or_utterance_numbers(wav_dir):
    speech = Speech()
    from_files = speech.load(wav_dir)
    assert speech.sample_ids(from_files) == [str(p) for p in sorted(wav_dir.glob("*.wav"))]
    with pytest.warns(AudioSkipWarning, match="utt1"):  # the empty clip is skipped; the others keep their numbers
        arrays = speech.load({"audio": [np.full(800, 0.1, np.float32), np.zeros(0, np.float32), np.full(900, 0.1, np.float32)],
                              "sample_rate": 16000})
    assert speech.sample_ids(arrays) == ["utt0", "utt2"]
