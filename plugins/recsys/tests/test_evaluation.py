"""Full-ranking evaluation (training items excluded, long tail)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from multissl_recsys.evaluation import long_tail_mask, ranking_report
from multissl_recsys.modality import Interactions, InteractionsOptions

from multissl.errors import InvalidDataError, RecipeError


class FixedScores(torch.nn.Module):
    """A stand-in method whose user/item embeddings are given."""

    def __init__(self, users, items):
        super().__init__()
        self.users, self.items = torch.nn.Parameter(torch.tensor(users)), torch.nn.Parameter(torch.tensor(items))

    def user_item_embeddings(self, batch):
        return self.users, self.items


def _modality(train, test):
    modality = Interactions()
    tables = modality.load({"train": pd.DataFrame(train, columns=["user", "item"]), "test": pd.DataFrame(test, columns=["user", "item"])})
    modality.fit(tables)
    return modality, tables


def test_training_items_are_excluded_from_the_ranking():
    # item a scores highest for u but is a training item: excluded, the test item b is ranked first
    modality, tables = _modality([("u", "a"), ("v", "c")], [("u", "b"), ("v", "a")])
    order = {item: i for i, item in enumerate(modality.item_ids)}
    scores = np.zeros(3, dtype=np.float32)
    scores[order["a"]], scores[order["b"]], scores[order["c"]] = 3.0, 2.0, 1.0
    method = FixedScores([[1.0], [1.0]], scores[:, None].tolist())
    report = ranking_report(modality, method, tables, ks=(1,))
    assert report["recall@1"] == 1.0 and report["n_users"] == 2  # v: c is excluded, a comes first


def test_long_tail_is_every_item_outside_the_most_popular_fifth():
    popularity = np.array([50, 1, 7, 3, 9, 0, 2, 8, 4, 6])
    mask = long_tail_mask(popularity, 0.2)
    assert mask.tolist() == [False, True, True, True, False, True, True, True, True, True]
    with pytest.raises(RecipeError):
        long_tail_mask(popularity, 1.0)


def test_tail_metrics_only_count_tail_test_items():
    train = [("u1", "pop"), ("u2", "pop"), ("u3", "pop"), ("u1", "x")]
    test = [("u1", "rare"), ("u4", "pop")]  # rare is a tail item, pop the single head item (ceil(0.2 * 3))
    modality, tables = _modality(train, test)
    n_users, n_items = len(modality.user_ids), len(modality.item_ids)
    method = FixedScores(np.ones((n_users, 2), dtype=np.float32).tolist(), np.random.default_rng(0).random((n_items, 2), dtype=np.float32).tolist())
    report = ranking_report(modality, method, tables)
    assert (report["n_users"], report["n_tail_users"]) == (2, 1)
    assert report["tail/recall@20"] == 1.0  # 3 items: everything is in the top 20


def test_ranking_needs_a_test_split(interactions):
    modality = Interactions(InteractionsOptions(split="none"))
    tables = modality.load(interactions)
    modality.fit(tables)
    with pytest.raises(InvalidDataError, match="no test split"):
        ranking_report(modality, None, tables)


def test_max_users_evaluates_a_sample_of_the_test_users():
    train = [(f"u{u}", "a") for u in range(6)]
    test = [(f"u{u}", "b") for u in range(6)]
    modality, tables = _modality(train, test)
    method = FixedScores(np.ones((6, 1), dtype=np.float32).tolist(), [[1.0], [2.0]])
    assert ranking_report(modality, method, tables, ks=(1,), max_users=4)["n_users"] == 4
    assert ranking_report(modality, method, tables, ks=(1,))["n_users"] == 6
