"""The default map-style training loader under two processes (``ddp_spawn`` on CPU): each process takes a disjoint,
equal share of every epoch's seeded order, so every sample is seen once an epoch, and a resume inside an epoch
continues each process's share where it stopped."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import Callback

import multissl
from multissl import distributed
from multissl.engine.resumable_loader import EpochShuffleSampler

sys.path.insert(0, str(Path(__file__).parent))
import tiny  # noqa: E402

TWO_PROCESSES = {"trainer.devices": 2, "trainer.strategy": "ddp_spawn", "trainer.accelerator": "cpu", "trainer.loggers": []}


class RecordBatches(Callback):
    """Writes, per process, one JSON line per training batch: epoch, batch index and the batch's ``x`` rows."""

    def __init__(self, directory: Path, stop_at_step: int | None = None) -> None:
        self.directory, self.stop_at_step = Path(directory), stop_at_step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.stop_at_step:
            raise RuntimeError("stopped")  # both processes stop at the same step, after its checkpoint
        rows = batch["x"].reshape(len(batch["x"]), -1).tolist()
        line = {"epoch": trainer.current_epoch, "batch": batch_idx, "rows": rows}
        with open(self.directory / f"rank{trainer.global_rank}.jsonl", "a") as out:
            out.write(json.dumps(line) + "\n")


def recorded(directory: Path, rank: int) -> list[dict]:
    return [json.loads(line) for line in (directory / f"rank{rank}.jsonl").read_text().splitlines()]


def sample_indices(lines: list[dict], samples: np.ndarray, epoch: int) -> list[int]:
    """The index in ``samples`` (N, F) of every row recorded in ``epoch``, in order."""
    where = {tuple(row): i for i, row in enumerate(samples.reshape(len(samples), -1).tolist())}
    return [where[tuple(row)] for line in lines if line["epoch"] == epoch for row in line["rows"]]


def check_every_sample_once_per_epoch(directory: Path, samples: np.ndarray, epochs: int) -> None:
    """Each epoch: the two processes' samples are disjoint and together all of them; equal steps on both."""
    per_rank = [recorded(directory, rank) for rank in (0, 1)]
    for epoch in range(epochs):
        shares = [sample_indices(lines, samples, epoch) for lines in per_rank]
        assert sorted(shares[0] + shares[1]) == list(range(len(samples))), f"epoch {epoch}"
        steps = [sum(line["epoch"] == epoch for line in lines) for lines in per_rank]
        assert steps[0] == steps[1] > 0, f"epoch {epoch}: steps per process {steps}"
    assert sample_indices(per_rank[0], samples, 0) != sample_indices(per_rank[0], samples, 1), "each epoch reshuffled"


@pytest.mark.parametrize("size", [41, 40])
def test_each_process_takes_a_disjoint_equal_share_of_the_epoch_order(monkeypatch, size):
    whole = EpochShuffleSampler(size, seed=3)
    whole.set_epoch(2)
    order = list(whole)
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: True)
    monkeypatch.setattr(distributed.dist, "get_world_size", lambda: 2)
    shares = []
    for rank in (0, 1):
        monkeypatch.setattr(distributed.dist, "get_rank", lambda rank=rank: rank)
        sampler = EpochShuffleSampler(size, seed=3)
        sampler.set_epoch(2)
        shares.append(list(sampler))
        assert len(sampler) == len(shares[-1]) == size // 2
    assert shares[0] == order[0 : 2 * (size // 2) : 2] and shares[1] == order[1 : 2 * (size // 2) : 2]
    assert not set(shares[0]) & set(shares[1])


def test_vectors_under_ddp_spawn_see_every_sample_once_an_epoch_on_equal_steps(tmp_path):
    run = multissl.pretrain(
        "vectors", tiny.data(rows=40), method="simclr", max_epochs=2, batch_size=4, val_fraction=0.0,
        callbacks=[RecordBatches(tmp_path)], **{**tiny.OVERRIDES, **TWO_PROCESSES},
    )
    assert [len(recorded(tmp_path, rank)) for rank in (0, 1)] == [2 * 5, 2 * 5], "20 samples a process: 5 batches of 4"
    dataset = run.modality.dataset(run.modality.load(tiny.data(rows=40)))
    check_every_sample_once_per_epoch(tmp_path, torch.stack([dataset[i] for i in range(len(dataset))]).numpy(), epochs=2)


def test_a_resume_inside_an_epoch_under_ddp_spawn_continues_each_process_share(tmp_path):
    samples = tiny.data(rows=40)
    options = {**tiny.OVERRIDES, **TWO_PROCESSES, "trainer.checkpoint_every_n_steps": 7}
    (tmp_path / "whole").mkdir()
    multissl.pretrain("vectors", samples, method="simclr", max_epochs=2, batch_size=4, val_fraction=0.0,
                      callbacks=[RecordBatches(tmp_path / "whole")], **options)
    (tmp_path / "parts").mkdir()
    out = tmp_path / "run"
    with pytest.raises(Exception, match="stopped"):  # the spawn launcher re-raises it in the parent
        multissl.pretrain("vectors", samples, method="simclr", max_epochs=2, batch_size=4, val_fraction=0.0,
                          output_dir=str(out), callbacks=[RecordBatches(tmp_path / "parts", stop_at_step=7)], **options)
    assert (out / "checkpoints" / "last.ckpt").is_file()
    multissl.pretrain("vectors", samples, method="simclr", max_epochs=2, batch_size=4, val_fraction=0.0,
                      output_dir=str(out), resume="last", callbacks=[RecordBatches(tmp_path / "parts")], **options)
    for rank in (0, 1):  # epochs and data, not Lightning's batch_idx: 2.4 numbers a resumed epoch's batches one lower
        whole = [(line["epoch"], line["rows"]) for line in recorded(tmp_path / "whole", rank)]
        parts = [(line["epoch"], line["rows"]) for line in recorded(tmp_path / "parts", rank)]
        assert parts == whole, f"process {rank}: steps 0-6 then 7-9 after the resume are the uninterrupted run's"
