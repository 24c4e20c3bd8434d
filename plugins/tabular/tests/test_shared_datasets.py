"""The shared tables load, infer their column types and fit (skipped where ../shared/datasets is absent)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch
from multissl_tabular.modality import Tabular, TabularOptions

ROOT = Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "tabular"
TABLES = [
    ("adult/adult.parquet", "income", 6, 8),
    ("california_housing/california_housing.parquet", "MedHouseVal", 8, 0),
    ("heart_disease/heart_disease.csv", "target", 13, 0),
]


def test_label_encoded_mushroom_read_as_categorical():
    """mushroom stores its categories as integer codes: naming them categorical gives 22 vocabularies."""
    path = ROOT / "mushroom" / "mushroom.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent (shared datasets not mounted)")
    columns = [c for c in pd.read_csv(path, nrows=1).columns if c != "target"]
    modality = Tabular(TabularOptions(label_column="target", categorical_columns=columns))
    modality.fit(modality.load(path))
    assert modality.input_spec()["n_numeric"] == 0 and len(modality.vocabularies) == 22
    assert all(len(v) >= 1 for v in modality.vocabularies)


@pytest.mark.parametrize(("path", "label", "n_numeric", "n_categorical"), TABLES, ids=[t[0].split("/")[0] for t in TABLES])
def test_shared_table_loads_and_fits(path, label, n_numeric, n_categorical):
    if not (ROOT / path).is_file():
        pytest.skip(f"{ROOT / path} is absent (shared datasets not mounted)")
    modality = Tabular(TabularOptions(label_column=label))
    raw = modality.load(ROOT / path)
    modality.fit(raw)
    numeric, codes = modality.transform(raw)
    assert (numeric.shape[1], codes.shape[1]) == (n_numeric, n_categorical)
    assert len(raw.labels) == len(numeric)
    observed = numeric[~torch.isnan(numeric)]
    assert observed.min() >= 0 and observed.max() <= 1  # MinMax on the same rows
