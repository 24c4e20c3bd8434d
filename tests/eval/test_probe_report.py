"""probe_report: keys, the raw-feature baseline, the seeded stratified split, errors; format_report."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_wine

import multissl
from multissl.errors import InvalidDataError, RecipeError, UnknownComponentError
from multissl.eval import format_report, probe_report
from multissl.eval.probe_report import _split


@pytest.fixture(scope="module")
def wine():
    features, labels = load_wine(return_X_y=True)
    noise = np.random.default_rng(0).normal(size=(len(labels), 8))  # "embeddings" that know nothing
    return features, labels, noise


def test_keys_and_the_raw_baseline(wine):
    features, labels, noise = wine
    report = probe_report(noise, labels, raw_features=features, seed=1)
    for prefix in ("", "baseline/"):
        for probe in ("linear_probe", "knn_probe"):
            for metric in ("accuracy", "macro_f1"):
                assert isinstance(report[f"{prefix}{probe}/{metric}"], float)
        assert isinstance(report[f"{prefix}rankme"], float)
    assert report["task"] == "classification"
    assert report["n_train"] + report["n_test"] == len(labels) and report["n_test"] == 36
    assert report["baseline/linear_probe/accuracy"] > 0.9 and report["baseline/knn_probe/accuracy"] > 0.85
    assert report["linear_probe/accuracy"] < 0.7  # noise embeddings stay near chance (0.40)
    assert report == probe_report(noise, labels, raw_features=features, seed=1)


def test_split_is_stratified_and_seeded(wine):
    features, labels, _ = wine
    first = probe_report(features, labels, seed=0, evaluators=("linear_probe",))
    other = probe_report(features, labels, seed=5, evaluators=("linear_probe",))
    assert set(first) == {"linear_probe/accuracy", "linear_probe/macro_f1", "n_train", "n_test", "task"}
    assert first["n_test"] == other["n_test"] == 36
    train, test = _split(labels, "classification", 0.2, seed=0)
    assert sorted(np.concatenate([train, test])) == list(range(len(labels)))
    for cls in np.unique(labels):  # each class keeps its share of the test split, to within one sample
        assert abs((labels[test] == cls).sum() - 0.2 * (labels == cls).sum()) <= 1
    np.testing.assert_array_equal(_split(labels, "classification", 0.2, seed=0)[1], test)
    assert not np.array_equal(_split(labels, "classification", 0.2, seed=1)[1], test)
    rare_class = labels.copy()
    rare_class[:3] = 7  # 3 samples of a fourth class: stratification must put one in the test split
    assert probe_report(features, rare_class, evaluators=("linear_probe",))["linear_probe/accuracy"] > 0.8


def test_regression_report(linear_regression):
    train_x, train_y, test_x, test_y = linear_regression
    report = probe_report(np.vstack([train_x, test_x]), np.concatenate([train_y, test_y]), evaluators=("linear_probe", "knn_probe"))
    assert report["task"] == "regression" and report["linear_probe/r2"] > 0.99 and "knn_probe/rmse" in report


def test_errors(wine):
    features, labels, _ = wine
    lonely = labels.copy()
    lonely[0] = 9
    with pytest.raises(InvalidDataError, match="fewer than 2 samples .*9"):
        probe_report(features, lonely)
    with pytest.raises(InvalidDataError, match="one label per sample"):
        probe_report(features, labels, raw_features=features[:-1])
    with pytest.raises(InvalidDataError, match="missing"):
        probe_report(features, np.where(labels == 2, np.nan, labels))
    with pytest.raises(InvalidDataError, match="stratified split"):
        probe_report(features[:12], np.repeat([0, 1, 2, 3], 3), test_fraction=0.2)
    with pytest.raises(RecipeError, match="Did you mean 'knn_probe'"):
        probe_report(features, labels, evaluators=("knn_prob",))


def test_format_report_is_an_aligned_table(wine):
    features, labels, noise = wine
    text = format_report({**probe_report(noise, labels, raw_features=features), "baseline": "raw features"})
    lines = text.splitlines()
    assert lines[0] == "classification: 142 train / 36 test samples"
    assert lines[1].split() == ["metric", "embeddings", "raw", "features"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:]}
    assert set(rows) == {"linear_probe/accuracy", "linear_probe/macro_f1", "knn_probe/accuracy", "knn_probe/macro_f1", "rankme"}
    assert all(len(values) == 2 for values in rows.values())
    assert len({len(line) for line in lines[1:]}) == 1  # columns aligned
    without_raw = format_report(probe_report(features, labels, evaluators=("rankme",)))
    assert "raw features" not in without_raw and "rankme" in without_raw


def test_format_report_lists_counts_as_facts_not_metrics():
    text = format_report(
        {"mlp_head/accuracy": 0.8, "baseline/mlp_head/accuracy": 0.7, "baseline": "raw features", "n_validation": 3}
    )
    rows = [line.split()[0] for line in text.splitlines()]
    assert "n_validation" not in rows and "mlp_head/accuracy" in rows
    assert text.splitlines()[-1] == "n_validation=3"
