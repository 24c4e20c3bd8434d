"""Every shipped recsys recipe runs one training step on a slice of its dataset and reports the ranking metrics with
their baseline (skipped where ../shared/datasets is absent)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from multissl.api import resolve_recipe_path, run_recipe
from multissl.recipe import apply_overrides, read_recipe

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "datasets" / "recsys"
SMALL_MODEL = {
    "two_tower_ssl": ["method.embedding_dim=4", "method.tower_dims=[8]", "method.n_ssl=8"],
    "graph": ["method.embedding_dim=4"],
    "generic": [],  # the encoder the interactions modality names for simclr (dimension 32) is small already
}
BASELINES = {
    "two_tower_ssl": "two towers without SSL (ssl: none)",
    "lightgcn": "most-popular items",
    "sgl": "LightGCN without SSL",
    "simgcl": "LightGCN without SSL",
    "simclr": "most-popular items",
}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    """A data root holding the first 20 users of MovieLens (all movies and tags) and 40 users of Gowalla."""
    if not (SHARED / "ml-latest-small" / "ratings.csv").is_file() or not (SHARED / "lightgcn_gowalla" / "train.txt").is_file():
        pytest.skip(f"the shared recsys datasets are absent ({SHARED})")
    root = tmp_path_factory.mktemp("data")
    movielens = root / "recsys" / "ml-latest-small"
    movielens.mkdir(parents=True)
    for name in ("movies.csv", "tags.csv"):
        shutil.copy(SHARED / "ml-latest-small" / name, movielens / name)
    lines = (SHARED / "ml-latest-small" / "ratings.csv").read_text().splitlines()
    header, rows = lines[0], [line for line in lines[1:] if int(line.split(",")[0]) <= 20]
    (movielens / "ratings.csv").write_text("\n".join([header, *rows]) + "\n")
    gowalla = root / "recsys" / "lightgcn_gowalla"
    gowalla.mkdir(parents=True)
    for name in ("train.txt", "test.txt"):
        (gowalla / name).write_text("\n".join((SHARED / "lightgcn_gowalla" / name).read_text().splitlines()[:40]) + "\n")
    return root


@pytest.mark.parametrize(
    "name",
    ["movielens_two_tower_ssl", "movielens_lightgcn", "movielens_sgl", "movielens_simgcl", "gowalla_lightgcn", "gowalla_sgl", "gowalla_simgcl",
     "movielens_generic"],
)
def test_recipe_runs_one_step_and_reports_ranking_against_its_baseline(name, data_root):
    raw = read_recipe(resolve_recipe_path(name))
    method = raw["method"]["name"]
    overrides = [f"data.root={data_root}", "trainer.max_steps=1", "trainer.enable_progress_bar=false", "loader.batch_size=64",
                 *SMALL_MODEL[method if method == "two_tower_ssl" else "generic" if method == "simclr" else "graph"]]
    run = run_recipe(apply_overrides(raw, overrides))
    report = run.metrics["evaluation"]
    for key in ("recall@10", "ndcg@10", "recall@20", "ndcg@20", "tail/recall@20", "tail/ndcg@20"):
        assert 0.0 <= report[key] <= 1.0 and 0.0 <= report[f"baseline/{key}"] <= 1.0, key
    assert report["baseline"] == BASELINES[method]
    assert report["n_users"] > 0 and report["n_skipped"] == 0
