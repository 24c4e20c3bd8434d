"""trainer.loggers: csv, tensorboard, wandb (offline) and mlflow (a local file store), each an optional extra;
the learning rate and the RankMe of a fixed sample are logged every epoch."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

import multissl
from multissl.engine import loggers as loggers_module
from multissl.errors import RecipeError

sys.path.insert(0, str(Path(__file__).parent))
from tiny import OVERRIDES, data  # noqa: E402

EPOCHS = 2


def train(tmp_path, names):
    return multissl.pretrain("vectors", data(), method="simclr", max_epochs=EPOCHS, batch_size=32, loggers=names,
                             output_dir=str(tmp_path / "run"), **OVERRIDES)


def test_csv_logs_the_learning_rate_and_rankme_every_epoch(tmp_path):
    run = train(tmp_path, ["csv"])
    frame = pd.read_csv(next((run.path / "logs").glob("version_*/metrics.csv")))
    lr = [c for c in frame.columns if c.startswith("lr-")]
    assert lr and frame[lr[0]].notna().sum() == EPOCHS
    assert frame["collapse/rankme"].notna().sum() == EPOCHS


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None, reason="the tensorboard extra is not installed")
def test_tensorboard_events_hold_the_same_series(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = train(tmp_path, ["tensorboard"])
    events = EventAccumulator(str(next((run.path / "tensorboard").glob("version_*")))).Reload()
    tags = events.Tags()["scalars"]
    assert "collapse/rankme" in tags and any(t.startswith("lr-") for t in tags)
    assert len(events.Scalars("collapse/rankme")) == EPOCHS


@pytest.mark.skipif(importlib.util.find_spec("wandb") is None, reason="the wandb extra is not installed")
def test_wandb_runs_offline_into_the_run_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    run = train(tmp_path, ["wandb"])
    assert list((run.path / "wandb").glob("offline-run-*/run-*.wandb"))


@pytest.mark.skipif(importlib.util.find_spec("mlflow") is None, reason="the mlflow extra is not installed")
def test_mlflow_writes_a_local_file_store(tmp_path):
    run = train(tmp_path, ["mlflow"])
    history = list((run.path / "mlruns").glob("*/*/metrics/collapse/rankme"))
    assert history and len(history[0].read_text().split("\n")) - 1 == EPOCHS


@pytest.mark.parametrize("name", ["tensorboard", "wandb", "mlflow"])
def test_a_missing_extra_is_named_before_training(name, tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(loggers_module.importlib.util, "find_spec", lambda module, *a: None if module == name else real(module, *a))
    with pytest.raises(RecipeError, match=rf"pip install 'multissl\[{name}\]'"):
        train(tmp_path, [name])
    assert not (tmp_path / "run").exists()


def test_an_unknown_logger_is_refused_with_the_choices(tmp_path):
    with pytest.raises(RecipeError, match="csv"):
        train(tmp_path, ["neptune"])
