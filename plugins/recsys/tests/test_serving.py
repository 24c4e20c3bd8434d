"""Serving: user and item embedding tables with the data's ids, top-K unseen items per user, and their CLI commands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from multissl_recsys.evaluation import embeddings_of

import multissl
from multissl.cli import main
from multissl.errors import InvalidDataError, RecipeError

LOG = pd.DataFrame({"user": [7, 7, 7, 8, 8, 9, 9, 9], "item": ["a", "b", "c", "a", "d", "b", "c", "d"]})


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "lightgcn"
    run = multissl.pretrain(
        "interactions", LOG, method="lightgcn", max_steps=2, batch_size=4, embedding_dim=4,
        recipe={"data": {"split": "none"}, "output_dir": str(path), "trainer": {"enable_progress_bar": False}},
    )
    return run, path


def test_tables_hold_every_user_and_item_under_its_own_id(saved):
    run, _ = saved
    users, items = embeddings_of(run.modality, run.method)
    user_table = run.modality.embedding_table(run.method, "users")
    item_table = run.modality.embedding_table(run.method, "items")
    assert user_table.index.tolist() == ["7", "8", "9"] and user_table.index.name == "id"
    assert item_table.index.tolist() == ["a", "b", "c", "d"] and list(item_table.columns) == ["e0", "e1", "e2", "e3"]
    np.testing.assert_array_equal(user_table.to_numpy(), users.numpy())
    np.testing.assert_array_equal(item_table.to_numpy(), items.numpy())
    with pytest.raises(RecipeError, match="'users' or 'items'"):
        run.modality.embedding_table(run.method, "ratings")


def test_row_embeddings_are_indexed_by_user_and_item(saved):
    run, _ = saved
    frame = run.embed(LOG, as_frame=True)
    assert frame.index.names == ["user", "item"] and frame.index.tolist()[:2] == [("7", "a"), ("7", "b")]
    items = run.modality.embedding_table(run.method, "items")
    np.testing.assert_allclose(frame.loc[("8", "d")].to_numpy()[4:], items.loc["d"].to_numpy(), rtol=1e-6)


def test_recommend_ranks_unseen_items_by_score_and_refuses_unknown_users(saved):
    run, _ = saved
    table = run.modality.recommend(run.method, [9, "7"], k=5)
    assert table[table.user == "9"].item.tolist() == ["a"]  # 9 has seen b, c, d: one item is left
    assert table[table.user == "7"].item.tolist() == ["d"]
    users, items = run.modality.embedding_table(run.method, "users"), run.modality.embedding_table(run.method, "items")
    assert table.score.iloc[0] == pytest.approx(float(users.loc["9"] @ items.loc["a"]), rel=1e-5)
    with pytest.raises(InvalidDataError, match="'stranger'"):
        run.modality.recommend(run.method, ["7", "stranger"], k=2)
    cold = run.modality.recommend(run.method, ["stranger"], k=2, unknown_users="popular")
    assert cold.cold_start.all() and len(cold) == 2
    with pytest.raises(RecipeError, match="k must"):
        run.modality.recommend(run.method, ["7"], k=0)
    with pytest.raises(InvalidDataError, match="no users"):
        run.modality.recommend(run.method, [], k=1)


def test_cli_writes_the_item_table_with_ids_and_recommends(saved, tmp_path, capsys):
    run, path = saved
    assert main(["embed", str(path), "--what", "items", "-o", str(tmp_path / "items.parquet")]) == 0
    written = pd.read_parquet(tmp_path / "items.parquet")
    assert written["id"].tolist() == ["a", "b", "c", "d"]
    np.testing.assert_allclose(written.drop(columns="id").to_numpy(), run.modality.embedding_table(run.method, "items").to_numpy())
    assert main(["recommend", str(path), "--users", "7", "8", "-k", "20", "-o", str(tmp_path / "top.csv")]) == 0
    top = pd.read_csv(tmp_path / "top.csv", dtype={"user": str})
    assert top.groupby("user").item.apply(list).to_dict() == {"7": ["d"], "8": top[top.user == "8"].item.tolist()}
    assert set(top[top.user == "8"].item) == {"b", "c"}
    assert main(["recommend", str(path), "--users", "stranger"]) == 2
    assert "stranger" in capsys.readouterr().err
    assert main(["embed", str(path), "-o", str(tmp_path / "x.csv")]) == 2  # neither data nor --what
