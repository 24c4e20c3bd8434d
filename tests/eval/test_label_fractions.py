"""The linear probe on label fractions: class-balanced seeded subsets, their report keys, and option checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

import multissl
from multissl.errors import RecipeError
from multissl.eval.linear_probe import linear_probe
from multissl.eval.probe_report import format_report, fraction_name, label_subset, probe_report


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def test_label_subset_takes_each_class_s_share_and_at_least_one():
    labels = np.array([0] * 90 + [1] * 9 + [2])
    subset = label_subset(labels, "classification", 0.1, seed=0)
    assert np.bincount(labels[subset]).tolist() == [9, 1, 1]
    np.testing.assert_array_equal(subset, label_subset(labels, "classification", 0.1, seed=0))
    assert not np.array_equal(subset, label_subset(labels, "classification", 0.1, seed=1))
    assert len(label_subset(np.linspace(0, 1, 100), "regression", 0.01, seed=0)) == 2


def test_fraction_names():
    assert [fraction_name(f) for f in (0.01, 0.1, 0.005, 0.25)] == ["1%", "10%", "0.5%", "25%"]


def test_one_sample_per_class_still_fits_a_probe(digits):
    features, labels = digits
    one_each = [np.flatnonzero(labels == c)[0] for c in range(10)]  # no fold split can hold out a class
    accuracy = linear_probe(features[one_each], labels[one_each], features[500:], labels[500:])["accuracy"]
    assert 0.4 < accuracy < 0.95  # far above chance (0.1) from ten samples, far below the full probe


def test_report_keys_and_fewer_labels_score_lower(digits):
    features, labels = digits
    report = probe_report(features, labels, raw_features=features, test_fraction=0.3, seed=0,
                          evaluators=("linear_probe",), label_fractions=(0.01, 0.1, 1.0))
    accuracies = [report[f"linear_probe{suffix}/accuracy"] for suffix in ("@1%", "@10%", "")]
    assert accuracies == sorted(accuracies) and accuracies[-1] > 0.95 and accuracies[0] < 0.85
    assert report["baseline/linear_probe@1%/accuracy"] == report["linear_probe@1%/accuracy"]  # same features, same subset
    assert report["n_train"] == 1257 and report["n_test"] == 540
    assert format_report(report).endswith("probe@N%: trained on N% of the training labels (per class, at least one sample)")
    only_full = probe_report(features, labels, evaluators=("linear_probe",))
    assert not any("@" in key for key in only_full) and "N%" not in format_report(only_full)


@pytest.mark.parametrize("fractions", [[0.0], [1.5], [], "0.1", [True]])
def test_bad_fractions_are_refused_before_training(fractions):
    with pytest.raises(RecipeError, match="label_fractions"):
        multissl.pretrain("vectors", "wine", evaluate={"label_fractions": fractions})
