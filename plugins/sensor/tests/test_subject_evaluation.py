"""Label budgets, the window classifier in its three modes, and leave-one-subject-out end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from multissl_sensor.classifier import embed_windows, train_and_predict
from multissl_sensor.label_budget import labelled_subset
from multissl_sensor.modality import Sensor
from multissl_sensor.subject_evaluation import (
    SUPERVISED,
    ClassifierSettings,
    anchor_windows,
    leave_one_subject_out,
)

from multissl.encoders.cnn1d import CNN1dEncoder
from multissl.errors import InvalidDataError, RecipeError


def test_labelled_subset_takes_the_fraction_of_every_class_and_at_least_one():
    labels = np.array([0] * 50 + [1] * 20 + [2] * 3)
    chosen = labelled_subset(labels, 0.1, seed=0)
    assert np.bincount(labels[chosen]).tolist() == [5, 2, 1]
    assert len(np.unique(chosen)) == len(chosen)
    np.testing.assert_array_equal(chosen, labelled_subset(labels, 0.1, seed=0))
    assert not np.array_equal(chosen, labelled_subset(labels, 0.1, seed=1))
    np.testing.assert_array_equal(labelled_subset(labels, 1.0, seed=3), np.arange(len(labels)))
    with pytest.raises(RecipeError, match="fraction"):
        labelled_subset(labels, 0.0, seed=0)


def _separable(n=64, seed=0):
    """Two classes of windows: a 2 Hz or a 5 Hz sine on every channel, with noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    t = np.arange(24) / 24.0
    x = np.sin(2 * np.pi * np.where(y, 5.0, 2.0)[:, None] * t)[:, :, None] + 0.1 * rng.normal(size=(n, 24, 3))
    return torch.tensor(x, dtype=torch.float32), y


@pytest.mark.parametrize("mode", ["frozen", "fine_tune", "scratch"])
def test_each_mode_learns_a_separable_task_and_leaves_the_given_encoder_unchanged(mode):
    train_x, train_y = _separable(seed=0)
    test_x, test_y = _separable(seed=1)
    torch.manual_seed(0)
    encoder = CNN1dEncoder(3, channels=(8,), kernel_sizes=(5,))
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    predicted = train_and_predict(mode, encoder, train_x, train_y, test_x, classes=2, steps=25, hidden=16, lr=2e-2)
    assert (predicted == test_y).mean() > 0.9
    assert all(torch.equal(before[k], v) for k, v in encoder.state_dict().items())


def test_frozen_embeddings_are_deterministic_and_bad_classifier_input_is_named():
    encoder = CNN1dEncoder(3, channels=(8,), kernel_sizes=(3,))
    x, y = _separable(n=8)
    torch.testing.assert_close(embed_windows(encoder, x), embed_windows(encoder, x))
    with pytest.raises(RecipeError, match="mode"):
        train_and_predict("linear", encoder, x, y, x, classes=2, steps=1)
    with pytest.raises(InvalidDataError, match="8 training windows and 3 labels"):
        train_and_predict("frozen", encoder, x, y[:3], x, classes=2, steps=1)


def _subject(seed: int):
    source = Sensor().example()
    rng = np.random.default_rng(seed)
    return {k: (v + 0.05 * rng.normal(size=v.shape)).astype(np.float32) if k != "labels" else v for k, v in source.items()}


def test_leave_one_subject_out_scores_every_representation_mode_and_fraction():
    subjects = {"a": _subject(0), "b": _subject(1)}
    tiny = {"encoder_options": {"channels": [8, 8], "kernel_sizes": [5, 3]}}
    common = {"trainer": {"max_epochs": 1, "enable_progress_bar": False, "loggers": []}, "loader": {"batch_size": 8}}
    pretraining = {"collossl": {"method": {"name": "collossl", **tiny}, **common}}
    settings = ClassifierSettings(steps=5, hidden=16, fractions=(0.25, 1.0), scratch_encoder_options=tiny["encoder_options"])
    rows = leave_one_subject_out(subjects, pretraining, {"window": 64, "stride": 32}, settings, seed=0, progress=False)
    keys = {(r["held_out"], r["representation"], r["mode"], r["fraction"]) for r in rows}
    assert len(rows) == len(keys) == 2 * 2 * (1 + 2)  # subjects x fractions x (scratch + frozen, fine-tune)
    assert {k[1:3] for k in keys} == {(SUPERVISED, "scratch"), ("collossl", "frozen"), ("collossl", "fine_tune")}
    assert all(0.0 <= r["macro_f1"] <= 1.0 for r in rows)
    assert {r["labelled_windows"] for r in rows if r["fraction"] == 1.0} == {31}


def test_leave_one_subject_out_rejects_one_subject_and_unseen_classes():
    with pytest.raises(InvalidDataError, match="at least two subjects"):
        leave_one_subject_out({"a": _subject(0)}, {}, {"window": 64, "stride": 32}, progress=False)
    other = _subject(1)
    other["labels"] = np.where(other["labels"] == 2, 7, other["labels"])
    with pytest.raises(InvalidDataError, match=r"Subject 'a' has classes \[2\] that no training subject has"):
        leave_one_subject_out({"a": _subject(0), "b": other}, {}, {"window": 64, "stride": 32}, progress=False)


def test_anchor_windows_are_the_collated_anchor_windows_and_their_majority_labels():
    modality = Sensor(Sensor.Options(window=16, stride=8, anchor="imu1"))
    raw = modality.load(modality.example())
    modality.fit(raw)
    windows, labels = anchor_windows(modality, raw)
    dataset = modality.dataset(raw)
    collated = modality.collate([dataset[i] for i in range(len(dataset))])["x"]
    assert torch.equal(windows, collated)
    assert np.array_equal(labels, modality.labels(raw))
