"""Fine-tuning on an interaction log's items: genre classes from the item feature table, one prediction per item."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import multissl
from multissl.errors import InvalidDataError
from multissl_recsys.evaluation import embeddings_of
from multissl_recsys.modality import Interactions

QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}


@pytest.fixture(scope="module")
def example_run():
    data = Interactions().example()
    return data, multissl.pretrain("interactions", data, method="lightgcn", max_epochs=1, batch_size=16, embedding_dim=8, **QUIET)


def test_items_fine_tune_through_the_item_path_and_predict_one_class_each(example_run, tmp_path):
    data, run = example_run
    tuned = multissl.finetune(run, data, "genres=Drama", what="items", epochs=5, lr=0.05, batch_size=4)
    items = run.modality.item_ids
    predicted = tuned.predict(data)
    assert predicted.shape == (len(items),) and set(predicted) <= {"Drama", "other"}
    assert not torch.equal(embeddings_of(tuned.modality, tuned.method)[1], embeddings_of(run.modality, run.method)[1])
    tuned.save(tmp_path / "tuned")
    back = multissl.load(tmp_path / "tuned")
    assert back.what == "items"
    np.testing.assert_array_equal(back.predict(data), predicted)


def test_labels_as_a_series_by_item_id_and_a_plain_column(example_run):
    data, run = example_run
    years = data["item_features"].set_index("item")["year"]
    by_id = pd.Series((years > 2000).to_numpy(), index=years.index).iloc[::-1]  # any order: aligned by id
    tuned = multissl.finetune(run, data, by_id, what="items", epochs=2, batch_size=4)
    assert set(tuned.classes) == {False, True}
    regression = multissl.finetune(run, data, "year", what="items", task="regression", epochs=2, batch_size=4)
    assert regression.predict(data).dtype.kind == "f"


def test_bad_item_labels_are_clear_errors(example_run):
    data, run = example_run
    with pytest.raises(InvalidDataError, match="not in the item feature table"):
        multissl.finetune(run, data, "rating", what="items")
    with pytest.raises(InvalidDataError, match="No item has 'Western'"):
        multissl.finetune(run, data, "genres=Western", what="items")
    with pytest.raises(multissl.errors.RecipeError, match="'items' or 'users'"):
        multissl.finetune(run, data, "genres=Drama", what="movies")


def test_movielens_drama_is_learned_from_ten_percent_of_the_item_labels(movielens_dir):
    run = multissl.pretrain("interactions", "movielens_small", method="lightgcn", max_epochs=1, batch_size=4096,
                            **{"data.root": str(movielens_dir.parent.parent)}, **QUIET)
    report = multissl.evaluate(run, evaluators="finetune", what="items", labels="genres=Drama", label_fraction=0.1,
                               finetune_epochs=10, finetune_lr=0.01)
    assert report["finetune/n_test"] == 1945
    drama_share = 0.45  # of the rated movies; "other" is the majority class
    assert report["finetune/accuracy"] > 1 - drama_share + 0.03


def test_users_are_samples_too(example_run):
    data, run = example_run
    users = pd.Index(run.modality.user_ids)
    by_id = pd.Series(np.arange(len(users)) % 2, index=users)
    tuned = multissl.finetune(run, data, by_id, what="users", epochs=2, batch_size=4)
    assert tuned.predict(data).shape == (len(users),)
    with pytest.raises(InvalidDataError, match="no feature table"):
        multissl.finetune(run, data, "age", what="users")
