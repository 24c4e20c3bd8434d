"""Sensor windows under two processes (``ddp_spawn`` on CPU): ColloSSL on recordings read from ``.npy`` directories
and SimCLR on streams in memory; each epoch, every window is seen once across the two processes, on equal steps."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import multissl

sys.path.insert(0, str(Path(__file__).parents[3] / "tests"))
from test_distributed_loader import TWO_PROCESSES, RecordBatches, check_every_sample_once_per_epoch, recorded  # noqa: E402

WINDOW = 16
SMALL_ENCODER = {"encoder_options": {"channels": [4], "kernel_sizes": [3]}, "projector_dims": [8]}


def recording(windows: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"imu{i}": rng.normal(size=(windows * WINDOW, 3)).astype(np.float32) for i in range(3)}


def run_and_check(tmp_path: Path, method: str, source, options: dict) -> None:
    run = multissl.pretrain(
        "sensor", source, method=method, max_epochs=2, batch_size=4, val_fraction=0.0, window=WINDOW, stride=WINDOW,
        label_key=None, callbacks=[RecordBatches(tmp_path)],
        **{**options, **TWO_PROCESSES, "trainer.enable_progress_bar": False},
    )
    assert [len(recorded(tmp_path, rank)) for rank in (0, 1)] == [2 * 5, 2 * 5], "20 windows a process: 5 batches of 4"
    windows = run.modality.anchor_windows(run.modality.load(source)).numpy()
    assert len(windows) == 40
    check_every_sample_once_per_epoch(tmp_path, windows, epochs=2)


def test_collossl_on_npy_directories_sees_every_window_once_an_epoch(tmp_path):
    root = tmp_path / "subjects"
    for name, windows, seed in (("s1", 25, 0), ("s2", 15, 1)):
        (root / name).mkdir(parents=True)
        for device, stream in recording(windows, seed).items():
            np.save(root / name / f"{device}.npy", stream)
    (tmp_path / "batches").mkdir()
    run_and_check(tmp_path / "batches", "collossl", str(root), {"encoder_options": SMALL_ENCODER["encoder_options"]})


@pytest.mark.parametrize("method", ["simclr"])
def test_a_generic_method_on_streams_in_memory_sees_every_window_once_an_epoch(tmp_path, method):
    run_and_check(tmp_path, method, recording(40, 2), SMALL_ENCODER)
