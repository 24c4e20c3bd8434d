"""Fixtures of the speech plugin's tests: synthetic clips and small method configurations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SPEECH_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "speech"


@pytest.fixture
def speech_data() -> Path:
    """The shared speech datasets; tests using it skip where they are absent."""
    if not SPEECH_DATA.is_dir():
        pytest.skip(f"shared speech datasets not found at {SPEECH_DATA}")
    return SPEECH_DATA


@pytest.fixture
def tone():
    """``tone(seconds, rate, f0)``: a harmonic tone with a little noise, float32."""
    def make(seconds: float = 0.5, rate: int = 16000, f0: float = 220.0, seed: int = 0) -> np.ndarray:
        t = np.arange(int(seconds * rate)) / rate
        rng = np.random.default_rng(seed)
        wave = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 4)) + 0.01 * rng.normal(size=t.size)
        return (0.3 * wave).astype(np.float32)
    return make


@pytest.fixture
def wav_dir(tmp_path, tone) -> Path:
    """A folder with 6 WAV clips at 8 kHz and 16 kHz (one stereo), plus a non-audio file."""
    for i in range(6):
        rate = 8000 if i % 2 else 16000
        wave = tone(0.3 + 0.1 * i, rate, 150.0 + 40 * i, seed=i)
        if i == 5:
            wave = np.stack([wave, 0.5 * wave], axis=1)
        sf.write(tmp_path / f"clip{i}.wav", wave, rate)
    (tmp_path / "notes.md").write_text("not audio")
    return tmp_path


@pytest.fixture
def tiny_tera() -> dict:
    return {"d_model": 32, "num_layers": 2, "num_heads": 2, "ffn_dim": 64, "dropout": 0.0}


@pytest.fixture
def tiny_hubert() -> dict:
    return {"hidden_size": 32, "num_layers": 2, "num_heads": 2, "ffn_dim": 64, "conv_dim": [16] * 7, "conv_pos_kernel": 8,
            "conv_pos_groups": 2, "n_clusters": 4, "kmeans_n_init": 1, "final_dim": 16, "dropout": 0.0}


@pytest.fixture
def quiet() -> dict:
    return {"trainer.enable_progress_bar": False, "trainer.log_every_n_steps": 1}
