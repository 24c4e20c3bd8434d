"""The interactions modality: sources, ids, splits, duplicates, features, unknown ids, saved state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from multissl_recsys.modality import Interactions, InteractionsOptions
from multissl_recsys.tables import InteractionTables

from multissl.errors import EmptyDataError, InvalidDataError, RecipeError


def fitted(source, **options) -> tuple[Interactions, InteractionTables]:
    modality = Interactions(InteractionsOptions(**options))
    raw = modality.load(source)
    modality.fit(raw)
    return modality, raw


def test_random_split_per_user_keeps_a_training_item_and_tests_every_user(interactions):
    _modality, raw = fitted(interactions, test_fraction=0.4)
    assert len(raw.train) + len(raw.test) == len(interactions)
    assert (raw.test.groupby("user").size() == 2).all() and raw.test["user"].nunique() == 10
    assert (raw.train.groupby("user").size() == 3).all()
    merged = raw.train.merge(raw.test, on=["user", "item"])
    assert merged.empty


def test_random_split_depends_on_the_split_seed(interactions):
    first = fitted(interactions, split_seed=0)[1].test
    second = fitted(interactions, split_seed=1)[1].test
    assert not first.equals(second)


def test_leave_last_out_holds_out_each_users_latest_interaction(interactions):
    shuffled = interactions.sample(frac=1.0, random_state=0)
    _, raw = fitted(shuffled, split="leave_last_out", timestamp_column="timestamp")
    latest = interactions.loc[interactions.groupby("user")["timestamp"].idxmax(), ["user", "item"]]
    held_out = raw.test[["user", "item"]].astype(str)  # ids are categorical: a code per row
    pd.testing.assert_frame_equal(held_out.sort_values("user").reset_index(drop=True), latest.sort_values("user").reset_index(drop=True))


def test_leave_last_out_needs_timestamps(interactions):
    with pytest.raises(RecipeError, match="timestamp_column"):
        fitted(interactions.drop(columns="timestamp"), split="leave_last_out")


def test_a_given_train_test_split_is_kept(interactions):
    train, test = interactions.iloc[:40], interactions.iloc[40:]
    _modality, raw = fitted({"train": train, "test": test})
    assert len(raw.train) == 40 and len(raw.test) == 10
    with pytest.raises(InvalidDataError, match="both 'train' and 'test'"):
        Interactions().load({"train": train})


def test_users_with_a_single_interaction_stay_in_training(interactions, caplog):
    lonely = pd.concat([interactions, pd.DataFrame({"user": ["solo"], "item": ["i1"], "timestamp": [0]})])
    _modality, raw = fitted(lonely)
    assert "solo" in set(raw.train["user"]) and "solo" not in set(raw.test["user"])
    assert "1 users have a single interaction" in caplog.text


def test_integer_and_string_ids_are_the_same_ids(interactions):
    numeric = interactions.assign(user=interactions["user"].str[1:].astype(int), item=interactions["item"].str[1:].astype(int))
    modality, _ = fitted(numeric, split="none")
    assert modality.user_positions([3, "3"]).tolist() == [modality.user_ids.index("3")] * 2


def test_duplicates_are_merged_with_a_warning_or_refused(interactions):
    doubled = pd.concat([interactions, interactions.iloc[:3].assign(timestamp=10_000)], ignore_index=True)
    with pytest.warns(UserWarning, match="3 repeated"):
        _modality, raw = fitted(doubled, split="none", timestamp_column="timestamp")
    assert len(raw.train) == len(interactions)
    assert (raw.train.set_index(["user", "item"]).loc[list(zip(interactions.user[:3], interactions.item[:3], strict=True)), "timestamp"] == 10_000).all()
    with pytest.raises(InvalidDataError, match="3 repeated"):
        fitted(doubled, duplicates="error")


def test_missing_columns_empty_tables_and_missing_ids_are_errors(interactions):
    with pytest.raises(InvalidDataError, match="user_column"):
        fitted(interactions.rename(columns={"user": "who"}))
    with pytest.raises(EmptyDataError):
        fitted(interactions.iloc[:0])
    with pytest.raises(InvalidDataError, match="missing user or item"):
        fitted(interactions.assign(item=interactions["item"].where(interactions.index != 3)))
    with pytest.raises(InvalidDataError, match="Unknown keys"):
        Interactions().load({"interactions": interactions, "items": interactions})


def test_empty_feature_tables_are_refused(interactions):
    with pytest.raises(EmptyDataError, match="item_features is empty"):
        fitted({"interactions": interactions, "item_features": pd.DataFrame({"item": [], "genre": []})})
    with pytest.raises(EmptyDataError, match="at least one feature column"):
        fitted({"interactions": interactions, "item_features": pd.DataFrame({"item": ["i1"]})})
    with pytest.raises(InvalidDataError, match="repeated ids"):
        fitted({"interactions": interactions, "item_features": pd.DataFrame({"item": ["i1", "i1"], "genre": ["a", "b"]})})


def test_feature_tables_become_codes_in_catalogue_order(interactions):
    first, second, third = interactions["item"].unique()[:3]
    items = pd.DataFrame({"item": [first, second], "genres": ["Action|Drama", "Drama"], "year": [1990, 2000]})
    users = pd.DataFrame({"user": ["u0"], "country": ["fr"]})
    modality, _raw = fitted({"interactions": interactions, "item_features": items, "user_features": users})
    spec = modality.input_spec()
    assert spec["item_features"] == {"genres": {"size": 4, "multi": True}, "year": {"size": 12, "multi": False}}  # 9 quantile edges
    assert spec["user_features"] == {"country": {"size": 3, "multi": False}}
    genres = modality.item_codes["genres"]
    drama = 2  # the most frequent value gets the first code
    assert genres[modality.item_ids.index(second)].tolist() == [drama, 0]
    assert genres[modality.item_ids.index(first)].tolist() == [2, 3]
    assert genres[modality.item_ids.index(third)].tolist() == [1, 0]  # no feature row: unknown
    assert modality.user_codes["country"][modality.user_ids.index("u1")].tolist() == [1]


def test_min_rating_keeps_positive_ratings_only(interactions):
    rated = interactions.assign(stars=np.tile([1, 5], 25))
    _, raw = fitted(rated, split="none", rating_column="stars", min_rating=4)
    assert len(raw.train) == 25 and (raw.train["rating"] == 5).all()
    with pytest.raises(RecipeError, match="rating_column"):
        fitted(rated, min_rating=4)


def test_unknown_ids_after_fitting_raise_or_are_kept_and_marked(interactions):
    modality, _ = fitted(interactions)
    known = interactions["item"].iloc[0]
    new = pd.DataFrame({"user": ["u1", "stranger"], "item": [known, known]})
    with pytest.raises(InvalidDataError, match="stranger"):
        modality.load(new)
    modality.options.unknown_ids = "skip"
    with pytest.warns(UserWarning, match="1 rows"):
        kept = modality.load(new)
    assert kept.train["user"].tolist() == ["u1", "stranger"]
    assert modality.indices(kept.train)[0][1] == -1 and modality.matrix(kept.train).nnz == 1


def test_state_round_trip_rebuilds_the_same_batches(interactions):
    modality, _raw = fitted({"interactions": interactions, "item_features": pd.DataFrame({"item": ["i1"], "tag": ["x|y"]})})
    restored = Interactions()
    restored.load_state_dict(modality.state_dict())
    assert restored.input_spec() == modality.input_spec()
    for key, value in modality.context().items():
        dense = lambda t: t.to_dense() if t.layout != torch.strided else t  # noqa: E731 - Â is a CSR matrix
        assert dense(restored.context()[key]).equal(dense(value)), key
    loaded = restored.load(interactions)
    assert len(loaded.train) == len(interactions) and loaded.test is None  # a fitted modality does not split
    batch = restored.collate(restored.dataset(loaded).__getitems__([0, 1]))
    assert batch["user"].tolist() == restored.user_positions(interactions["user"][:2]).tolist()


def test_files_are_read(interactions, tmp_path):
    interactions.to_csv(tmp_path / "log.csv", index=False)
    interactions.to_parquet(tmp_path / "log.parquet")
    assert len(fitted(str(tmp_path / "log.csv"))[1].all_interactions()) == 50
    assert len(fitted(tmp_path / "log.parquet")[1].all_interactions()) == 50
    with pytest.raises(InvalidDataError, match="no file"):
        fitted(tmp_path / "missing.csv")
