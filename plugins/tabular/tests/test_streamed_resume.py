"""A streamed-table run killed inside an epoch and resumed with ``resume: last`` ends with exactly the weights of
the run that was never interrupted (CPU, bit for bit): the resumed epoch goes on with the batches it had not reached."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file

CHILD = Path(__file__).parent / "interrupt_stream_child.py"


def child(parquet: Path, out: Path, step: int, signal_name: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(CHILD), str(parquet), str(out), str(step), signal_name]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_sigkill_inside_a_streamed_epoch_then_resume_gives_the_same_weights(tmp_path):
    rng = np.random.default_rng(0)
    parquet = tmp_path / "rows.parquet"
    pd.DataFrame({"x": rng.normal(size=300), "y": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)}).to_parquet(
        parquet, row_group_size=64
    )  # 9 steps an epoch of 32 rows (the last one shorter), 18 in all
    whole, interrupted = tmp_path / "whole", tmp_path / "interrupted"
    assert child(parquet, whole, -1, "none").returncode == 0
    killed = child(parquet, interrupted, 14, "SIGKILL")  # epoch 1; the last checkpoint is step 12's, 3 steps into it
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert torch.load(interrupted / "checkpoints" / "last.ckpt", weights_only=True, mmap=True)["global_step"] == 12
    resumed = child(parquet, interrupted, -1, "none")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    expected, got = load_file(whole / "weights.safetensors"), load_file(interrupted / "weights.safetensors")
    assert [name for name in expected if not torch.equal(expected[name], got[name])] == []
