"""kill -9 during training and during save: at most one epoch is lost, the run directory is always loadable,
and no copies are left behind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import multissl
from multissl.engine.atomic import leftovers

CHILD = Path(__file__).parent / "fault_child.py"
EPOCHS = 4


def child(*args: str, check_killed: bool = True) -> None:
    result = subprocess.run([sys.executable, str(CHILD), *args], capture_output=True, text=True, timeout=300)
    if check_killed:
        assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    else:
        assert result.returncode == 0, result.stderr[-2000:]


def epoch_of_last_checkpoint(out: Path) -> int:
    import torch

    return torch.load(out / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True, mmap=True)["epoch"]


def test_a_kill_during_training_loses_at_most_one_epoch_and_resume_finishes(tmp_path):
    out = tmp_path / "run"
    child("train", str(out), str(EPOCHS), "2", "3")  # killed inside the third epoch (index 2)
    assert epoch_of_last_checkpoint(out) == 1, "the two finished epochs are kept"
    with pytest.raises(multissl.errors.RunDirectoryError, match="resume"):
        multissl.load(out)  # no run yet: the error says how to continue
    child("train", str(out), str(EPOCHS), "-1", "-1", check_killed=False)
    run = multissl.load(out)
    assert run.metrics["train"]["epochs"] == EPOCHS
    assert run.metrics["train"]["steps"] == EPOCHS * (256 // 32)
    assert leftovers(out) == []


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two saved runs that embed differently: ``old`` (1 epoch) and ``new`` (2 epochs)."""
    root = tmp_path_factory.mktemp("runs")
    for name, epochs in (("old", 1), ("new", 2)):
        child("train", str(root / name), str(epochs), "-1", "-1", check_killed=False)
    return root / "old", root / "new"


def marker(path: Path) -> float:
    return json.loads((path / "metrics.json").read_text())["train"]["epochs"]


@pytest.mark.parametrize("stage", ["writing", "between_renames", "after_exchange"])
def test_a_kill_during_save_leaves_a_loadable_run_and_no_copies(two_runs, tmp_path, stage):
    old, new = two_runs
    target = tmp_path / "target"
    multissl.load(old).save(target)
    child("save", str(new), str(target), stage)
    run = multissl.load(target)
    assert run.metrics["train"]["epochs"] in (1, 2)
    assert run.embed(_data()).shape == (256, 8)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"], "load cleaned every leftover copy"
    expected = {"writing": 1, "between_renames": 1, "after_exchange": 2}[stage]
    assert marker(target) == expected


def test_kills_at_random_moments_of_repeated_saves(two_runs, tmp_path):
    old, new = two_runs
    target = tmp_path / "target"
    multissl.load(old).save(target)
    rng = random.Random(0)
    for _ in range(3):
        process = subprocess.Popen([sys.executable, str(CHILD), "loop", str(new), str(target)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not Path(str(target) + ".ready").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait()
        Path(str(target) + ".ready").unlink()
        assert multissl.load(target).embed(_data()).shape == (256, 8)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


def _data():
    sys.path.insert(0, str(Path(__file__).parent))
    import tiny

    return tiny.data(rows=256)
