"""The standard scaler's statistics stay exact on columns with a large offset, whole or merged chunk by chunk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from multissl_tabular.fit_statistics import FitStatistics
from multissl_tabular.modality import Tabular, TabularOptions, TabularTable


def statistics(values: np.ndarray, chunks: int) -> FitStatistics:
    fitted = FitStatistics(values.shape[1], 0)
    for part in np.array_split(values, chunks):
        fitted.add(TabularTable(part, [], None))
    return fitted


@pytest.mark.parametrize("chunks", [1, 7])
def test_offset_column_keeps_its_standard_deviation(chunks):
    """1e8 + noise of spread 5: Σx²/n − mean² loses the spread to rounding (std 9.17); the merged moments keep it."""
    rng = np.random.default_rng(0)
    values = np.stack([1e8 + rng.normal(0, 5, 10_000), rng.normal(3, 2, 10_000)], axis=1)
    values[::9, 0] = np.nan
    mean, std = statistics(values, chunks).offset_and_spread("standard")
    np.testing.assert_allclose(mean, np.nanmean(values, axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, np.nanstd(values, axis=0), rtol=1e-9)
    assert abs(std[0] - 5.0) < 0.1


def test_chunks_with_a_column_missing_merge_like_one_pass():
    values = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, 10.0], [4.0, 14.0]])
    mean, std = statistics(values, 2).offset_and_spread("standard")  # the first chunk has no value in column 1
    np.testing.assert_allclose(mean, [2.5, 12.0])
    np.testing.assert_allclose(std, [np.std([1, 2, 3, 4]), 2.0])


def test_standard_scaling_of_an_offset_column_gives_unit_spread():
    rng = np.random.default_rng(1)
    modality = Tabular(TabularOptions(scaling="standard"))
    raw = modality.load(pd.DataFrame({"x": 1e8 + rng.normal(0, 5, 2_000)}))
    modality.fit(raw)
    numeric, _ = modality.transform(raw)
    assert abs(float(numeric.std()) - 1.0) < 1e-3
