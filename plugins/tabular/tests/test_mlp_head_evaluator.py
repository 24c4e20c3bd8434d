"""The ``tabular_probe`` evaluator on small cases with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from multissl_tabular.mlp_head_evaluator import TabularProbe, TabularProbeOptions
from multissl_tabular.modality import Tabular, TabularOptions

from multissl.errors import RecipeError
from multissl.plugins import registry


class StubRun:
    """A run whose embedding of each row is ``embedding(rows)``; reads tables with the fitted modality."""

    def __init__(self, table: pd.DataFrame, label: str, embedding):
        self.modality = Tabular(TabularOptions(label_column=label))
        self.modality.fit(self.modality.load(table))
        self.embedding = embedding

    def read(self, source, *, modality=None):
        return (modality or self.modality).load(source)

    def embed_loaded(self, raw, *, modality=None):
        return self.embedding(raw)


def table(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "noise": rng.normal(size=n), "y": np.where(x > 0, "high", "low"), "value": 3.0 * x})


FAST = {"hidden": [16], "head_epochs": 40, "patience": 10, "head_lr": 1e-2}


def test_classification_with_the_label_as_embedding_scores_one():
    frame = table()
    run = StubRun(frame.drop(columns="value"), "y", lambda raw: (raw.labels == "high").astype(np.float32)[:, None])
    report = TabularProbe(TabularProbeOptions(**FAST), seed=0)(run, frame.drop(columns="value"))
    assert report["mlp_head/accuracy"] == 1.0 and report["mlp_head/macro_f1"] == 1.0
    assert report["baseline/mlp_head/accuracy"] > 0.9  # the raw column x separates the classes too
    assert report["baseline"] == "raw features" and report["task"] == "classification"
    assert (report["n_train"], report["n_validation"], report["n_test"]) == (256, 64, 80)  # 64 / 16 / 20 %


def test_uninformative_embedding_scores_near_the_majority_rate():
    frame = table()
    rng = np.random.default_rng(1)
    run = StubRun(frame.drop(columns="value"), "y", lambda raw: rng.normal(size=(len(raw), 4)).astype(np.float32))
    report = TabularProbe(TabularProbeOptions(**FAST), seed=0)(run, frame.drop(columns="value"))
    assert report["mlp_head/accuracy"] < 0.65 < report["baseline/mlp_head/accuracy"]


def test_regression_reports_rmse_in_target_units_and_r2():
    frame = table().drop(columns="y")
    run = StubRun(frame, "value", lambda raw: raw.labels.astype(np.float32)[:, None])
    report = TabularProbe(TabularProbeOptions(**FAST), seed=0)(run, frame)
    assert report["mlp_head/r2"] > 0.95 and report["baseline/mlp_head/r2"] > 0.95
    assert report["mlp_head/rmse"] < 0.25 * frame["value"].std()
    assert set(report) >= {"mlp_head/rmse", "mlp_head/mae", "baseline/mlp_head/rmse", "baseline/mlp_head/mae"}


def test_same_seed_same_report():
    frame = table().drop(columns="value")
    run = StubRun(frame, "y", lambda raw: raw.numeric.astype(np.float32))
    first = TabularProbe(TabularProbeOptions(**FAST), seed=3)(run, frame)
    assert TabularProbe(TabularProbeOptions(**FAST), seed=3)(run, frame) == first


def test_label_column_that_is_a_feature_is_refused():
    frame = table().drop(columns="value")
    run = StubRun(frame, "y", lambda raw: raw.numeric)
    with pytest.raises(RecipeError, match="'x' is an input feature of this run"):
        TabularProbe(TabularProbeOptions(labels="x", **FAST))(run, frame)


def test_is_the_default_evaluator_of_tabular():
    assert registry().default_evaluators("tabular") == ["tabular_probe"]
    assert registry().default_method("tabular") == "scarf"


def test_head_seeds_report_their_mean_and_the_spread_due_to_the_head_alone():
    frame = table().drop(columns="y")
    run = StubRun(frame, "value", lambda raw: raw.numeric.astype(np.float32))
    seeds = [TabularProbe(TabularProbeOptions(**FAST), seed=s)(run, frame) for s in (0, 1, 2)]  # split and head vary
    pooled = TabularProbe(TabularProbeOptions(**FAST, head_seeds=[0, 1, 2]), seed=0)(run, frame)
    single = [TabularProbe(TabularProbeOptions(**FAST, head_seeds=[s]), seed=0)(run, frame) for s in (0, 1, 2)]
    rmse = [r["mlp_head/rmse"] for r in single]
    assert pooled["mlp_head/rmse"] == pytest.approx(np.mean(rmse))
    assert pooled["mlp_head/rmse/head_std"] == pytest.approx(np.std(rmse, ddof=1)) and pooled["mlp_head/rmse/head_std"] > 0
    assert single[0] == seeds[0] and single[1]["mlp_head/rmse"] != seeds[1]["mlp_head/rmse"]  # one split for every head
    with pytest.raises(RecipeError, match="head_seeds"):
        TabularProbe(TabularProbeOptions(**FAST, head_seeds=[]), seed=0)(run, frame)
