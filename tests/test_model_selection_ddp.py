"""``trainer.select_by: rankme`` under data parallelism: every process holds the same RankMe each epoch, so the
checkpoint decision is the same everywhere, and the kept epoch is the one where that RankMe peaked."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.callbacks import Callback

import multissl

RANKME = "collapse/rankme"


class RankMePerRank(Callback):
    """Appends the RankMe each process holds after every epoch to ``rank<N>.txt`` (read when the next epoch starts,
    and when training ends, once the epoch's logged values are collected)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if trainer.current_epoch > 0:
            self._record(trainer)

    def on_train_end(self, trainer, pl_module) -> None:
        self._record(trainer)

    def _record(self, trainer) -> None:
        with (self.directory / f"rank{trainer.global_rank}.txt").open("a") as handle:
            handle.write(f"{float(trainer.callback_metrics[RANKME])!r}\n")


def test_rankme_selection_takes_one_decision_on_every_process_under_ddp_spawn(tmp_path):
    run = multissl.pretrain(
        "vectors", "wine", method="simclr", max_epochs=4, batch_size=16, callbacks=[RankMePerRank(tmp_path)],
        **{"trainer.devices": 2, "trainer.strategy": "ddp_spawn", "trainer.accelerator": "cpu",
           "trainer.select_by": "rankme", "trainer.enable_progress_bar": False},
    )
    per_rank = [[float(line) for line in (tmp_path / f"rank{rank}.txt").read_text().split()] for rank in (0, 1)]
    assert len(per_rank[0]) == 4 and per_rank[0] == per_rank[1]  # each rank's own sample would give its own values
    best = max(per_rank[0])
    assert run.metrics["train"]["selected_epoch"] == per_rank[0].index(best) + 1
    assert run.metrics["train"]["selected_rankme"] == best
