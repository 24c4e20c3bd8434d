"""The engine: NaN loss stops training and keeps the last good checkpoint, resume, output-dir safety, DDP."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

import multissl
from multissl.engine.atomic import atomic_directory, atomic_write_text
from multissl.errors import NonFiniteLossError, RecipeError, RunDirectoryError
from multissl.methods.two_view import SimCLR

QUIET = {"trainer.enable_progress_bar": False}


class NanAfterFirstEpoch(SimCLR):
    """SimCLR whose loss turns NaN from the second epoch on."""

    def ssl_loss(self, batch):
        loss, logs = super().ssl_loss(batch)
        return (loss * float("nan") if self.current_epoch >= 1 else loss), logs


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(fresh_plugins, tmp_path):
    fresh_plugins.registry().add_method("nan_after_one", NanAfterFirstEpoch, modalities=["vectors"])
    out = tmp_path / "run"
    with pytest.raises(NonFiniteLossError, match=r"became nan at epoch 1.*last good checkpoint is kept at .*last.ckpt"):
        multissl.pretrain("vectors", "wine", method="nan_after_one", max_epochs=3, batch_size=64, output_dir=str(out), **QUIET)
    checkpoint = torch.load(out / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["epoch"] == 0
    assert all(torch.isfinite(v).all() for v in checkpoint["state_dict"].values() if v.is_floating_point())
    with pytest.raises(RunDirectoryError, match="interrupted run.*resume=last"):
        multissl.pretrain("vectors", "wine", method="simclr", max_epochs=1, output_dir=str(out), **QUIET)


class WorseEveryEpoch(SimCLR):
    """SimCLR whose loss grows with the epoch, so the best checkpoint stays at the first epoch."""

    def ssl_loss(self, batch):
        loss, logs = super().ssl_loss(batch)
        return loss + 10.0 * self.current_epoch, logs


def test_last_checkpoint_is_the_final_epoch_even_when_the_best_is_earlier(fresh_plugins, tmp_path):
    fresh_plugins.registry().add_method("worse_every_epoch", WorseEveryEpoch, modalities=["vectors"])
    out = tmp_path / "run"
    run = multissl.pretrain("vectors", "wine", method="worse_every_epoch", max_epochs=3, batch_size=64, output_dir=str(out), **QUIET)
    assert run.metrics["train"]["epochs"] == 3
    load = lambda name: torch.load(out / "checkpoints" / name, map_location="cpu", weights_only=True)  # noqa: E731
    assert load("last.ckpt")["epoch"] == 2
    assert load("best.ckpt")["epoch"] == 0


def test_resume_continues_from_the_last_checkpoint(tmp_path):
    out = tmp_path / "run"
    first = multissl.pretrain("vectors", "wine", method="simclr", max_epochs=1, batch_size=64, output_dir=str(out), **QUIET)
    steps = first.metrics["train"]["steps"]
    with pytest.raises(RunDirectoryError, match="already holds a finished run"):
        multissl.pretrain("vectors", "wine", method="simclr", max_epochs=2, output_dir=str(out), **QUIET)
    resumed = multissl.pretrain(
        "vectors", "wine", method="simclr", max_epochs=2, batch_size=64, output_dir=str(out), resume="last", **QUIET
    )
    assert resumed.metrics["train"]["epochs"] == 2 and resumed.metrics["train"]["steps"] == 2 * steps
    np.testing.assert_array_equal(multissl.load(out).embed("wine"), resumed.embed("wine"))


def test_best_checkpoint_follows_validation_loss_when_a_split_is_held_out(tmp_path):
    out = tmp_path / "run"
    run = multissl.pretrain(
        "vectors", "wine", method="simclr", max_epochs=2, batch_size=32, val_fraction=0.25, output_dir=str(out), **QUIET
    )
    assert "val/loss" in run.metrics["train"]
    best = torch.load(out / "checkpoints" / "best.ckpt", map_location="cpu", weights_only=False)
    assert "val/loss" in str(best["callbacks"])


def test_atomic_directory_keeps_the_old_content_when_writing_fails(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    atomic_write_text(target / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_directory(target) as staging:
        (staging / "a.txt").write_text("new")
        raise RuntimeError("crash while writing")
    assert (target / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run"], "no staging directory may be left behind"
    with atomic_directory(target) as staging:
        (staging / "a.txt").write_text("new")
    assert (target / "a.txt").read_text() == "new"


def test_cli_pretrain_with_two_cpu_processes_ddp_spawn(tmp_path):
    """`multissl pretrain ... --set trainer.devices=2 trainer.strategy=ddp_spawn` works on CPU."""
    out = tmp_path / "ddp"
    command = [
        sys.executable, "-m", "multissl", "pretrain", "breast_cancer_simclr", "--set",
        "trainer.devices=2", "trainer.strategy=ddp_spawn", "trainer.accelerator=cpu", "trainer.max_epochs=2",
        "trainer.enable_progress_bar=false", "loader.batch_size=64", f"output_dir={out}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "linear_probe" in result.stdout
    run = multissl.load(out)
    assert run.metrics["train"]["epochs"] == 2
    # 569 rows, 2 processes x 64 per batch, drop_last: 4 steps an epoch, not the 8 of one process
    assert run.metrics["train"]["steps"] == 2 * (569 // 2 // 64)
    assert run.embed("breast_cancer").shape == (569, 64)


class ValidationScoreGrowsEachEpoch(SimCLR):
    """SimCLR that logs ``val/score = epoch`` and asks for the best checkpoint on its maximum, restored after fit."""

    trainer_defaults = {"restore_best": True}

    def checkpoint_monitor(self):
        return "val/score", "max"

    def validation_step(self, batch, batch_idx):
        self.log("val/score", float(self.current_epoch), batch_size=1)


def test_method_chooses_the_monitored_metric_and_restore_best_gives_back_its_weights(fresh_plugins, tmp_path):
    fresh_plugins.registry().add_method("score_grows", ValidationScoreGrowsEachEpoch, modalities=["vectors"])
    fresh_plugins.registry().add_method("worse_every_epoch", WorseEveryEpoch, modalities=["vectors"])
    out = tmp_path / "grows"
    run = multissl.pretrain("vectors", "wine", method="score_grows", max_epochs=3, batch_size=64, val_fraction=0.25, output_dir=str(out), **QUIET)
    assert run.recipe.trainer.restore_best is True  # the method's trainer default
    assert torch.load(out / "checkpoints" / "best.ckpt", map_location="cpu", weights_only=True)["epoch"] == 2
    assert run.metrics["train"]["restored_epoch"] == 3
    # the loss grows each epoch: restore_best gives back epoch 1's weights, the default the last epoch's
    restored = multissl.pretrain(
        "vectors", "wine", method="worse_every_epoch", max_epochs=3, batch_size=64, val_fraction=0.25,
        output_dir=str(tmp_path / "restored"), **{**QUIET, "trainer.restore_best": True},
    )
    best = torch.load(tmp_path / "restored" / "checkpoints" / "best.ckpt", map_location="cpu", weights_only=True)
    assert restored.metrics["train"]["restored_epoch"] == best["epoch"] + 1 == 1
    for name, value in restored.method.state_dict().items():
        torch.testing.assert_close(value, best["state_dict"][name])
    last = multissl.pretrain("vectors", "wine", method="worse_every_epoch", max_epochs=3, batch_size=64, val_fraction=0.25, **QUIET)
    assert "restored_epoch" not in last.metrics["train"]


def test_a_modality_can_hold_out_validation_data_its_own_way(fresh_plugins, monkeypatch):
    from multissl.modalities.vectors import Vectors

    seen = {}

    def whole_dataset_twice(self, dataset, val_fraction, seed):
        seen["val_fraction"] = val_fraction
        return dataset, dataset

    monkeypatch.setattr(Vectors, "validation_split", whole_dataset_twice)
    run = multissl.pretrain("vectors", "wine", method="simclr", max_epochs=1, batch_size=64, **QUIET)
    assert seen == {"val_fraction": 0.0} and "val/loss" in run.metrics["train"]


def test_max_time_stops_training_before_max_epochs(tmp_path):
    run = multissl.pretrain("vectors", "wine", method="simclr", max_epochs=100_000, batch_size=16, **{"trainer.max_time": "00:00:00:02"}, **QUIET)
    assert 1 <= run.metrics["train"]["epochs"] < 100_000
    assert run.metrics["train"]["fit_seconds"] < 30


def test_streamed_datasets_cannot_be_split_for_validation():
    from torch.utils.data import IterableDataset

    from multissl.engine.trainer import _split

    class Stream(IterableDataset):
        def __iter__(self):
            yield from range(4)

    stream = Stream()
    assert _split(stream, 0.0, seed=0) == (stream, None)
    with pytest.raises(RecipeError, match="val_fraction=0"):
        _split(stream, 0.1, seed=0)


@pytest.mark.parametrize("name, expected", [("adamw", torch.optim.AdamW), ("adam", torch.optim.Adam)])
def test_optimizer_name_picks_decoupled_decay_or_an_l2_penalty(name, expected):
    from lightning.pytorch.callbacks import Callback

    class Optimizers(Callback):
        seen = []

        def on_train_start(self, trainer, pl_module):
            Optimizers.seen = list(trainer.optimizers)

    multissl.pretrain("vectors", "wine", method="simclr", max_epochs=1, batch_size=64, callbacks=[Optimizers()],
                      **{"optimizer.name": name, "optimizer.weight_decay": 0.01}, **QUIET)
    (optimizer,) = Optimizers.seen
    assert type(optimizer) is expected and optimizer.param_groups[0]["weight_decay"] == 0.01


def test_an_unknown_optimizer_name_is_refused():
    with pytest.raises(RecipeError, match="optimizer.name"):
        multissl.pretrain("vectors", "wine", method="simclr", max_epochs=1, **{"optimizer.name": "sgd"}, **QUIET)


def test_optimizer_options_reach_adamw(tmp_path):
    out = tmp_path / "run"
    multissl.pretrain("vectors", "wine", method="simclr", max_epochs=1, batch_size=64, output_dir=str(out),
                      **{"optimizer.eps": 1e-6, "optimizer.betas": [0.8, 0.98], "optimizer.lr": 2e-3}, **QUIET)
    saved = torch.load(out / "checkpoints" / "last.ckpt", weights_only=False)["optimizer_states"][0]["param_groups"]
    assert {group["eps"] for group in saved} == {1e-6} and {tuple(group["betas"]) for group in saved} == {(0.8, 0.98)}
    assert {group["initial_lr"] for group in saved} == {2e-3}
