"""Every shipped tabular recipe runs one training step on a slice of its dataset and reports the MLP head's metrics
with their raw-features baseline (skipped where ../shared/datasets is absent)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from multissl.api import resolve_recipe_path, run_recipe
from multissl.recipe import apply_overrides, read_recipe

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "tabular"
RECIPES_DIR = Path(__file__).resolve().parents[1] / "multissl_tabular" / "recipes"
SMALL_MODEL = {
    "tjepa": ["method.dim=8", "method.num_layers=1", "method.predictor_dim=4", "method.predictor_layers=1", "method.predictor_ffn_dim=8"],
    "scarf": ["method.dim=8", "method.num_layers=1", "method.ffn_dim=16", "method.projector_dims=[16,8]"],
    "simclr": ["method.encoder_options={dim: 8, num_layers: 1, ffn_dim: 16}", "method.projector_dims=[16,8]"],
}
METRICS = {
    "adult": ["mlp_head/accuracy", "mlp_head/macro_f1"],
    "california_housing": ["mlp_head/rmse", "mlp_head/mae", "mlp_head/r2"],
}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    """A data root holding the first 300 rows of adult and california_housing."""
    files = {name: SHARED / name / f"{name}.parquet" for name in METRICS}
    if not all(path.is_file() for path in files.values()):
        pytest.skip(f"the shared tabular datasets are absent ({SHARED})")
    root = tmp_path_factory.mktemp("data")
    for name, path in files.items():
        (root / "tabular" / name).mkdir(parents=True)
        pd.read_parquet(path).iloc[:300].to_parquet(root / "tabular" / name / path.name)
    return root


def test_every_shipped_recipe_is_tested():
    assert sorted(p.stem for p in RECIPES_DIR.glob("*.yaml")) == sorted(RECIPES)


RECIPES = ["adult_generic", "adult_scarf", "adult_tjepa", "california_housing_scarf", "california_housing_tjepa"]


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_runs_one_step_and_reports_the_mlp_head_against_raw_features(name, data_root, tmp_path):
    raw = read_recipe(resolve_recipe_path(name))
    overrides = [f"data.root={data_root}", "trainer.max_steps=1", "trainer.enable_progress_bar=false", "trainer.loggers=[]",
                 "loader.batch_size=32", "evaluate.head_epochs=2", f"output_dir={tmp_path / 'run'}",
                 *SMALL_MODEL[raw["method"]["name"]]]
    run = run_recipe(apply_overrides(raw, overrides))
    report = run.metrics["evaluation"]
    for key in METRICS[raw["data"]["source"]]:
        assert isinstance(report[key], float) and isinstance(report[f"baseline/{key}"], float), key
    assert report["baseline"] == "raw features"
    assert report["n_train"] + report["n_validation"] + report["n_test"] == 300
