"""The shipped TERA recipe under two processes (``ddp_spawn`` on CPU) on a generated corpus of FLAC files:
duration batches give each process a disjoint share of every epoch, every clip once, in equally many steps."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

import multissl

sys.path.insert(0, str(Path(__file__).parent))
from speech_batch_recorder import RecordClipLengths  # noqa: E402

TWO_PROCESSES = {"trainer.devices": 2, "trainer.strategy": "ddp_spawn", "trainer.accelerator": "cpu",
                 "trainer.loggers": [], "trainer.enable_progress_bar": False}


def test_fsdd_tera_trains_on_two_processes_each_clip_once_per_epoch(tmp_path, tiny_tera):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rng = np.random.default_rng(0)
    lengths = [6400 + 1111 * i for i in range(15)]  # 0.4-1.4 s, each its own length
    for i, n in enumerate(lengths):
        t = np.arange(n) / 16000
        sf.write(corpus / f"clip{i:02d}.flac", (0.3 * np.sin(2 * np.pi * (120 + 15 * i) * t)
                                                 + 0.01 * rng.normal(size=n)).astype(np.float32), 16000)
    records = tmp_path / "records"
    records.mkdir()
    run = multissl.pretrain(recipe="fsdd_tera", callbacks=[RecordClipLengths(records)], **{
        **TWO_PROCESSES, "data.source": str(corpus), "data.splits": None, "evaluate": None, "trainer.max_epochs": 2,
        "data.max_batch_seconds": 3.0, **{f"method.{k}": v for k, v in tiny_tera.items()}})
    per_rank = [[json.loads(line) for line in (records / f"rank{r}.jsonl").read_text().splitlines()] for r in (0, 1)]
    for epoch in (0, 1):
        shares = [[n for line in lines if line["epoch"] == epoch for n in line["lengths"]] for lines in per_rank]
        assert sorted(shares[0] + shares[1]) == lengths, f"epoch {epoch}"
        steps = [sum(line["epoch"] == epoch for line in lines) for lines in per_rank]
        assert steps[0] == steps[1] > 1, f"epoch {epoch}: steps per process {steps}"
    assert [line["lengths"] for line in per_rank[0] if line["epoch"] == 0] != \
        [line["lengths"] for line in per_rank[0] if line["epoch"] == 1], "each epoch reshuffled"
    assert run.metrics["train"]["epochs"] == 2 and run.metrics["train"]["steps"] == 2 * steps[0]
    assert run.embed(str(corpus)).shape == (15, tiny_tera["d_model"])


def test_hubert_trains_on_two_processes(tone, tiny_hubert):
    """ddp_spawn pickles the method; HuBERT's weight-normalised positional convolution travels by its state."""
    clips = {"audio": [tone(0.3 + 0.05 * i, f0=110.0 + 35 * i, seed=i) for i in range(8)], "sample_rate": 16000}
    run = multissl.pretrain("speech", clips, method="hubert", max_epochs=1, batch_size=2, **tiny_hubert, **TWO_PROCESSES)
    assert run.method.codebook.shape == (4, 39) and np.isfinite(run.metrics["train"]["train/loss"])
    assert run.embed(clips).shape == (8, tiny_hubert["hidden_size"])
