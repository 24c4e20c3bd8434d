"""What the engine guarantees around a run: resume keeps metrics, logs are kept, bad output dirs and changed
models fail before training, the trained run is saved before evaluation."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import multissl
from multissl import api
from multissl.errors import RunDirectoryError

sys.path.insert(0, str(Path(__file__).parent))
import tiny  # noqa: E402


def pretrain(out, **overrides):
    return multissl.pretrain("vectors", tiny.data(), method="simclr", batch_size=32, output_dir=str(out), **{**tiny.OVERRIDES, **overrides})


def test_resume_of_a_finished_run_keeps_its_training_metrics(tmp_path):
    pretrain(tmp_path / "run", max_epochs=2)
    before = json.loads((tmp_path / "run" / "metrics.json").read_text())["train"]
    pretrain(tmp_path / "run", max_epochs=2, resume="last")
    after = json.loads((tmp_path / "run" / "metrics.json").read_text())["train"]
    assert after["train/loss_epoch"] == before["train/loss_epoch"]
    assert after["epochs"] == before["epochs"] == 2


def test_resume_after_a_model_change_names_the_mismatch(tmp_path):
    pretrain(tmp_path / "run", max_epochs=1)
    saved = (tmp_path / "run" / "weights.safetensors").read_bytes()
    with pytest.raises(RunDirectoryError, match="does not match the recipe's model.*encoder"):
        pretrain(tmp_path / "run", max_epochs=2, resume="last", **{"method.encoder_options": {"hidden_dims": [32], "output_dim": 8}})
    assert (tmp_path / "run" / "weights.safetensors").read_bytes() == saved


def test_tensorboard_logs_are_kept_in_the_run_directory(tmp_path):
    pytest.importorskip("tensorboard")
    pretrain(tmp_path / "run", max_epochs=1, **{"trainer.loggers": ["csv", "tensorboard"]})
    events = list((tmp_path / "run" / "tensorboard").rglob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0
    assert multissl.load(tmp_path / "run").embed(tiny.data()).shape == (64, 8)


def test_tensorboard_event_files_are_copied_into_the_saved_run(tiny_run, tmp_path):
    events = tmp_path / "work" / "tensorboard" / "version_0" / "events.out.tfevents.1.host"
    events.parent.mkdir(parents=True)
    events.write_bytes(b"event")
    tiny_run.work_dir = tmp_path / "work"
    tiny_run.save(tmp_path / "run")
    assert (tmp_path / "run" / "tensorboard" / "version_0" / events.name).read_bytes() == b"event"


def test_an_output_dir_under_a_file_fails_before_training(tmp_path):
    (tmp_path / "file.txt").write_text("not a directory")
    with pytest.raises(RunDirectoryError, match="cannot be written"):
        pretrain(tmp_path / "file.txt" / "run", max_epochs=1)


def test_a_method_refusing_its_batches_fails_before_training(tmp_path, monkeypatch):
    from lightning.pytorch.callbacks import Callback

    from multissl.errors import RecipeError
    from multissl.methods.two_view import SimCLR

    seen = []

    def refuse(self, loader):
        seen.append(len(loader))
        raise RecipeError("these batches will not do")

    class CountSteps(Callback):
        steps = 0

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            CountSteps.steps += 1

    monkeypatch.setattr(SimCLR, "check_batches", refuse)
    with pytest.raises(RecipeError, match="these batches will not do"):
        pretrain(tmp_path / "run", max_epochs=1, callbacks=[CountSteps()])
    assert seen == [2] and CountSteps.steps == 0 and not (tmp_path / "run").exists()  # 64 rows in batches of 32


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_output_dir_fails_before_training(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(RunDirectoryError, match="cannot be written"):
            pretrain(locked / "run", max_epochs=1)
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_the_write_probe_leaves_nothing_behind(tmp_path):
    from multissl.engine.trainer import check_writable

    check_writable(tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_evaluation_leaves_the_trained_run_saved(tmp_path, monkeypatch):
    frame = pd.DataFrame(tiny.data(), columns=[f"c{i}" for i in range(6)]).assign(y=np.arange(64) % 2)

    def broken(*args, **kwargs):
        raise RuntimeError("evaluation broke")

    monkeypatch.setattr(api, "run_evaluators" if hasattr(api, "run_evaluators") else "evaluate", broken)
    with pytest.raises(RuntimeError, match="evaluation broke"):
        multissl.pretrain(
            "vectors", frame, method="simclr", batch_size=32, max_epochs=1, output_dir=str(tmp_path / "run"),
            evaluate={"labels": "y"}, **{**tiny.OVERRIDES, "data.label_column": "y"},
        )
    run = multissl.load(tmp_path / "run")
    assert run.metrics["train"]["epochs"] == 1 and torch.isfinite(torch.tensor(run.embed(frame))).all()


def test_the_last_checkpoint_is_written_when_validation_runs_only_every_few_epochs(tmp_path):
    run = multissl.pretrain("vectors", tiny.data(), method="simclr", max_epochs=2, batch_size=16, output_dir=str(tmp_path / "run"),
                            **{"loader.val_fraction": 0.25, "trainer.check_val_every_n_epoch": 5}, **tiny.OVERRIDES)
    assert run.metrics["train"]["epochs"] == 2 and (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()
