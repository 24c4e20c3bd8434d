"""Training on interactions under two processes (``ddp_spawn`` on CPU): every training interaction is seen exactly
once per epoch across the processes, and both take the same number of steps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lightning.pytorch.callbacks import Callback

import multissl

TWO_PROCESSES = {"trainer.devices": 2, "trainer.strategy": "ddp_spawn", "trainer.accelerator": "cpu", "trainer.loggers": [],
                 "trainer.enable_progress_bar": False}


class RecordInteractions(Callback):
    """Appends, per process, one JSON line per training batch: the epoch and the batch's (user, item) indices."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        line = {"epoch": trainer.current_epoch, "pairs": np.stack([batch["user"].numpy(), batch["item"].numpy()], 1).tolist()}
        with open(self.directory / f"rank{trainer.global_rank}.jsonl", "a") as out:
            out.write(json.dumps(line) + "\n")


@pytest.mark.parametrize("method, options", [
    ("lightgcn", {"method.embedding_dim": 4, "method.n_layers": 1}),
    ("two_tower_ssl", {"method.embedding_dim": 4, "method.tower_dims": [8], "method.n_ssl": 8}),
])
def test_each_training_interaction_is_seen_once_an_epoch_across_two_processes(method, options, tmp_path):
    rng = np.random.default_rng(0)
    pairs = {(u, i) for u, i in zip(rng.integers(12, size=200), rng.integers(30, size=200), strict=True)}
    log = pd.DataFrame(sorted(pairs)[:96], columns=["user", "item"])  # 96 distinct interactions: 48 per process
    recorder = RecordInteractions(tmp_path)
    run = multissl.pretrain("interactions", log, method, callbacks=[recorder], recipe={"data": {"split": "none"}, "evaluate": None},
                            **{"trainer.max_epochs": 2, "loader.batch_size": 16, **options, **TWO_PROCESSES})
    assert run.metrics["train"]["steps"] == 2 * 3  # per process: 48 interactions in batches of 16, two epochs
    training = sorted(zip(run.modality.train_user.tolist(), run.modality.train_item.tolist(), strict=True))
    lines = {rank: [json.loads(line) for line in (tmp_path / f"rank{rank}.jsonl").read_text().splitlines()] for rank in (0, 1)}
    for epoch in (0, 1):
        seen = {rank: [tuple(pair) for line in lines[rank] if line["epoch"] == epoch for pair in line["pairs"]] for rank in (0, 1)}
        assert sorted(seen[0] + seen[1]) == training, f"epoch {epoch}: not every interaction exactly once"
        steps = [sum(line["epoch"] == epoch for line in lines[rank]) for rank in (0, 1)]
        assert steps == [3, 3], f"epoch {epoch}: steps per process {steps}"
