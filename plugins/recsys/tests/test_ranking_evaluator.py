"""The ``ranking`` evaluator: known answers, the held-out part it ranks, options checked before training, and the
baseline trained in the same call."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from multissl_recsys.modality import Interactions, InteractionsOptions
from multissl_recsys.ranking_evaluator import MOST_POPULAR, Ranking, RankingOptions

import multissl
from multissl.errors import InvalidDataError, RecipeError

TRAIN = [("u1", "a"), ("u1", "b"), ("u2", "a"), ("u3", "a"), ("u3", "c")]
TEST = [("u1", "d"), ("u2", "c"), ("u3", "b")]


class GivenScores(torch.nn.Module):
    """A stand-in method scoring with given user and item vectors (no SSL term: the baseline is the most popular)."""

    def __init__(self, users: np.ndarray, items: np.ndarray) -> None:
        super().__init__()
        self.users, self.items = torch.nn.Parameter(torch.tensor(users)), torch.nn.Parameter(torch.tensor(items))

    def user_item_embeddings(self, batch):
        return self.users, self.items


def stand_in_run(scores) -> SimpleNamespace:
    """A fitted run on TRAIN/TEST whose score of (user, item) is ``scores(user, item)``, one dimension per item."""
    source = {"train": pd.DataFrame(TRAIN, columns=["user", "item"]), "test": pd.DataFrame(TEST, columns=["user", "item"])}
    modality = Interactions()
    modality.fit(modality.load(source))
    users = np.eye(len(modality.user_ids), dtype=np.float32)
    items = np.array([[scores(u, i) for u in modality.user_ids] for i in modality.item_ids], dtype=np.float32)
    run = SimpleNamespace(modality=modality, method=GivenScores(users, items), recipe=SimpleNamespace(source=source))
    run.read = lambda data, modality=None: (modality or run.modality).load(data)
    return run


def test_a_scorer_that_ranks_the_held_out_items_first_gets_recall_one():
    held_out = set(TEST)
    run = stand_in_run(lambda u, i: 1.0 if (u, i) in held_out else 0.0)
    report = Ranking(RankingOptions(k=[1, 2]))(run, run.recipe.source)
    assert report["recall@1"] == report["ndcg@1"] == report["recall@2"] == 1.0
    assert report["n_users"] == 3 and report["n_skipped"] == 0


def test_a_scorer_that_ranks_them_last_gets_zero_and_the_popular_baseline_its_known_value():
    held_out = set(TEST)
    run = stand_in_run(lambda u, i: -1.0 if (u, i) in held_out else 0.0)
    report = Ranking(RankingOptions(k=1, long_tail=False))(run, run.recipe.source)
    assert report["recall@1"] == 0.0
    # popularity a 3, b 1, c 1, d 0; each user's training items excluded, ties by index (a, b, c, d):
    # u1 gets c (holds d), u2 gets b (holds c), u3 gets b (holds b): recall@1 = 1/3
    assert report["baseline"] == MOST_POPULAR and report["baseline/recall@1"] == pytest.approx(1 / 3)
    assert "tail/recall@1" not in report


def test_evaluation_data_other_than_the_training_data_is_held_out_as_a_whole():
    run = stand_in_run(lambda u, i: 1.0 if (u, i) == ("u2", "d") else 0.0)
    report = Ranking(RankingOptions(k=1, long_tail=False))(run, pd.DataFrame([("u2", "d")], columns=["user", "item"]))
    assert report["recall@1"] == 1.0 and report["n_users"] == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [({"k": 0}, "positive integer"), ({"k": []}, "positive integer"), ({"k": [5, "ten"]}, "k: "),
     ({"head_fraction": 1.0}, "head_fraction"), ({"max_users": 0}, "max_users"),
     ({"batch_users": 0}, "batch_users")],
)
def test_bad_options_fail_before_any_data_is_read(options, message, tmp_path):
    missing = tmp_path / "never_read.csv"
    with pytest.raises(RecipeError, match=message):
        multissl.pretrain("interactions", str(missing), method="lightgcn", recipe={"evaluate": options})


def test_a_run_without_held_out_interactions_is_told_how_to_get_them():
    run = stand_in_run(lambda u, i: 0.0)
    run.modality = Interactions(InteractionsOptions(split="none"))
    frame = pd.DataFrame(TRAIN, columns=["user", "item"])
    run.modality.fit(run.modality.load(frame))
    run.recipe = SimpleNamespace(source=frame)
    with pytest.raises(InvalidDataError, match="data.split=random"):
        Ranking()(run, frame)


def test_sgl_is_compared_with_lightgcn_trained_with_the_same_settings_and_seed(interactions):
    settings = {"max_steps": 2, "batch_size": 16, "embedding_dim": 4, "n_layers": 1, "seed": 3, "trainer.enable_progress_bar": False}
    sgl = multissl.pretrain("interactions", interactions, method="sgl", recipe={"evaluate": {"k": 5}}, **settings)
    lightgcn = multissl.pretrain("interactions", interactions, method="lightgcn", recipe={"evaluate": {"k": 5}}, **settings)
    report, alone = sgl.metrics["evaluation"], lightgcn.metrics["evaluation"]
    assert report["baseline"] == "LightGCN without SSL" and alone["baseline"] == MOST_POPULAR
    for key in ("recall@5", "ndcg@5", "tail/recall@5"):
        assert report[f"baseline/{key}"] == pytest.approx(alone[key])


def test_the_two_tower_baseline_is_the_same_towers_without_ssl(interactions):
    settings = {"max_steps": 1, "batch_size": 16, "embedding_dim": 4, "tower_dims": [8], "n_ssl": 8, "trainer.enable_progress_bar": False}
    run = multissl.pretrain("interactions", interactions, method="two_tower_ssl", recipe={"evaluate": {"k": 5}}, **settings)
    plain = multissl.pretrain("interactions", interactions, method="two_tower_ssl", ssl="none", recipe={"evaluate": {"k": 5}}, **settings)
    assert run.metrics["evaluation"]["baseline"] == "two towers without SSL (ssl: none)"
    assert run.metrics["evaluation"]["baseline/recall@5"] == pytest.approx(plain.metrics["evaluation"]["recall@5"])
    assert plain.metrics["evaluation"]["baseline"] == MOST_POPULAR


def test_a_loaded_run_ranks_the_same_held_out_split_as_when_it_was_trained(interactions, tmp_path):
    interactions.to_csv(tmp_path / "log.csv", index=False)
    settings = {"max_steps": 2, "batch_size": 16, "embedding_dim": 4, "trainer.enable_progress_bar": False}
    run = multissl.pretrain("interactions", str(tmp_path / "log.csv"), method="simgcl", recipe={"evaluate": {"k": 5}, "output_dir": str(tmp_path / "run")}, **settings)
    again = multissl.evaluate(multissl.load(tmp_path / "run"))
    for key in ("recall@5", "ndcg@5", "baseline/recall@5", "n_users"):
        assert again[key] == pytest.approx(run.metrics["evaluation"][key]), key
