"""Registered dataset names: bundled data, folders under the data root (data.root or MULTISSL_DATA), clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import multissl
from multissl import recipe as recipes
from multissl.datasets import DATA_ROOT_ENV, materialise
from multissl.errors import DatasetNotFoundError, RecipeError


def _read_table(folder):
    return pd.read_csv(folder / "rows.csv")


class TablePlugin:
    @multissl.hookimpl
    def multissl_register(self, registry):
        registry.add_dataset("toy_table", _read_table, modality="vectors", path="toy/table", options={"label_column": "y"})


@pytest.fixture
def toy_root(tmp_path):
    folder = tmp_path / "toy" / "table"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40), "y": np.arange(40) % 2}).to_csv(folder / "rows.csv", index=False)
    return tmp_path


def test_a_folder_dataset_is_read_under_data_root_or_the_environment(fresh_plugins, toy_root, monkeypatch):
    fresh_plugins.host().add_plugin(TablePlugin(), "toy")
    reg = fresh_plugins.registry()
    monkeypatch.delenv(DATA_ROOT_ENV, raising=False)
    assert list(materialise("toy_table", "vectors", reg, toy_root).columns) == ["a", "b", "y"]
    monkeypatch.setenv(DATA_ROOT_ENV, str(toy_root))
    assert len(materialise("toy_table", "vectors", reg)) == 40
    assert materialise("not_a_dataset.csv", "vectors", reg) == "not_a_dataset.csv"


def test_a_missing_root_or_folder_names_both_settings(fresh_plugins, tmp_path, monkeypatch):
    fresh_plugins.host().add_plugin(TablePlugin(), "toy")
    reg = fresh_plugins.registry()
    monkeypatch.delenv(DATA_ROOT_ENV, raising=False)
    with pytest.raises(DatasetNotFoundError, match=r"no data root is set.*data\.root.*MULTISSL_DATA"):
        materialise("toy_table", "vectors", reg)
    with pytest.raises(DatasetNotFoundError, match=r"toy/table.*does not exist.*data\.root.*MULTISSL_DATA"):
        materialise("toy_table", "vectors", reg, tmp_path)


def test_the_dataset_s_options_apply_unless_the_recipe_sets_them(fresh_plugins, toy_root):
    fresh_plugins.host().add_plugin(TablePlugin(), "toy")
    reg = fresh_plugins.registry()
    base = {"modality": "vectors", "method": "simclr"}
    assert recipes.resolve({**base, "data": {"source": "toy_table"}}, reg).data.label_column == "y"
    assert recipes.resolve({**base, "data": {"source": "toy_table", "label_column": "b"}}, reg).data.label_column == "b"
    resolved = recipes.resolve({**base, "data": {"source": "toy_table", "root": str(toy_root)}}, reg)
    assert resolved.data_root == str(toy_root) and resolved.to_dict()["data"]["root"] == str(toy_root)


def test_bundled_tables_keep_their_target_out_of_the_features():
    run = multissl.pretrain("vectors", "wine", max_epochs=1, batch_size=64, enable_progress_bar=False)
    assert run.method.input_spec["input_dim"] == 13


def test_a_dataset_of_another_modality_is_refused_before_training(fresh_plugins):
    fresh_plugins.registry().add_modality("other", "multissl.modalities.vectors:Vectors", default_method=None)
    fresh_plugins.registry().serve("simclr", "other")
    with pytest.raises(RecipeError, match="Dataset 'wine' is for modality vectors, not 'other'"):
        recipes.resolve({"modality": "other", "method": "simclr", "data": {"source": "wine"}}, fresh_plugins.registry())
