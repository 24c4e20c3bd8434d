"""Readers of the shared MovieLens and Gowalla folders (skipped where ../shared/datasets is absent)."""

from __future__ import annotations

import pytest
from multissl_recsys.datasets import gowalla, movielens_small
from multissl_recsys.modality import Interactions, InteractionsOptions

from multissl.errors import InvalidDataError


def test_movielens_small_with_genres_tags_and_year(movielens_dir):
    source = movielens_small(movielens_dir)
    modality = Interactions(InteractionsOptions(rating_column="rating", timestamp_column="timestamp"))
    tables = modality.load(source)
    modality.fit(tables)
    assert len(tables.train) + len(tables.test) == 100_836
    spec = modality.input_spec()
    assert (spec["n_users"], spec["n_items"]) == (610, 9_724)
    assert spec["item_features"]["genres"]["multi"] and spec["item_features"]["tags"]["multi"] and not spec["item_features"]["year"]["multi"]


def test_gowalla_keeps_lightgcns_split(gowalla_dir):
    source = gowalla(gowalla_dir)
    assert (len(source["train"]), len(source["test"])) == (810_128, 217_242)
    assert source["train"]["user"].nunique() == 29_858


def test_a_folder_without_the_files_is_an_error(tmp_path):
    with pytest.raises(InvalidDataError, match="ratings.csv"):
        movielens_small(tmp_path)
