"""The speech_probe evaluator: the data's own split, one probe per label column, the log-mel baseline in the same call."""

from __future__ import annotations

import pandas as pd
import pytest
import soundfile as sf
from multissl_speech.speech_probe import SpeechProbe, SpeechProbeOptions

import multissl
from multissl.errors import InvalidDataError, RecipeError


@pytest.fixture
def tone_manifest(tmp_path, tone) -> pd.DataFrame:
    """24 WAV clips: ``pitch`` low (150 Hz) or high (400 Hz); ``split`` train / test / unlabelled by position."""
    rows = []
    for i in range(24):
        path = tmp_path / f"clip{i}.wav"
        sf.write(path, tone(0.3 + 0.02 * i, 16000, 150.0 if i % 2 else 400.0, seed=i), 16000)
        rows.append({"path": str(path), "pitch": "low" if i % 2 else "high", "other": str(i % 3),
                     "split": ("train", "train", "test", "unlabelled")[i // 2 % 4]})
    return pd.DataFrame(rows)


@pytest.fixture
def tiny_run(tone_manifest, tiny_tera, quiet):
    return multissl.pretrain("speech", tone_manifest, method="tera", max_steps=1, batch_size=8, **tiny_tera, **quiet)


def test_it_trains_on_the_split_scores_the_test_rows_and_reports_the_log_mel_baseline(tiny_run, tone_manifest):
    report = SpeechProbe(SpeechProbeOptions(labels=["pitch", "other"], probe_steps=50))(tiny_run, tone_manifest)
    assert (report["n_train_clips"], report["n_test_clips"]) == (12, 6)  # the unlabelled rows are not used
    assert report["baseline/speech_probe/pitch/accuracy"] == 1.0  # two pitches are separable on mean log-mel
    assert set(report) == {"speech_probe/pitch/accuracy", "baseline/speech_probe/pitch/accuracy", "speech_probe/other/accuracy",
                           "baseline/speech_probe/other/accuracy", "n_train_clips", "n_test_clips", "baseline"}
    assert report["baseline"] == "mean-pooled logmel"


def test_without_a_split_column_it_holds_out_a_seeded_stratified_fraction(tiny_run, tone_manifest):
    manifest = tone_manifest.drop(columns="split")
    probe = SpeechProbe(SpeechProbeOptions(labels="pitch", test_fraction=0.25, probe_steps=20), seed=3)
    report = probe(tiny_run, manifest)
    assert (report["n_train_clips"], report["n_test_clips"]) == (18, 6)
    assert report == probe(tiny_run, manifest)


def test_the_default_labels_are_the_data_label_column(tone_manifest, tiny_tera, quiet):
    run = multissl.pretrain("speech", tone_manifest, method="tera", max_steps=1, batch_size=8, label_column="pitch",
                            splits=["train"], **tiny_tera, **quiet)
    report = multissl.evaluate(run, data=tone_manifest, evaluators="speech_probe", probe_steps=20)
    assert "speech_probe/pitch/accuracy" in report and report["n_test_clips"] == 6


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs labels"),
        ({"labels": "pitch", "test_fraction": 1.0}, "test_fraction"),
        ({"labels": "pitch", "probe_steps": 0}, "probe_steps"),
        ({"labels": ["pitch", "split"]}, "label columns"),
    ],
)
def test_options_that_cannot_work_are_refused_before_any_data_is_read(options, message):
    from multissl_speech.modality import Speech

    with pytest.raises(RecipeError, match=message):
        SpeechProbe(SpeechProbeOptions(**options)).check(Speech())


def test_a_label_the_manifest_lacks_or_a_source_without_a_manifest_is_named(tiny_run, tone_manifest, tone):
    with pytest.raises(InvalidDataError, match="'speaker'"):
        SpeechProbe(SpeechProbeOptions(labels="speaker"))(tiny_run, tone_manifest)
    with pytest.raises(InvalidDataError, match="manifest"):
        SpeechProbe(SpeechProbeOptions(labels="pitch"))(tiny_run, {"audio": [tone(0.3)] * 4, "sample_rate": 16000})
    no_test = tone_manifest.assign(split="train")
    with pytest.raises(InvalidDataError, match="'train' and 'test'"):
        SpeechProbe(SpeechProbeOptions(labels="pitch"))(tiny_run, no_test)


def test_a_recipe_evaluate_block_is_validated_before_training(tone_manifest, tiny_tera):
    recipe = {"modality": "speech", "data": {"source": tone_manifest}, "method": {"name": "tera", **tiny_tera},
              "evaluate": {"labels": "pitch", "probe_step": 3}}
    with pytest.raises(RecipeError, match="probe_step"):
        multissl.pretrain(recipe=recipe)
    recipe["evaluate"] = {"labels": "pitch", "test_fraction": 0.0}
    with pytest.raises(RecipeError, match="test_fraction"):
        multissl.pretrain(recipe=recipe)
