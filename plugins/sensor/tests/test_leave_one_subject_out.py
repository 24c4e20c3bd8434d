"""The leave_one_subject_out evaluator: folds, label budget, the baseline's place in the report, per-fold pretraining."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from multissl_sensor import leave_one_subject_out as loso
from multissl_sensor.streams import Recording

import multissl
from multissl.errors import InvalidDataError

TINY = {"encoder_options": {"channels": [8, 8], "kernel_sizes": [5, 3]}}
QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": [], "trainer.max_steps": 1}


def _subject(seed: int, length: int = 320) -> dict[str, np.ndarray]:
    """Two devices; class 1 (every other block of 32 samples) sits at +1, class 0 at -1, with noise."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(length) // 32) % 2
    level = np.where(labels == 1, 1.0, -1.0)[:, None]
    source = {d: (level + 0.1 * rng.normal(size=(length, 3))).astype(np.float32) for d in ("a", "b")}
    source["labels"] = labels
    return source


SUBJECTS = [Recording("s1", _subject(0)), Recording("s2", _subject(1)), Recording("s3", _subject(2))]


def _run(**evaluate):
    return multissl.pretrain("sensor", SUBJECTS, method="collossl", window=16, stride=16, batch_size=8,
                             evaluate={"pretrain_per_fold": False, "classifier_steps": 2, **evaluate}, **TINY, **QUIET)


def _fake_classifier(calls):
    """Predicts the sign of the window mean for a pretrained encoder (right on this data), class 0 for the baseline."""
    def train_and_predict(mode, encoder, train_x, train_y, test_x, **kwargs):
        calls.append((mode, len(train_x), np.bincount(train_y).tolist()))
        if mode == "scratch":
            return np.zeros(len(test_x), dtype=int)
        return (test_x.mean(dim=(1, 2)) > 0).long().numpy()
    return train_and_predict


def test_known_answers_the_pretrained_side_is_exact_and_the_baseline_always_says_class_0(monkeypatch):
    calls = []
    monkeypatch.setattr(loso, "train_and_predict", _fake_classifier(calls))
    report = _run(label_fraction=0.25, mode="fine_tune").metrics["evaluation"]
    assert report["loso/macro_f1"] == report["loso/accuracy"] == 1.0
    # the baseline predicts class 0 on balanced subjects: accuracy 1/2; F1 2/3 for class 0 and 0 for class 1
    assert report["baseline/loso/accuracy"] == pytest.approx(0.5)
    assert report["baseline/loso/macro_f1"] == pytest.approx(1 / 3)
    assert report["baseline"] == loso.BASELINE and report["n_subjects"] == 3
    # three folds, each: the chosen mode then the baseline, on 25% of the 2 x 20 training windows, per class
    assert calls == [("fine_tune", 10, [5, 5]), ("scratch", 10, [5, 5])] * 3


def test_several_label_fractions_share_each_fold_and_are_reported_with_their_share(monkeypatch):
    calls = []
    monkeypatch.setattr(loso, "train_and_predict", _fake_classifier(calls))
    report = _run(label_fraction=[0.25, 0.5], mode="frozen").metrics["evaluation"]
    for suffix in ("", "@0.5"):
        assert report[f"loso/macro_f1{suffix}"] == 1.0
        assert report[f"baseline/loso/accuracy{suffix}"] == pytest.approx(0.5)
    assert "loso/macro_f1@0.25" not in report  # the first share keeps the plain names
    # each of three folds: 25% then 50% of the 2 x 20 training windows, per class, for the encoder and the baseline
    assert calls == [("frozen", 10, [5, 5]), ("scratch", 10, [5, 5]), ("frozen", 20, [10, 10]), ("scratch", 20, [10, 10])] * 3


def test_a_real_fold_scores_lie_in_zero_to_one_and_every_metric_has_its_baseline():
    report = _run(classifier_steps=3).metrics["evaluation"]
    for key in ("loso/macro_f1", "loso/accuracy"):
        assert 0.0 <= report[key] <= 1.0 and 0.0 <= report["baseline/" + key] <= 1.0


def test_per_fold_pretraining_never_sees_the_held_out_subject(monkeypatch):
    seen = []
    pretrain = multissl.pretrain

    def spy(*args, recipe=None, **kwargs):
        seen.append(([r.name for r in recipe["data"]["source"]], recipe["evaluate"], recipe["seed"]))
        return pretrain(*args, recipe=recipe, **kwargs)

    run = _run()
    monkeypatch.setattr(loso.multissl, "pretrain", spy)
    evaluator = loso.LeaveOneSubjectOut(loso.LeaveOneSubjectOutOptions(classifier_steps=1), seed=3)
    evaluator(run, SUBJECTS)
    assert seen == [(["s2", "s3"], None, run.recipe.seed), (["s1", "s3"], None, run.recipe.seed),
                    (["s1", "s2"], None, run.recipe.seed)]


def test_one_subject_and_a_class_only_the_held_out_subject_has_are_named():
    run = _run()
    evaluator = loso.LeaveOneSubjectOut(loso.LeaveOneSubjectOutOptions(classifier_steps=1, pretrain_per_fold=False))
    with pytest.raises(InvalidDataError, match="two recordings"):
        evaluator(run, SUBJECTS[0])
    odd = _subject(3)
    odd["labels"] = np.where(odd["labels"] == 1, 7, 0)
    with pytest.raises(InvalidDataError, match=r"Subject 'odd' has classes \[7\]"):
        evaluator(run, [*SUBJECTS[:2], Recording("odd", odd)])


def test_anchor_windows_are_the_collated_anchor_windows():
    from multissl_sensor.modality import Sensor

    modality = Sensor(Sensor.Options(window=16, stride=8, anchor="imu1"))
    raw = modality.load(modality.example())
    modality.fit(raw)
    dataset = modality.dataset(raw)
    collated = modality.collate([dataset[i] for i in range(len(dataset))])["x"]
    assert torch.equal(modality.anchor_windows(raw), collated)
