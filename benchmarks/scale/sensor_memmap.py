"""Peak memory of ColloSSL on generated sensor recordings read from ``.npy`` directories, small and several GB.

The data: ``--recordings`` recordings (subjects), each a directory of ``--devices`` files ``imu<i>.npy`` of float32
(T, ``--channels``), written chunk by chunk (never whole in memory): one latent 3-axis motion whose frequency
changes every 2 s, plus Gaussian noise, seen by every device with its own gain (the shape of ``Sensor.example``).
The large data set holds ``--gib`` GiB of float32 on disk, the small one ``1/--ratio`` of it.

For each, a fresh process runs ``multissl.pretrain("sensor", DIRECTORY, method="collossl", ...)`` for ``--steps``
steps (batches of ``--batch-size`` windows of 64 samples, stride 32) and prints the time to read (validate, find
gaps, fit the standardisation: two chunked passes over the files), the training speed and the process's peak
resident memory (``VmHWM``: the high-water mark of everything so far). ``--in-memory`` reads the files whole
into a dict of arrays first (the in-memory path), for comparison at sizes that fit.

    OMP_NUM_THREADS=1 python benchmarks/scale/sensor_memmap.py /tmp/multissl-scale/sensor
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from peak_memory import peak_rss_gib
from step_clock import StepClock

RATE = 32
BLOCK = 1 << 20


def generate(root: Path, recordings: int, samples: int, devices: int, channels: int, seed: int) -> None:
    """Write the recordings that are missing (a finished file is renamed into place, so a stopped run resumes).

    One block of ``BLOCK`` samples of motion plus noise is drawn per recording and written again along the file, each
    time with a fresh gain per channel: the files are large without drawing every sample."""
    for r in range(recordings):
        directory = root / f"subject{r}"
        directory.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng([seed, r])
        index = np.arange(min(BLOCK, samples))
        activity = 1 + (index // (2 * RATE) * 2654435761 + r) % 3  # 1, 2 or 3 Hz, drawn anew every 2 s
        motion = np.stack([np.sin(2 * np.pi * activity * index / RATE + phase) for phase in range(channels)], axis=1)
        block = (motion + 0.1 * rng.standard_normal(motion.shape)).astype(np.float32)
        for d in range(devices):
            path = directory / f"imu{d}.npy"
            if path.is_file():
                continue
            partial = directory / f"imu{d}.part.npy"
            out = np.lib.format.open_memmap(partial, mode="w+", dtype=np.float32, shape=(samples, channels))
            for start in range(0, samples, BLOCK):
                rows = min(BLOCK, samples - start)
                out[start : start + rows] = block[:rows] * rng.uniform(0.5, 1.5, channels).astype(np.float32) * (1 - 0.2 * d)
            out.flush()
            del out
            partial.rename(path)


def train(source: str, steps: int, batch_size: int, in_memory: bool) -> dict:
    """ColloSSL for ``steps`` steps on ``source`` in this process; timings and peak memory."""
    import multissl

    began = time.perf_counter()
    data = source
    if in_memory:
        data = [{f.stem: np.load(f) for f in sorted(d.glob("*.npy"))} for d in sorted(Path(source).iterdir())]
    clock = StepClock()
    with tempfile.TemporaryDirectory() as out:
        multissl.pretrain("sensor", data, method="collossl", callbacks=[clock], **{
            "data.label_key": None, "data.window": 64, "data.stride": 32, "loader.batch_size": batch_size,
            "trainer.max_steps": steps, "trainer.max_epochs": 1, "trainer.enable_progress_bar": False,
            "trainer.loggers": [], "output_dir": out})
    return {"read_and_fit_s": round(clock.started - began, 1),
            "steps_per_s": round(clock.steps_per_second(steps), 2), "peak_rss_gib": round(peak_rss_gib(), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path, help="where the recordings are generated (kept: delete them after)")
    parser.add_argument("--gib", type=float, default=5.0, help="float32 GiB on disk in the large data set")
    parser.add_argument("--ratio", type=int, default=50, help="the small data set is 1/ratio of the large one")
    parser.add_argument("--recordings", type=int, default=4)
    parser.add_argument("--devices", type=int, default=3)
    parser.add_argument("--channels", type=int, default=6)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--in-memory", action="store_true", help="read the files whole first (sizes that fit only)")
    parser.add_argument("--sizes", nargs="*", default=["small", "large"], choices=["small", "large"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train", help=argparse.SUPPRESS)  # the child process: a directory to train on
    args = parser.parse_args()
    if args.train:
        print(json.dumps(train(args.train, args.steps, args.batch_size, args.in_memory)))
        return
    per_sample = args.devices * args.channels * 4
    rows = []
    for size in args.sizes:
        gib = args.gib / (args.ratio if size == "small" else 1)
        samples = int(gib * 2**30 / per_sample / args.recordings)
        root = args.directory / f"{size}_{gib:g}gib"
        started = time.perf_counter()
        generate(root, args.recordings, samples, args.devices, args.channels, args.seed)
        print(f"{size}: {args.recordings} x {args.devices} files of ({samples}, {args.channels}) float32, {gib:g} GiB, "
              f"generated or found in {time.perf_counter() - started:.0f} s", flush=True)
        command = [sys.executable, __file__, str(args.directory), "--train", str(root), "--steps", str(args.steps),
                   "--batch-size", str(args.batch_size), *(["--in-memory"] if args.in_memory else [])]
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        if child.returncode:
            sys.exit(child.stderr[-3000:])
        rows.append({"size": size, "gib_on_disk": round(gib, 3), "in_memory": args.in_memory,
                     **json.loads(child.stdout.strip().splitlines()[-1])})
        print(json.dumps(rows[-1]), flush=True)
    if len(rows) == 2:
        print(f"peak memory x{rows[1]['peak_rss_gib'] / rows[0]['peak_rss_gib']:.2f} "
              f"for x{rows[1]['gib_on_disk'] / rows[0]['gib_on_disk']:.0f} the data")


if __name__ == "__main__":
    main()
