"""Bad input to the interactions modality, its datasets, embed and evaluation: each case raises the named
``multissl.errors`` type with a message saying what to fix, or is handled as documented (float ids read as
integers, unknown ids kept in place as NaN rows, mixed date formats parsed)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from multissl_recsys.datasets import gowalla, movielens_small
from multissl_recsys.modality import Interactions, InteractionsOptions

import multissl
from multissl.errors import DatasetNotFoundError, EmptyDataError, InvalidDataError, RecipeError

LOG = pd.DataFrame({"user": ["u1", "u1", "u2", "u2", "u3", "u3"], "item": ["a", "b", "a", "c", "b", "c"], "time": range(6)})
STEP = {"max_steps": 1, "batch_size": 4, "embedding_dim": 4, "trainer.enable_progress_bar": False}


def load(source, **options):
    modality = Interactions(InteractionsOptions(**options))
    return modality.load(source)


CASES = [
    ("fractional float id", lambda: load(LOG.assign(user=[1.5, 1.0, 2.0, 2.0, 3.0, 3.0])), InvalidDataError, "fractional ids"),
    ("boolean ids", lambda: load(LOG.assign(item=[True, False] * 3)), InvalidDataError, "booleans"),
    ("missing id", lambda: load(LOG.assign(user=["u1", None, "u2", "u2", "u3", "u3"])), InvalidDataError, "missing user or item id"),
    ("unparsable timestamp", lambda: load(LOG.assign(time=["2020-01-01"] * 5 + ["soon"]), timestamp_column="time"), InvalidDataError, "'soon'"),
    ("missing timestamp", lambda: load(LOG.assign(time=["2020-01-01"] * 5 + [None]), timestamp_column="time"), InvalidDataError, "missing"),
    ("out-of-range date", lambda: load(LOG.assign(time=["2020-01-01"] * 5 + ["99999-01-01"]), timestamp_column="time"), InvalidDataError, "not dates"),
    ("text ratings", lambda: load(LOG.assign(stars=["good"] * 6), rating_column="stars"), InvalidDataError, "rating column must be numeric"),
    ("missing column", lambda: load(LOG, item_column="movie"), InvalidDataError, "lacks the columns"),
    ("empty table", lambda: load(LOG.iloc[:0]), EmptyDataError, "no rows"),
    ("repeated pairs refused", lambda: load(pd.concat([LOG, LOG.iloc[:1]]), duplicates="error"), InvalidDataError, "repeated"),
    ("unknown source key", lambda: load({"interactions": LOG, "ratings": LOG}), InvalidDataError, "Unknown keys"),
    ("train without test", lambda: load({"train": LOG}), InvalidDataError, "both 'train' and 'test'"),
    ("not a table", lambda: load(np.zeros((3, 2))), InvalidDataError, "DataFrame or a path"),
    ("no such file", lambda: load("no/such/log.csv"), InvalidDataError, "no file"),
    ("feature ids repeated", lambda: load({"interactions": LOG, "item_features": pd.DataFrame({"item": ["a", "a"], "g": ["x", "y"]})}),
     InvalidDataError, "repeated ids"),
    ("feature table without its id", lambda: load({"interactions": LOG, "item_features": pd.DataFrame({"movie": ["a"], "g": ["x"]})}),
     InvalidDataError, "lacks the id column"),
    ("feature table without an id value", lambda: load({"interactions": LOG, "item_features": pd.DataFrame({"item": ["a", None], "g": ["x", "y"]})}),
     InvalidDataError, "without an id"),
    ("leave-last-out without time", lambda: load(LOG, split="leave_last_out"), RecipeError, "timestamp_column"),
    ("min_rating without ratings", lambda: load(LOG, min_rating=4.0), RecipeError, "rating_column"),
    ("min_rating keeps nothing", lambda: load(LOG.assign(stars=1.0), rating_column="stars", min_rating=4.0), EmptyDataError, "lower data.min_rating"),
    ("nobody to hold out", lambda: load(LOG.drop_duplicates("user")), InvalidDataError, "No user has two or more"),
    ("test fraction outside (0, 1)", lambda: load(LOG, test_fraction=1.5), RecipeError, "test_fraction"),
    ("folder without the dataset files", lambda: movielens_small("/nonexistent"), InvalidDataError, "ratings.csv"),
    ("gowalla folder without its files", lambda: gowalla("/nonexistent"), InvalidDataError, "train.txt"),
    ("unknown recipe key in data", lambda: multissl.pretrain("interactions", LOG, method="lightgcn", **{"data.user_col": "user"}), RecipeError, "user_column"),
    ("evaluate k of zero", lambda: multissl.pretrain("interactions", LOG, method="lightgcn", recipe={"evaluate": {"k": 0}}), RecipeError, "positive integer"),
]


@pytest.mark.parametrize(("case", "call", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(case, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_dataset_name_without_a_data_root_names_both_ways_to_set_it(monkeypatch):
    monkeypatch.delenv("MULTISSL_DATA", raising=False)
    with pytest.raises(DatasetNotFoundError, match="MULTISSL_DATA"):
        multissl.pretrain("interactions", "gowalla", **STEP)


def test_integer_ids_arriving_as_floats_are_the_same_ids():
    as_int = load(LOG.assign(user=[1, 1, 2, 2, 3, 3]), split="none").train
    as_float = load(LOG.assign(user=[1.0, 1.0, 2.0, 2.0, 3.0, 3.0]), split="none").train
    assert as_float["user"].tolist() == as_int["user"].tolist() == ["1", "1", "2", "2", "3", "3"]


def test_feature_ids_arriving_as_floats_match_the_interactions():
    log = LOG.assign(item=[10, 11, 10, 12, 11, 12])
    features = pd.DataFrame({"item": [10.0, 11.0, 12.0], "genre": ["x", "y", "x|y"]})
    modality = Interactions()
    modality.fit(modality.load({"interactions": log, "item_features": features}))
    assert (modality.item_codes["genre"] > 0).any(axis=1).all()  # every item found its feature row


def test_dates_in_mixed_formats_are_read_in_order():
    frame = load(LOG.assign(time=["2020-01-01", "2020-01-02 10:00", "2020/01/03", "2020-01-04T00:00:00Z", "5 Jan 2020", "2020-01-06"]),
                 timestamp_column="time", split="none").train
    assert frame["timestamp"].is_monotonic_increasing


@pytest.fixture(scope="module")
def run():
    return multissl.pretrain("interactions", LOG, method="lightgcn", **STEP)


def test_unknown_ids_at_embed_time_raise_by_default(run):
    with pytest.raises(InvalidDataError, match="stranger"):
        run.embed(pd.DataFrame({"user": ["u1", "stranger"], "item": ["a", "a"]}))


def test_skipped_unknown_ids_keep_one_row_per_input_marked_nan(run):
    run.modality.options.unknown_ids = "skip"
    try:
        rows = pd.DataFrame({"user": ["u1", "stranger", "u2"], "item": ["a", "a", "nothing"]})
        with pytest.warns(UserWarning, match="2 rows"):
            embeddings = run.embed(rows)
    finally:
        run.modality.options.unknown_ids = "error"
    assert embeddings.shape[0] == 3
    assert np.isfinite(embeddings[0]).all() and np.isnan(embeddings[1:]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.allclose(run.embed(rows.iloc[:1]), embeddings[:1])  # known rows embed as they do alone


def test_skipped_unknown_ids_are_left_out_of_the_ranking_and_counted(run):
    run.modality.options.unknown_ids = "skip"
    try:
        with pytest.warns(UserWarning, match="1 rows"):
            report = multissl.evaluate(run, data=pd.DataFrame({"user": ["u1", "stranger"], "item": ["c", "a"]}), k=2)
    finally:
        run.modality.options.unknown_ids = "error"
    assert report["n_skipped"] == 1 and report["n_users"] == 1


def test_recommend_refuses_a_bad_k_no_users_and_unknown_users(run):
    with pytest.raises(RecipeError, match="k must"):
        run.modality.recommend(run.method, ["u1"], k=0)
    with pytest.raises(InvalidDataError, match="no users"):
        run.modality.recommend(run.method, [], k=1)
    with pytest.raises(InvalidDataError, match="'stranger'.*unknown_users='popular'"):
        run.modality.recommend(run.method, ["u1", "stranger"], k=1)
