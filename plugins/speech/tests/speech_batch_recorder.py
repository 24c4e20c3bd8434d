"""A Lightning callback the two-process tests hand to spawned processes (importable by name, unlike a test module)."""

from __future__ import annotations

import json
from pathlib import Path

from lightning.pytorch.callbacks import Callback


class RecordClipLengths(Callback):
    """Writes, per process, one JSON line per training batch: the epoch and the batch's ``num_samples``, which
    name the clips when every clip has its own length."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        line = {"epoch": trainer.current_epoch, "lengths": batch["num_samples"].tolist()}
        with open(self.directory / f"rank{trainer.global_rank}.jsonl", "a") as out:
            out.write(json.dumps(line) + "\n")
