"""Bad input to the speech modality gets a multissl.errors error saying what is wrong and what to do.

Training data may skip undecodable inputs (counted, with a warning); data a trained run embeds or evaluates
never does: embeddings keep one row per input, so a bad input there raises naming it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from multissl_speech.modality import Speech, SpeechOptions

import multissl
from multissl import cli
from multissl.errors import EmptyDataError, InvalidDataError, RecipeError


@pytest.fixture
def files(tmp_path, tone):
    """Paths: ``ok`` (16 kHz), ``ok8k`` (8 kHz), ``bad`` (bytes that are not audio), ``empty`` (0 samples),
    ``nan`` (a NaN sample), ``missing`` (no such file)."""
    paths = {name: tmp_path / f"{name}.wav" for name in ("ok", "ok8k", "bad", "empty", "nan", "missing")}
    sf.write(paths["ok"], tone(0.4), 16000)
    sf.write(paths["ok8k"], tone(0.4, 8000), 8000)
    paths["bad"].write_bytes(b"RIFF\x00\x01not audio at all")
    sf.write(paths["empty"], np.zeros(0, dtype=np.float32), 16000)
    sf.write(paths["nan"], np.array([0.1, np.nan, 0.2] * 200, dtype=np.float32), 16000, subtype="FLOAT")
    return {name: str(path) for name, path in paths.items()}


def fitted(**options) -> Speech:
    """A modality as a trained run holds it (preprocessing fitted)."""
    modality = Speech(SpeechOptions(**options))
    modality.fitted = True
    return modality


CASES = {
    "empty list": (lambda f, d: Speech().load([]), EmptyDataError, "no audio"),
    "empty directory": (lambda f, d: Speech().load(d), EmptyDataError, "no audio"),
    "missing path": (lambda f, d: Speech().load(f["missing"]), InvalidDataError, "does not exist"),
    "only undecodable files": (lambda f, d: Speech().load([f["bad"], f["empty"]]), EmptyDataError, "none of the 2"),
    "strict training data": (lambda f, d: Speech(SpeechOptions(strict=True)).load([f["ok"], f["bad"]]), InvalidDataError,
                             "bad.wav.*data.strict"),
    "undecodable file to embed": (lambda f, d: fitted().load([f["ok"], f["bad"], f["ok"]]), InvalidDataError,
                                  "1 of 3 inputs.*bad.wav.*one row per input"),
    "missing file to embed": (lambda f, d: fitted().load([f["ok"], f["missing"]]), InvalidDataError, "missing.wav"),
    "empty clip to embed": (lambda f, d: fitted().load([f["empty"], f["ok"]]), InvalidDataError, "empty.wav is empty"),
    "NaN samples to embed": (lambda f, d: fitted().load([f["nan"]]), InvalidDataError, "NaN or infinite"),
    "every bad file named": (lambda f, d: fitted().load([f["bad"], f["ok8k"], f["empty"], f["nan"]]), InvalidDataError,
                             "3 of 4 inputs.*bad.wav.*empty.wav.*nan.wav"),
    "bare array": (lambda f, d: Speech().load(np.zeros(16000)), InvalidDataError, "sample rate"),
    "unsupported type": (lambda f, d: Speech().load(42), InvalidDataError, "cannot read a int"),
    "rates for mixed-rate arrays do not match": (
        lambda f, d: Speech().load({"audio": [np.zeros(800), np.zeros(400)], "sample_rate": [16000]}),
        InvalidDataError, "2 arrays and 1 sample rates"),
    "non-integer sample rate": (lambda f, d: Speech().load([(np.zeros(800), 8000.5)]), InvalidDataError, "positive integer"),
    "zero sample rate": (lambda f, d: Speech(SpeechOptions(sample_rate=0)), RecipeError, "positive"),
    "unknown feature kind": (lambda f, d: Speech(SpeechOptions(features="stft")), RecipeError, "features must be one of"),
    "manifest without a path column": (lambda f, d: Speech().load(pd.DataFrame({"file": [f["ok"]]})), InvalidDataError,
                                       "'path' column"),
    "label column the manifest lacks": (
        lambda f, d: Speech(SpeechOptions(label_column="speaker")).load(pd.DataFrame({"path": [f["ok"]], "digit": ["1"]})),
        InvalidDataError, "'speaker'.*has \\['path', 'digit'\\]"),
    "splits no row has": (
        lambda f, d: Speech(SpeechOptions(splits=["train"])).load(pd.DataFrame({"path": [f["ok"]], "split": ["test"]})),
        EmptyDataError, "splits present are \\['test'\\]"),
    "label column on a plain file list": (lambda f, d: Speech(SpeechOptions(label_column="digit")).load([f["ok"]]),
                                          InvalidDataError, "manifest"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_raises_a_multissl_error_that_says_what_to_do(case, files, tmp_path):
    make, error, message = CASES[case]
    empty_dir = tmp_path / "nothing_here"
    empty_dir.mkdir()
    with pytest.raises(error, match=message):
        make(files, str(empty_dir))


def test_a_trained_run_embeds_one_row_per_input_or_names_the_bad_files(files, tiny_tera, quiet, tone, tmp_path, capsys):
    training = {"audio": [tone(0.4, f0=120.0 + 40 * i, seed=i) for i in range(6)], "sample_rate": 16000}
    run = multissl.pretrain("speech", training, method="tera", max_steps=1, batch_size=4, **tiny_tera, **quiet)
    assert run.embed([files["ok"], files["ok8k"], files["ok"]]).shape[0] == 3
    with pytest.raises(InvalidDataError, match="bad.wav"):
        run.embed([files["ok"], files["bad"], files["ok"]])
    run.save(tmp_path / "run")
    output = tmp_path / "embeddings.npy"
    assert cli.main(["embed", str(tmp_path / "run"), files["ok"], files["bad"], files["ok"], "-o", str(output)]) == 2
    assert "bad.wav" in capsys.readouterr().err and not output.exists()


def test_training_data_skips_undecodable_files_and_says_how_many(files):
    with pytest.warns(UserWarning, match="skipped 2 of 4 inputs"):
        raw = Speech().load([files["ok"], files["bad"], files["ok8k"], files["empty"]])
    assert len(raw) == 2 and [n.rsplit("/", 1)[-1] for n, _ in raw.skipped] == ["bad.wav", "empty.wav"]


def test_too_short_clips_are_zero_padded_to_one_frame_and_counted(tone):
    raw = Speech().load([(tone(0.01), 16000), (tone(0.4), 16000)])
    assert raw.n_padded == 1 and len(raw.waveforms[0]) == 400
