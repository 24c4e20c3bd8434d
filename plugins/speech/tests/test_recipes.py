"""Every shipped speech recipe runs one training step on a tiny slice of its dataset and reports its probe with
its baseline."""

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
        "tera": {"d_model": 32, "num_layers": 2, "num_heads": 2, "ffn_dim": 64},
        "simclr": {"encoder_options": {"d_model": 16, "num_layers": 1, "num_heads": 2, "ffn_dim": 32}}}
SLICES = {
    # 2 speakers x 3 digits x recordings 0, 1 (test) and 5, 6, 7 (train): 12 test clips
    "fsdd": ([f"fsdd/recordings/{d}_{s}_{i}.wav" for s in ("george", "jackson") for d in range(3) for i in (0, 1, 5, 6, 7)], 12),
}


def data_root_with_slice(dataset: str, speech_data: Path, root: Path) -> Path:
    """A data root whose speech/<dataset> holds links to a few of the shared recordings."""
    for relative in SLICES[dataset][0]:
        target = root / "speech" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(speech_data / relative)
    return root


def test_every_recipe_names_a_dataset_and_opens_with_its_command():
    assert RECIPES == ["fsdd_generic", "fsdd_hubert", "fsdd_tera"]
    for name in RECIPES:
        path = resolve_recipe_path(name)
        assert read_recipe(path)["data"]["source"] in SLICES
        assert f"multissl pretrain {name}" in path.read_text().split("\nmodality:")[0]


@pytest.mark.parametrize("name", RECIPES)
def test_the_recipe_runs_one_step_and_reports_its_probe(name, speech_data, tmp_path):
    path = resolve_recipe_path(name)
    recipe = read_recipe(path)
    dataset, n_test = recipe["data"]["source"], SLICES[recipe["data"]["source"]][1]
    for relative in SLICES[dataset][0]:
        if not (speech_data / relative).is_file():
            pytest.skip(f"{speech_data / relative} is absent")
    root = data_root_with_slice(dataset, speech_data, tmp_path / "root")
    overrides = {"data.root": str(root), "data.max_seconds": 2.0, "trainer.max_steps": 1,
                 "trainer.enable_progress_bar": False, "evaluate.probe_steps": 5,
                 **{f"method.{k}": v for k, v in TINY[recipe["method"]["name"]].items()}}
    run = multissl.pretrain(recipe=path, **overrides)
    labels = recipe["evaluate"]["labels"]
    expected = {f"{prefix}speech_probe/{label}/accuracy" for label in ([labels] if isinstance(labels, str) else labels)
                for prefix in ("", "baseline/")}
    assert run.metrics["train"]["steps"] == 1
    assert expected | {"baseline"} <= set(run.metrics["evaluation"]) and run.metrics["evaluation"]["n_test_clips"] == n_test


def test_fsdd_hubert_trains_iteration_2_from_its_saved_run(speech_data, tmp_path):
    root = data_root_with_slice("fsdd", speech_data, tmp_path / "root")
    overrides = {"data.root": str(root), "data.max_seconds": 2.0, "trainer.max_steps": 1, "trainer.enable_progress_bar": False,
                 "evaluate.probe_steps": 5, **{f"method.{k}": v for k, v in TINY["hubert"].items()}}
    first = multissl.pretrain(recipe=resolve_recipe_path("fsdd_hubert"), **overrides, output_dir=str(tmp_path / "it1"))
    second = multissl.pretrain(recipe=resolve_recipe_path("fsdd_hubert"), **overrides, **{"method.teacher": str(first.path)})
    assert second.method.codebook.shape == (4, TINY["hubert"]["hidden_size"])  # codes of the teacher's hidden states
    assert "speech_probe/digit/accuracy" in second.metrics["evaluation"]
