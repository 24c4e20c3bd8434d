"""Bad input to the core: the vectors modality, the recipe layer, the CLI and run directories.

Each case asserts the error type from ``multissl.errors`` (and a phrase of its advice) and that a run saved
before it is byte for byte unchanged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import multissl
from multissl.cli import main as cli
from multissl.errors import (
    EmptyDataError,
    InvalidDataError,
    MultisslError,
    NonFiniteDataError,
    RecipeError,
    RunDirectoryError,
    UnknownComponentError,
)

sys.path.insert(0, str(Path(__file__).parent))
import tiny  # noqa: E402


@pytest.fixture(scope="module")
def saved(tiny_run, tmp_path_factory):
    """A saved run and a snapshot of its bytes."""
    path = tmp_path_factory.mktemp("saved") / "run"
    tiny_run.save(path)
    return path, snapshot(path)


@pytest.fixture
def unchanged(saved):
    """Asserts after the test that the saved run is byte for byte what it was."""
    yield saved[0]
    assert snapshot(saved[0]) == saved[1], "a saved run changed"
    assert multissl.load(saved[0]).embed(tiny.data()).shape == (64, 8)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def frame(**columns):
    base = pd.DataFrame(tiny.data(), columns=[f"c{i}" for i in range(6)])
    return base.assign(**columns)


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def csv_without_header(tmp_path):
    np.savetxt(tmp_path / "rows.csv", tiny.data(), delimiter=",")
    return tmp_path / "rows.csv"


def npz_of_two(tmp_path):
    np.savez(tmp_path / "two.npz", a=tiny.data(), b=tiny.data())
    return tmp_path / "two.npz"


# (data, or a function of tmp_path giving it) -> (error, phrase of the message)
DATA_CASES = {
    "empty array": (np.zeros((0, 5), np.float32), EmptyDataError, "empty"),
    "no feature columns": (pd.DataFrame(index=range(8)), EmptyDataError, "no feature columns"),
    "1-D array": (np.ones(10, np.float32), InvalidDataError, "2-D"),
    "3-D array": (np.ones((4, 3, 2), np.float32), InvalidDataError, "2-D"),
    "strings array": (np.array([["a", "b"], ["c", "d"]]), InvalidDataError, "expects numbers"),
    "NaN": (np.where(np.eye(64, 6) > 0, np.nan, tiny.data()), NonFiniteDataError, "NaN"),
    "infinite": (np.where(np.eye(64, 6) > 0, np.inf, tiny.data()), NonFiniteDataError, "infinite"),
    "float64 beyond float32": (tiny.data().astype(np.float64) * np.array([1, 1, 1, 1, 1, 1e300]), InvalidDataError, "float32 range.*c5|float32 range"),
    "constant rows": (np.ones((64, 6), np.float32), InvalidDataError, "identical"),
    "one row": (tiny.data(rows=1), InvalidDataError, "at least 2"),
    "duplicate column names": (frame().set_axis(["a", "b", "a", "c", "d", "e"], axis=1), InvalidDataError, "more than once"),
    "text column": (frame(city="Paris"), InvalidDataError, "not numeric.*tabular"),
    "unsupported type": ({1, 2, 3}, InvalidDataError, "cannot read a set"),
    "unknown dataset": ("breast_cancr", InvalidDataError, "Did you mean 'breast_cancer'"),
    "missing file": (lambda tmp: tmp / "absent.csv", InvalidDataError, "does not exist"),
    "header-less CSV": (csv_without_header, InvalidDataError, "no header"),
    "corrupt Parquet": (lambda tmp: write(tmp, "bad.parquet", b"PAR1 not really"), InvalidDataError, "bad.parquet"),
    "corrupt npy": (lambda tmp: write(tmp, "bad.npy", b"\x93NUMPY garbage"), InvalidDataError, "bad.npy"),
    "npz with two arrays": (npz_of_two, InvalidDataError, "exactly one"),
}


@pytest.mark.parametrize("case", sorted(DATA_CASES))
def test_bad_vectors_data(case, unchanged, tmp_path):
    data, error, phrase = DATA_CASES[case]
    data = data(tmp_path) if callable(data) else data
    with pytest.raises(error, match=phrase) as raised:
        multissl.pretrain("vectors", data, method="simclr", max_epochs=1, batch_size=32, output_dir=str(tmp_path / "out"), **tiny.OVERRIDES)
    if case == "float64 beyond float32":
        assert not isinstance(raised.value, NonFiniteDataError)
    assert not (tmp_path / "out" / "run.json").exists()


def test_a_missing_label_column_is_named(unchanged):
    with pytest.raises(InvalidDataError, match="Label column 'target'.*not in the data"):
        multissl.pretrain("vectors", frame(), method="simclr", max_epochs=1, label_column="target", **tiny.OVERRIDES)


def test_a_numeric_header_by_position_is_a_header(tmp_path):
    pd.DataFrame(tiny.data(), columns=[str(i) for i in range(6)]).to_csv(tmp_path / "positional.csv", index=False)
    from multissl.modalities.vectors import Vectors

    assert Vectors().load(tmp_path / "positional.csv").features.shape == (64, 6)


# recipe overrides -> (error, phrase); each is refused before any data is read
RECIPE_CASES = {
    "max_epochs=0": ({"max_epochs": 0}, RecipeError, "max_epochs must be at least 1"),
    "max_epochs=-5": ({"max_epochs": -5}, RecipeError, "max_epochs must be at least 1"),
    "max_epochs=-1 alone": ({"max_epochs": -1}, RecipeError, "needs max_steps or max_time"),
    "max_steps=0": ({"trainer.max_steps": 0}, RecipeError, "max_steps must be at least 1"),
    "limit_train_batches=0": ({"trainer.limit_train_batches": 0}, RecipeError, "limit_train_batches as a count"),
    "limit_train_batches=1.5": ({"trainer.limit_train_batches": 1.5}, RecipeError, r"fraction must be in \(0, 1\]"),
    "accumulate_grad_batches=0": ({"trainer.accumulate_grad_batches": 0}, RecipeError, "accumulate_grad_batches must be at least 1"),
    "devices=0": ({"trainer.devices": 0}, RecipeError, "devices must be at least 1"),
    "devices='0'": ({"trainer.devices": "0"}, RecipeError, "devices must be 'auto'"),
    "devices=[]": ({"trainer.devices": []}, RecipeError, "device indices"),
    "precision=17": ({"trainer.precision": "17"}, RecipeError, "precision must be one of"),
    "max_time words": ({"trainer.max_time": "two hours"}, RecipeError, "DD:HH:MM:SS"),
    "max_time short": ({"trainer.max_time": "01:00:00"}, RecipeError, "DD:HH:MM:SS"),
    "gradient_clip_val<0": ({"trainer.gradient_clip_val": -1.0}, RecipeError, "gradient_clip_val must be non-negative"),
    "log_every_n_steps=0": ({"trainer.log_every_n_steps": 0}, RecipeError, "log_every_n_steps must be at least 1"),
    "unknown trainer key": ({"trainer.max_epoch": 3}, RecipeError, "max_epochs"),
    "unknown option": ({"max_epoch": 3}, RecipeError, "Did you mean 'max_epochs'"),
    "wrong type": ({"max_epochs": "five"}, RecipeError, "max_epochs"),
    "negative lr": ({"lr": -1.0}, RecipeError, "must be positive"),
    "batch_size=0": ({"batch_size": 0}, RecipeError, "batch_size must be at least 1"),
    "val_fraction=1": ({"loader.val_fraction": 1.0}, RecipeError, r"val_fraction must be in \[0, 1\)"),
    "seed not an integer": ({"seed": "x"}, RecipeError, "seed must be an integer"),
    "unknown method": ({"method": "simclrr"}, UnknownComponentError, "Did you mean 'simclr'"),
}


@pytest.mark.parametrize("case", sorted(RECIPE_CASES))
def test_bad_recipe_values_are_refused_before_data_is_read(case, unchanged, monkeypatch):
    overrides, error, phrase = RECIPE_CASES[case]
    from multissl.modalities.vectors import Vectors

    monkeypatch.setattr(Vectors, "load", lambda self, source: pytest.fail("data was read"))
    kwargs = {"method": overrides.pop("method")} if "method" in overrides else {"method": "simclr"}
    with pytest.raises(error, match=phrase):
        multissl.pretrain("vectors", tiny.data(), **kwargs, **{**tiny.OVERRIDES, **overrides})


def test_a_validation_split_of_one_sample_is_refused(unchanged):
    with pytest.raises(RecipeError, match="holds out 1 sample"):
        multissl.pretrain("vectors", tiny.data(rows=12), method="simclr", max_epochs=1, **{**tiny.OVERRIDES, "loader.val_fraction": 0.05})


def test_training_into_a_saved_run_is_refused_and_leaves_it(unchanged):
    with pytest.raises(RunDirectoryError, match="already holds a finished run"):
        multissl.pretrain("vectors", tiny.data(), method="simclr", max_epochs=1, output_dir=str(unchanged), **tiny.OVERRIDES)


def test_resuming_without_a_checkpoint_is_refused(unchanged, tmp_path):
    with pytest.raises(RunDirectoryError, match="does not exist"):
        multissl.pretrain("vectors", tiny.data(), method="simclr", output_dir=str(tmp_path), resume="last", **tiny.OVERRIDES)


def test_an_output_dir_that_cannot_be_created_is_refused(unchanged, tmp_path):
    (tmp_path / "a_file").write_text("")
    with pytest.raises(RunDirectoryError, match="cannot be written"):
        multissl.pretrain("vectors", tiny.data(), method="simclr", output_dir=str(tmp_path / "a_file" / "run"), **tiny.OVERRIDES)


def test_cli_embed_checks_the_output_suffix_before_loading_anything(unchanged, tmp_path, capsys, monkeypatch):
    from multissl import api

    monkeypatch.setattr(api, "load", lambda path: pytest.fail("the run was loaded"))
    assert cli(["embed", str(unchanged), str(tmp_path / "x.npy"), "-o", str(tmp_path / "emb.txt")]) == 2
    assert "must end in .npy, .csv or .parquet" in capsys.readouterr().err
    assert not (tmp_path / "emb.txt").exists()


def test_cli_pretrain_reports_a_bad_trainer_value(unchanged, capsys):
    assert cli(["pretrain", "breast_cancer_simclr", "--set", "trainer.max_epochs=0"]) == 2
    assert "max_epochs must be at least 1" in capsys.readouterr().err


def test_cli_embed_of_a_missing_run(unchanged, tmp_path, capsys):
    assert cli(["embed", str(tmp_path / "nothing"), "x.npy", "-o", str(tmp_path / "e.npy")]) == 2
    assert "does not exist" in capsys.readouterr().err


def interrupted(run: Path) -> None:
    """What a run killed during training leaves: checkpoints, no run files."""
    for path in run.iterdir():
        if path.is_file():
            path.unlink()
    (run / "checkpoints").mkdir(exist_ok=True)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"checkpoint")


RUN_DIRECTORY_CASES = {
    "missing weights": (lambda run: (run / "weights.safetensors").unlink(), "missing weights.safetensors"),
    "truncated weights": (lambda run: (run / "weights.safetensors").write_bytes(b"\x08"), "weights.safetensors is corrupt"),
    "metrics not JSON": (lambda run: (run / "metrics.json").write_text("{"), "metrics.json is corrupt"),
    "run.json not a mapping": (lambda run: (run / "run.json").write_text("3"), "run.json is corrupt"),
    "newer format": (lambda run: (run / "run.json").write_text(json.dumps({"format_version": 99})), "Upgrade multissl"),
    "checkpoints only": (lambda run: interrupted(run), "resume it with `resume: last`"),
}


@pytest.mark.parametrize("case", sorted(RUN_DIRECTORY_CASES))
def test_broken_run_directories_are_named(case, unchanged, tiny_run, tmp_path):
    damage, phrase = RUN_DIRECTORY_CASES[case]
    copy = tmp_path / "copy"
    tiny_run.save(copy)
    damage(copy)
    with pytest.raises(RunDirectoryError, match=phrase):
        multissl.load(copy)


def test_overwriting_a_directory_that_is_not_a_run_is_refused(unchanged, tiny_run, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("x = 1")
    with pytest.raises(RunDirectoryError, match="not a run directory"):
        tiny_run.save(tmp_path, overwrite=True)
    assert (tmp_path / "src" / "app.py").read_text() == "x = 1"


def test_every_error_is_a_multissl_error():
    for error in (EmptyDataError, InvalidDataError, NonFiniteDataError, RecipeError, RunDirectoryError, UnknownComponentError):
        assert issubclass(error, MultisslError)
