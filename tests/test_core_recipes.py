"""Each recipe the core ships trains one step and its evaluation reports every metric with its baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

import multissl
from multissl.api import run_recipe
from multissl.recipe import apply_overrides, read_recipe

CORE_RECIPES = sorted((Path(multissl.__file__).parent / "recipes").glob("*.yaml"))
PROBE_RECIPES = [p for p in CORE_RECIPES if (read_recipe(p).get("evaluate") or {}).get("evaluators", ["probe"]) == ["probe"]]
"""The recipes evaluated by the probe (the others, e.g. fine-tuning, are tested with their evaluator)."""
METRICS = [
    f"{probe}/{metric}"
    for probe in ("linear_probe@1%", "linear_probe@10%", "linear_probe", "knn_probe")
    for metric in ("accuracy", "macro_f1")
] + ["rankme"]


@pytest.mark.parametrize("path", PROBE_RECIPES, ids=[p.stem for p in PROBE_RECIPES])
def test_a_core_recipe_trains_one_step_and_reports_each_metric_with_its_baseline(path):
    raw = apply_overrides(read_recipe(path), ["trainer.max_steps=1", "trainer.enable_progress_bar=false"])
    raw.pop("output_dir", None)
    report = run_recipe(raw).metrics["evaluation"]
    assert report["baseline"] == "raw features"
    for metric in METRICS:
        assert 0.0 <= report[metric] <= (1.0 if metric != "rankme" else report["n_test"])  # RankMe <= min(N, D)
        assert f"baseline/{metric}" in report


def test_the_fine_tuning_recipe_reports_fine_tuned_and_frozen_next_to_from_scratch():
    path = Path(multissl.__file__).parent / "recipes" / "digits_simclr_finetune.yaml"
    raw = apply_overrides(read_recipe(path), ["trainer.max_steps=1", "trainer.enable_progress_bar=false", "evaluate.finetune_epochs=1"])
    report = run_recipe(raw).metrics["evaluation"]
    for metric in ("accuracy", "macro_f1"):
        for key in (f"finetune/{metric}", f"finetune_frozen/{metric}", f"baseline/finetune/{metric}"):
            assert 0.0 <= report[key] <= 1.0, key
