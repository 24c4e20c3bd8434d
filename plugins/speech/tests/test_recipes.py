"""Every shipped speech recipe runs one training step on a tiny FSDD slice and reports its probe with its baseline."""

from __future__ import annotations

from pathlib import Path

import multissl_speech
import pytest

import multissl
from multissl.api import resolve_recipe_path
from multissl.recipe import read_recipe

RECIPES = sorted(p.stem for p in (Path(multissl_speech.__file__).parent / "recipes").glob("*.yaml"))
TINY = {"hubert": {"hidden_size": 32, "num_layers": 2, "num_heads": 2, "ffn_dim": 64, "conv_dim": [16] * 7,
                   "conv_pos_kernel": 8, "conv_pos_groups": 2, "n_clusters": 4, "final_dim": 16, "teacher_layer": 1},
        "tera": {"d_model": 32, "num_layers": 2, "num_heads": 2, "ffn_dim": 64}}
KEYS = {"speech_probe/digit/accuracy", "baseline/speech_probe/digit/accuracy", "speech_probe/speaker/accuracy",
        "baseline/speech_probe/speaker/accuracy", "baseline"}


@pytest.fixture
def fsdd_slice(speech_data: Path, tmp_path: Path) -> Path:
    """A data root whose speech/fsdd holds 30 of the shared FSDD recordings (2 speakers, 3 digits, both splits)."""
    folder = tmp_path / "root" / "speech" / "fsdd" / "recordings"
    folder.mkdir(parents=True)
    for name in (f"{d}_{s}_{i}.wav" for s in ("george", "jackson") for d in range(3) for i in (0, 1, 5, 6, 7)):
        (folder / name).symlink_to(speech_data / "fsdd" / "recordings" / name)
    return tmp_path / "root"


def test_every_recipe_names_a_dataset_and_opens_with_its_command():
    assert RECIPES == ["fsdd_hubert", "fsdd_hubert_iter2", "fsdd_tera"]
    for name in RECIPES:
        path = resolve_recipe_path(name)
        assert read_recipe(path)["data"]["source"] == "fsdd"
        assert f"multissl pretrain {name}" in path.read_text().split("\nmodality:")[0]


@pytest.mark.parametrize("name", RECIPES)
def test_the_recipe_runs_one_step_and_reports_its_probe(name, fsdd_slice, tmp_path):
    path = resolve_recipe_path(name)
    method = read_recipe(path)["method"]["name"]
    overrides = {"data.root": str(fsdd_slice), "trainer.max_steps": 1, "trainer.enable_progress_bar": False,
                 "evaluate.probe_steps": 5, **{f"method.{k}": v for k, v in TINY[method].items()}}
    if name.endswith("iter2"):
        teacher = multissl.pretrain(recipe=resolve_recipe_path("fsdd_hubert"), **overrides,
                                    output_dir=str(tmp_path / "teacher"))
        overrides["method.teacher"] = str(teacher.path)
    run = multissl.pretrain(recipe=path, **overrides)
    assert run.metrics["train"]["steps"] == 1
    assert KEYS <= set(run.metrics["evaluation"]) and run.metrics["evaluation"]["n_test_clips"] == 12
