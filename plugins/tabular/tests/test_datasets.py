"""The shared tables by name: registered with their data options, resolved under the data root, loaded by tabular."""

from __future__ import annotations

import pytest
from multissl_tabular import datasets
from multissl_tabular.modality import Tabular, TabularOptions

from multissl.datasets import dataset_options, materialise
from multissl.errors import DatasetNotFoundError
from multissl.plugins import registry

SHARED = __import__("pathlib").Path(__file__).resolve().parents[3].parent / "shared" / "datasets"
# name: (label column, rows, numeric features, categorical features)
TABLES = {
    "adult": ("income", 48_842, 6, 8),
    "california_housing": ("MedHouseVal", 20_640, 8, 0),
    "mushroom": ("target", 8_124, 0, 22),
    "heart_disease": ("target", 304, 6, 7),
}


def test_each_dataset_is_registered_with_its_folder_and_label_column():
    for name, (label, *_) in TABLES.items():
        entry = registry().entry("dataset", name)
        assert entry.modalities == ("tabular",) and entry.details["path"] == f"tabular/{name}"
        assert dataset_options(name, registry())["label_column"] == label
    assert dataset_options("adult", registry())["missing_values"] == ["?"]


def test_a_folder_without_the_file_names_it(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="has no adult.parquet"):
        datasets.adult(tmp_path)


@pytest.mark.parametrize("name", list(TABLES))
def test_dataset_loads_with_its_options(name):
    if not (SHARED / "tabular" / name).is_dir():
        pytest.skip(f"{SHARED / 'tabular' / name} is absent (shared datasets not mounted)")
    label, rows, n_numeric, n_categorical = TABLES[name]
    source = materialise(name, "tabular", registry(), SHARED)
    modality = Tabular(TabularOptions(**dataset_options(name, registry())))
    raw = modality.load(source)
    modality.fit(raw)
    assert len(raw) == rows and len(raw.labels) == rows
    assert (len(modality.numeric_names), len(modality.categorical_columns)) == (n_numeric, n_categorical)
    assert label not in modality.source_columns
    if name == "adult":  # "?" is missing, not a category
        assert all("?" not in vocabulary for vocabulary in modality.vocabularies)
