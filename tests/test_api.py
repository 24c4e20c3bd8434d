"""The public API end to end on the vectors modality: pretrain, embed, save, load, evaluate, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import multissl
from multissl.plugins import registry
from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError, RunDirectoryError


@pytest.fixture(scope="module")
def trained_run():
    return multissl.pretrain(
        "vectors", "wine", method="vicreg", max_epochs=2, batch_size=32,
        **{"data.label_column": "target", "trainer.enable_progress_bar": False},
    )


def test_pretrain_embed_shape_and_run_metrics(trained_run):
    embeddings = trained_run.embed("wine")
    assert embeddings.shape == (178, trained_run.method.encoder.output_dim) and embeddings.dtype == np.float32
    assert np.isfinite(embeddings).all()
    assert trained_run.metrics["train"]["epochs"] == 2
    assert np.isfinite(trained_run.metrics["train"]["train/loss_epoch"])


def test_save_then_load_embeds_identically(trained_run, tmp_path):
    before = trained_run.embed("wine")
    trained_run.save(tmp_path / "run")
    for name in ("run.json", "recipe.yaml", "weights.safetensors", "preprocessing.json", "metrics.json", "checkpoints/last.ckpt"):
        assert (tmp_path / "run" / name).is_file(), name
    loaded = multissl.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.embed("wine"), before)
    assert loaded.recipe.to_dict()["method"] == trained_run.recipe.to_dict()["method"]


def test_save_refuses_to_overwrite_unless_asked(trained_run, tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    with pytest.raises(RunDirectoryError, match="overwrite=True"):
        trained_run.save(target)
    assert (target / "precious.txt").read_text() == "keep me"
    with pytest.raises(RunDirectoryError, match="not a run directory"):
        trained_run.save(target, overwrite=True)
    assert (target / "precious.txt").read_text() == "keep me"
    (target / "precious.txt").unlink()
    trained_run.save(target)
    trained_run.save(target, overwrite=True)
    assert (target / "run.json").is_file()


def test_evaluate_reports_probe_knn_rankme_and_the_raw_baseline(trained_run):
    report = multissl.evaluate(trained_run, data="wine", labels="target")
    for key in ("linear_probe/accuracy", "knn_probe/accuracy", "rankme", "baseline/linear_probe/accuracy"):
        assert key in report, key
    assert report["linear_probe/accuracy"] > 0.6, report
    labels = pd.DataFrame(registry().get("dataset", "wine")())["target"].to_numpy()
    by_array = multissl.evaluate(trained_run, data="wine", labels=labels)
    assert by_array["linear_probe/accuracy"] == report["linear_probe/accuracy"]
    with pytest.raises(InvalidDataError, match="one label per sample"):
        multissl.evaluate(trained_run, data="wine", labels=labels[:-1])


def test_embed_takes_the_trained_columns_and_names_missing_ones(trained_run):
    frame = registry().get("dataset", "wine")().drop(columns=["target"])
    shuffled = frame[frame.columns[::-1]].assign(extra=1.0)
    np.testing.assert_array_equal(trained_run.embed(shuffled), trained_run.embed(frame))
    with pytest.raises(InvalidDataError, match=r"are not in the data; the run was trained on 13 columns"):
        trained_run.embed(frame.iloc[:, :5])
    with pytest.raises(InvalidDataError, match="trained on"):
        trained_run.embed(frame.to_numpy()[:, :5])


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (np.zeros((0, 4)), EmptyDataError, "empty"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), NonFiniteDataError, "1 NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), NonFiniteDataError, "1 infinite"),
        (np.zeros((3, 2, 2)), InvalidDataError, "2-D"),
        (pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), InvalidDataError, "tabular"),
        ("no_such_dataset", InvalidDataError, "Registered datasets"),
        ("missing.csv", InvalidDataError, "does not exist"),
    ],
)
def test_bad_data_is_rejected_before_training(data, error, message):
    with pytest.raises(error, match=message):
        multissl.pretrain("vectors", data, method="simclr", max_epochs=1)


def test_load_explains_incomplete_and_newer_run_directories(trained_run, tmp_path):
    trained_run.save(tmp_path / "run")
    (tmp_path / "run" / "weights.safetensors").unlink()
    with pytest.raises(RunDirectoryError, match="incomplete: missing weights.safetensors.*resume"):
        multissl.load(tmp_path / "run")
    trained_run.save(tmp_path / "newer")
    info = json.loads((tmp_path / "newer" / "run.json").read_text())
    info["format_version"] = 99
    (tmp_path / "newer" / "run.json").write_text(json.dumps(info))
    with pytest.raises(RunDirectoryError, match="format version 99.*Upgrade multissl"):
        multissl.load(tmp_path / "newer")
    with pytest.raises(RunDirectoryError, match="does not exist"):
        multissl.load(tmp_path / "nowhere")
