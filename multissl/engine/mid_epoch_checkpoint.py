"""Checkpoints inside an epoch, for epochs long enough that a preempted job would lose hours.

Every ``trainer.checkpoint_every_n_steps`` optimisation steps, else every ``trainer.checkpoint_every_minutes``
of training, Lightning's ``ModelCheckpoint`` writes ``checkpoints/step=N.ckpt`` (the newest
``trainer.checkpoints_kept`` stay) and refreshes ``checkpoints/last.ckpt``, so ``resume: last`` always takes
the newest position. Each is written atomically by the engine's checkpoint I/O.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from lightning.pytorch.callbacks import ModelCheckpoint


class MidEpochCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` on a step or time interval, keeping the newest files by step."""

    def on_train_end(self, trainer, pl_module) -> None:
        # Lightning's save_last would write last.ckpt once more here, after the epoch counter moved past the
        # last epoch; the engine's epoch-end checkpoint already holds the end of training.
        pass


def mid_epoch_checkpoints(options, work_dir: Path) -> list[ModelCheckpoint]:
    """The mid-epoch checkpoint callback ``options`` (a recipe's ``TrainerOptions``) ask for, or none."""
    if options.checkpoint_every_n_steps is not None:
        interval = {"every_n_train_steps": options.checkpoint_every_n_steps}
    elif options.checkpoint_every_minutes is not None:
        interval = {"train_time_interval": datetime.timedelta(minutes=options.checkpoint_every_minutes)}
    else:
        return []
    return [MidEpochCheckpoint(
        dirpath=work_dir / "checkpoints", filename="{step}", monitor="step", mode="max",
        save_top_k=options.checkpoints_kept, save_last=True, enable_version_counter=False, **interval,
    )]
