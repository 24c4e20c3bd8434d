"""Checkpoints inside an epoch: on a step or time interval, the newest few kept, bad settings refused first."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import pytest
import torch

import multissl
from multissl.engine.mid_epoch_checkpoint import MidEpochCheckpoint, mid_epoch_checkpoints
from multissl.errors import RecipeError
from multissl.recipe import TrainerOptions

sys.path.insert(0, str(Path(__file__).parent))
import tiny  # noqa: E402


def test_every_n_steps_keeps_the_newest_and_last_is_the_end_of_training(tmp_path):
    multissl.pretrain(
        "vectors", tiny.data(rows=64), method="simclr", max_epochs=3, batch_size=16, output_dir=tmp_path / "run",
        **{**tiny.OVERRIDES, "trainer.checkpoint_every_n_steps": 3, "trainer.checkpoints_kept": 1},
    )
    checkpoints = tmp_path / "run" / "checkpoints"
    assert sorted(p.name for p in checkpoints.glob("step=*.ckpt")) == ["step=12.ckpt"]
    last = torch.load(checkpoints / "last.ckpt", map_location="cpu", weights_only=True)
    assert (last["epoch"], last["global_step"]) == (2, 12)


def test_by_default_every_thirty_minutes_and_none_when_switched_off(tmp_path):
    (callback,) = mid_epoch_checkpoints(TrainerOptions(), tmp_path)
    assert isinstance(callback, MidEpochCheckpoint)
    assert callback._train_time_interval == datetime.timedelta(minutes=30)
    assert mid_epoch_checkpoints(TrainerOptions(checkpoint_every_minutes=None), tmp_path) == []


@pytest.mark.parametrize(
    ("key", "value"), [("checkpoint_every_minutes", 0), ("checkpoint_every_n_steps", 0), ("checkpoints_kept", 0)]
)
def test_bad_settings_are_refused_before_training(key, value):
    with pytest.raises(RecipeError, match=key):
        multissl.pretrain("vectors", tiny.data(rows=64), method="simclr", **{**tiny.OVERRIDES, f"trainer.{key}": value})
