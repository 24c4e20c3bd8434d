"""T-JEPA at its defaults is not collapsed after a short run on a numeric table nobody tuned it for; with the
tokenizer's value weights at the old 0.02 it is (the engine's collapse signal, docs/methods/tjepa.md)."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.datasets import make_classification

import multissl
from multissl.engine.collapse_monitor import COLLAPSED_RANKME, COLLAPSED_RELATIVE_STD

QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    x, _ = make_classification(n_samples=600, n_features=12, n_informative=6, random_state=0)
    return pd.DataFrame(x, columns=[f"f{j}" for j in range(12)])


def test_defaults_are_not_collapsed_after_a_short_run(table):
    signal = multissl.pretrain("tabular", table, "tjepa", max_epochs=2, batch_size=128, dim=32, **QUIET).metrics["train"]
    assert signal["collapse/relative_std"] > 5 * COLLAPSED_RELATIVE_STD and signal["collapse/rankme"] > COLLAPSED_RANKME


def test_value_weights_at_the_reference_transformer_scale_collapse(table):
    signal = multissl.pretrain("tabular", table, "tjepa", max_epochs=2, batch_size=128, dim=32, value_init_std=0.02,
                               **QUIET).metrics["train"]
    assert signal["collapse/relative_std"] < COLLAPSED_RELATIVE_STD
