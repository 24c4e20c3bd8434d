"""Mel filter banks and windows in numpy: the values transformers computes, and a speech plugin without transformers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from multissl_speech.mel import mel_filter_bank, window

from multissl.errors import RecipeError


@pytest.mark.parametrize(("n_bins", "n_mels", "min_hz", "rate", "scale", "in_mel"), [
    (201, 80, 0.0, 16000, "htk", False),   # TERA's log-mel: 400-point FFT at 16 kHz
    (101, 40, 0.0, 8000, "htk", False),
    (257, 23, 20.0, 16000, "kaldi", True),  # HuBERT's MFCC targets: Kaldi fbank, 512-point FFT
    (129, 80, 20.0, 8000, "kaldi", True),
])
def test_filters_equal_transformers(n_bins, n_mels, min_hz, rate, scale, in_mel):
    audio_utils = pytest.importorskip("transformers.audio_utils", reason="the comparison needs transformers")
    expected = audio_utils.mel_filter_bank(num_frequency_bins=n_bins, num_mel_filters=n_mels, min_frequency=min_hz,
                                           max_frequency=rate / 2, sampling_rate=rate, norm=None, mel_scale=scale,
                                           triangularize_in_mel_space=in_mel)
    np.testing.assert_allclose(mel_filter_bank(n_bins, n_mels, min_hz, rate / 2, rate, scale=scale, triangles_in_mel=in_mel),
                               expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("kind", "periodic"), [("hann", True), ("hann", False), ("povey", False)])
def test_windows_equal_transformers(kind, periodic):
    audio_utils = pytest.importorskip("transformers.audio_utils", reason="the comparison needs transformers")
    np.testing.assert_allclose(window(400, kind, periodic=periodic),
                               audio_utils.window_function(400, kind, periodic=periodic), rtol=0, atol=1e-15)


def test_filters_are_triangles_and_bad_options_are_errors():
    filters = mel_filter_bank(201, 40, 0.0, 8000.0, 16000)
    assert filters.shape == (201, 40) and (filters >= 0).all() and filters.max() <= 1.0
    assert (filters.max(axis=0) > 0.5).all()  # every triangle reaches past half its peak on some bin
    with pytest.raises(RecipeError, match="mel scale"):
        mel_filter_bank(201, 40, 0.0, 8000.0, 16000, scale="slaney")
    with pytest.raises(RecipeError, match="window"):
        window(400, "hamming")


def test_tera_trains_without_transformers_and_hubert_names_the_extra(tmp_path):
    """With transformers unimportable, the plugin loads and TERA trains and embeds without importing it;
    asking for HuBERT raises an error naming the extra."""
    script = textwrap.dedent("""
        import sys

        class NotInstalled:  # transformers behaves as if absent: find_spec and import both fail
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "transformers":
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, NotInstalled())
        import importlib.metadata as metadata  # and its distribution is not found (what lightning's checks read)

        def absent(original):
            def lookup(name):
                if name == "transformers":
                    raise metadata.PackageNotFoundError(name)
                return original(name)
            return lookup

        metadata.version, metadata.distribution = absent(metadata.version), absent(metadata.distribution)
        import numpy as np
        import multissl
        from multissl.errors import ComponentImportError
        rng = np.random.default_rng(0)
        clips = {"audio": [rng.normal(size=4000 + 400 * i).astype("float32") * 0.1 for i in range(6)],
                 "sample_rate": 16000}
        run = multissl.pretrain("speech", clips, method="tera", max_epochs=1, batch_size=3, d_model=16, num_layers=1,
                                num_heads=2, ffn_dim=32, **{"trainer.enable_progress_bar": False})
        assert np.isfinite(run.embed(clips)).all()
        assert not any(name.startswith("transformers") for name, module in sys.modules.items() if module is not None)
        try:
            multissl.pretrain("speech", clips, method="hubert", max_epochs=1)
        except ComponentImportError as error:
            assert "multissl-speech[hubert]" in str(error), error
        else:
            raise AssertionError("hubert trained without transformers")
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
