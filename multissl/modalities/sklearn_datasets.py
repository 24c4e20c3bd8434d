"""Datasets bundled with scikit-learn (no download), as DataFrames with a ``target`` column."""

from __future__ import annotations

import pandas as pd
from sklearn import datasets


def _frame(bunch) -> pd.DataFrame:
    frame = pd.DataFrame(bunch.data, columns=[str(c) for c in bunch.feature_names])
    frame["target"] = bunch.target
    return frame


def breast_cancer() -> pd.DataFrame:
    """Wisconsin diagnostic breast cancer: 569 x 30, binary ``target``."""
    return _frame(datasets.load_breast_cancer())


def wine() -> pd.DataFrame:
    """Wine recognition: 178 x 13, three classes."""
    return _frame(datasets.load_wine())


def digits() -> pd.DataFrame:
    """8x8 handwritten digits: 1,797 x 64, ten classes."""
    return _frame(datasets.load_digits())
