"""Every shipped graph recipe runs for one training step on the shared data and its evaluation gives the metric keys
with their baseline (skipped without ../shared/datasets); the defaults the modalities name."""

from pathlib import Path

import pytest

import multissl
from multissl.api import resolve_recipe_path
from multissl.plugins import registry
from multissl.recipe import read_recipe

SHARED_DATASETS = Path(__file__).resolve().parents[3].parent / "shared" / "datasets"
RECIPES = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "multissl_graph" / "recipes").glob("*.yaml"))
ONE_STEP = {"trainer.max_epochs": 1, "trainer.enable_progress_bar": False}
SEENET_ONE_STEP = {"method.pretrain_epochs": 1, "method.train_epochs": 1, "method.hidden_dim": 8, "trainer.max_epochs": 2}
KEYS = {
    "graph": {"node_classification/accuracy", "node_classification/validation_accuracy", "baseline/node_classification/accuracy"},
    "temporal_relations": {"mrr@10", "hits@10", "baseline/mrr@10", "baseline/hits@10"},
}


def test_every_registered_method_has_a_recipe():
    methods = {c.name for c in registry().entries("method") if c.plugin == "graph"}  # the core's generic ones: cora_generic
    assert methods <= {read_recipe(resolve_recipe_path(name))["method"]["name"] for name in RECIPES}


def test_the_modalities_name_their_default_method_and_evaluator():
    assert registry().default_method("graph") == "pairwise_distance"
    assert registry().default_method("temporal_relations") == "seenet"
    assert registry().default_evaluators("graph") == ["node_classification"]
    assert registry().default_evaluators("temporal_relations") == ["relation_ranking"]


@pytest.mark.skipif(not SHARED_DATASETS.exists(), reason=f"the shared datasets are not at {SHARED_DATASETS}")
@pytest.mark.parametrize("name", RECIPES)
def test_each_recipe_runs_one_step_and_reports_its_metrics_with_a_baseline(name, tmp_path):
    recipe = read_recipe(resolve_recipe_path(name))
    overrides = {**ONE_STEP, **(SEENET_ONE_STEP if recipe["modality"] == "temporal_relations" else {})}
    if recipe["modality"] == "temporal_relations":
        overrides["data.path_cache"] = str(tmp_path)
    run = multissl.pretrain(recipe=resolve_recipe_path(name), **overrides, **{"data.root": str(SHARED_DATASETS), "output_dir": None})
    report = run.metrics["evaluation"]
    assert KEYS[recipe["modality"]] <= set(report) and report["baseline"]
    assert all(0.0 <= report[key] <= 1.0 for key in KEYS[recipe["modality"]])
