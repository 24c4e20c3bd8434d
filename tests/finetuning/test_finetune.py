"""Fine-tuning: predictions, frozen and from-scratch encoders, save/load, the CLI, the evaluator, and bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import multissl
from multissl.cli import main
from multissl.errors import InvalidDataError, RecipeError

sys.path.insert(0, str(Path(__file__).parents[1]))
import tiny  # noqa: E402


def clusters(rows: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated Gaussian clusters in 6 dimensions and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, rows)
    centres = rng.normal(size=(3, 6)) * 4
    return (centres[labels] + rng.normal(size=(rows, 6))).astype("float32"), labels


@pytest.fixture(scope="module")
def run():
    x, _ = clusters()
    return multissl.pretrain("vectors", x, method="simclr", max_epochs=1, batch_size=32, **tiny.OVERRIDES)


def encoder_weights(module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_finetuned_run_predicts_the_classes_and_survives_save_and_load(run, tmp_path):
    x, y = clusters()
    names = np.array(["a", "b", "c"])[y]
    tuned = multissl.finetune(run, x, names, epochs=20, lr=1e-2)
    assert tuned.classes == ["a", "b", "c"]
    predicted = tuned.predict(x)
    assert (predicted == names).mean() > 0.9
    assert tuned.predict_proba(x).shape == (120, 3)
    assert not torch.equal(encoder_weights(tuned.method), encoder_weights(run.method))  # the encoder trained too
    tuned.save(tmp_path / "tuned")
    back = multissl.load(tmp_path / "tuned")
    assert isinstance(back, multissl.finetuning.FineTunedRun)
    np.testing.assert_array_equal(back.predict(x), predicted)
    np.testing.assert_array_equal(back.embed(x), tuned.embed(x))


def test_freeze_trains_the_head_only_and_from_scratch_starts_from_a_new_encoder(run):
    x, y = clusters()
    frozen = multissl.finetune(run, x, y, epochs=2, freeze=True)
    assert torch.equal(encoder_weights(frozen.method), encoder_weights(run.method))
    scratch = multissl.finetune(run, x, y, epochs=1, from_scratch=True, lr=1e-9)
    assert not torch.allclose(encoder_weights(scratch.method), encoder_weights(run.method), atol=1e-4)


def test_regression_predicts_values_on_the_target_scale(run):
    x, _ = clusters()
    target = 100.0 + 10.0 * x[:, 0]
    tuned = multissl.finetune(run, x, target, task="regression", epochs=30, lr=1e-2)
    predicted = tuned.predict(x)
    assert predicted.dtype.kind == "f" and predicted.shape == (120,)
    assert np.corrcoef(predicted, target)[0, 1] > 0.8


def test_labels_from_a_column_and_from_the_command_line(run, tmp_path):
    x, y = clusters()
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(6)]).assign(kind=y)
    frame.to_csv(tmp_path / "rows.csv", index=False)
    run.save(tmp_path / "run")
    argv = ["finetune", str(tmp_path / "run"), "--data", str(tmp_path / "rows.csv"), "--labels", "kind", "--epochs", "2",
            "-o", str(tmp_path / "tuned")]
    assert main(argv) == 0
    back = multissl.load(tmp_path / "tuned")
    assert set(back.predict(frame.drop(columns="kind"))) <= {0, 1, 2}
    assert back.metrics["finetune"]["n_train"] + back.metrics["finetune"]["n_val"] == 120
    no_table = ["finetune", str(tmp_path / "run"), "--data", str(tmp_path / "rows.csv"), "--labels", "kind", "--what", "items",
                "-o", str(tmp_path / "items")]
    assert main(no_table) == 2 and not (tmp_path / "items").exists()  # vectors have no table of items


def test_bad_labels_are_clear_errors_before_training(run):
    x, y = clusters()
    with pytest.raises(InvalidDataError, match="needs labels"):
        multissl.finetune(run, x)
    with pytest.raises(InvalidDataError, match="119 labels for 120 samples"):
        multissl.finetune(run, x, y[:-1])
    with pytest.raises(InvalidDataError, match="missing values"):
        multissl.finetune(run, x, np.where(np.arange(120) == 5, np.nan, y.astype(float)), task="regression")
    with pytest.raises(InvalidDataError, match="is not in this data"):
        multissl.finetune(run, x, "nope")
    with pytest.raises(RecipeError, match="task must be"):
        multissl.finetune(run, x, y, task="ranking")


def test_a_modality_that_is_not_one_sample_per_label_is_refused(run, monkeypatch):
    x, y = clusters()
    one_item = lambda self, raw: [self.transform(raw)]  # noqa: E731 - one item holding every sample, as a full-batch graph
    monkeypatch.setattr(type(run.modality), "dataset", one_item)
    monkeypatch.setattr(type(run.modality), "collate", lambda self, items: {"x": items[0]})
    with pytest.raises(InvalidDataError, match="120 labels for 1 samples"):
        multissl.finetune(run, x, y)


def test_finetune_evaluator_reports_frozen_finetuned_and_from_scratch(run):
    x, y = clusters()
    report = multissl.evaluate(run, data=x, labels=y, evaluators="finetune", label_fraction=0.5, finetune_epochs=2)
    for key in ("finetune/accuracy", "finetune_frozen/accuracy", "baseline/finetune/accuracy", "baseline/finetune_frozen/accuracy"):
        assert 0.0 <= report[key] <= 1.0
    assert report["baseline"] == "same encoder from scratch"
    assert report["finetune/n_test"] == 24 and 40 <= report["finetune/n_labelled"] <= 56
