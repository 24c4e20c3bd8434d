"""The command line: pretrain, embed, evaluate, methods, recipes, and errors as messages with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import multissl
from multissl.cli import main


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    code = main([
        "pretrain", "breast_cancer_simclr", "--set", "trainer.max_epochs=1", "trainer.enable_progress_bar=false",
        f"output_dir={out}",
    ])
    assert code == 0
    return out


def test_pretrain_saves_the_run_with_its_evaluation(saved_run):
    assert (saved_run / "run.json").is_file()
    assert "evaluation" in multissl.load(saved_run).metrics


def test_embed_writes_npy_and_parquet_identical_to_the_api(saved_run, tmp_path):
    frame = multissl.load(saved_run).modality.columns
    data = pd.DataFrame(np.random.default_rng(0).normal(size=(12, len(frame))), columns=frame)
    data.to_csv(tmp_path / "rows.csv", index=False)
    assert main(["embed", str(saved_run), str(tmp_path / "rows.csv"), "-o", str(tmp_path / "z.npy")]) == 0
    assert main(["embed", str(saved_run), str(tmp_path / "rows.csv"), "-o", str(tmp_path / "z.parquet")]) == 0
    expected = multissl.load(saved_run).embed(data)
    np.testing.assert_array_equal(np.load(tmp_path / "z.npy"), expected)
    written = pd.read_parquet(tmp_path / "z.parquet")
    assert list(written.columns[:2]) == ["id", "e0"] and written["id"].tolist() == list(range(12))
    np.testing.assert_array_equal(written.drop(columns="id").to_numpy(), expected)


def test_evaluate_prints_json_with_the_raw_baseline(saved_run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(saved_run), "--data", "breast_cancer", "--labels", "target", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["linear_probe/accuracy"] > 0.8 and "baseline/linear_probe/accuracy" in report


def test_evaluate_runs_only_the_named_evaluators(saved_run, capsys):
    capsys.readouterr()
    argv = ["evaluate", str(saved_run), "--data", "breast_cancer", "--evaluators", "probe", "--set", "probes=[rankme]", "--json"]
    assert main(argv) == 0
    assert {key for key in json.loads(capsys.readouterr().out) if "/" in key or key == "rankme"} == {"rankme", "baseline/rankme"}
    assert main(argv[:4] + ["--evaluators", "prob"]) == 2
    assert "Did you mean 'probe'" in capsys.readouterr().err
    assert main(argv[:4] + ["--set", "probes=[knn_prob]"]) == 2
    assert "knn_probe" in capsys.readouterr().err


def test_methods_and_recipes_list_what_is_registered(capsys):
    assert main(["methods", "--modality", "vectors", "--json"]) == 0
    assert {"simclr", "vicreg", "barlow_twins"} <= {row["name"] for row in json.loads(capsys.readouterr().out)}
    assert main(["recipes"]) == 0
    assert "breast_cancer_simclr" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pretrain", "no_such_recipe"], "No recipe file 'no_such_recipe'"),
        (["pretrain", "breast_cancer_simclr", "--set", "trainer.max_epoch=1"], "Did you mean 'max_epochs'"),
        (["methods", "--modality", "vectr"], "Did you mean 'vectors'"),
        (["evaluate", "does/not/exist", "--labels", "target"], "does not exist"),
    ],
)
def test_errors_are_one_clear_message_and_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_repeated_set_flags_all_count():
    from multissl.cli import _parser

    args = _parser().parse_args(["pretrain", "r.yaml", "--set", "a=1", "--set", "b=2", "c=3"])
    assert args.set == ["a=1", "b=2", "c=3"]


def test_a_rerun_of_pretrain_gets_a_fresh_default_output_dir(tmp_path, monkeypatch):
    from multissl.cli import _fresh_run_dir

    monkeypatch.chdir(tmp_path)
    base = tmp_path / "runs" / "recipe"
    assert _fresh_run_dir(base) == base
    base.mkdir(parents=True)
    assert _fresh_run_dir(base) == base  # an empty directory is reused
    (base / "recipe.yaml").write_text("x")
    assert _fresh_run_dir(base) == base.with_name("recipe-2")
    (tmp_path / "runs" / "recipe-2").mkdir()
    (tmp_path / "runs" / "recipe-2" / "f").write_text("x")
    assert _fresh_run_dir(base) == base.with_name("recipe-3")
