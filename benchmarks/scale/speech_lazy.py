"""Peak memory and speed of TERA on a generated FLAC corpus at two sizes: memory must not grow with the corpus.

The corpus: ``--files`` FLAC clips of 16 kHz, 16-bit mono, 8-16 s each (12 s on average), written once into
``DIRECTORY/corpus`` (kept for later runs). Each clip is speech-like: a glottal-like harmonic source (a wavetable of
12 harmonics with amplitudes ``1/k``) on a pitch contour (f0 drawn per clip in 90-250 Hz, a slow drift and
vibrato), shaped by syllable envelopes (about 4 per second, random lengths and gaps) and a formant-like
emphasis (two random harmonics amplified), plus low Gaussian noise. The small corpus is the first files that hold
at most ``1/ratio`` of the hours (a file list), the large one all of them.

Each size is one fresh process running ``multissl.pretrain(recipe="fsdd_tera", ...)`` on the corpus (the shipped
recipe: global CMVN fitted on every clip, batches of at most 8 s, clips cropped to 4 s) for ``--steps`` steps, no
evaluation; ``--set key=value`` overrides recipe keys. It prints the process's peak resident memory (``VmHWM``),
the time to index the files and fit the preprocessing (until training starts), and the training steps per second.

    OMP_NUM_THREADS=1 python benchmarks/scale/speech_lazy.py /tmp/multissl-scale/speech
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
import soundfile as sf
import yaml
from peak_memory import peak_rss_gib
from step_clock import StepClock

RATE = 16000


def speech_like(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """One clip (float32 in [-1, 1]) as described in the module docstring."""
    n = int(seconds * RATE)
    frames = n // 160 + 1  # contours at 100 Hz, stretched to the sample rate
    t = np.arange(frames) / 100
    f0 = rng.uniform(90, 250) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.2, 0.5) * t + rng.uniform(0, 6))
                                 + 0.02 * np.sin(2 * np.pi * 5.5 * t))
    envelope = np.zeros(frames)
    start = 0
    while start < frames:
        length = int(rng.uniform(10, 30))
        envelope[start:start + length] = np.hanning(length)[: frames - start] * rng.uniform(0.3, 1.0)
        start += length + int(rng.uniform(2, 15))
    harmonics = np.arange(1, 13)
    gains = 1 / harmonics
    gains[rng.choice(12, 2, replace=False)] *= 4  # formant-like emphasis
    table = (gains[:, None] * np.sin(2 * np.pi * harmonics[:, None] * np.arange(2048) / 2048)).sum(0)
    f0_samples = np.repeat(f0, 160)[:n]
    phase = (np.cumsum(f0_samples / RATE) * 2048).astype(np.int64) % 2048
    wave = table[phase] * np.repeat(envelope, 160)[:n]
    wave = 0.5 * wave / np.abs(wave).max() + 0.003 * rng.standard_normal(n)
    return wave.astype(np.float32)


def generate(corpus: Path, files: int, seed: int) -> float:
    """Write the missing clips; return the corpus's hours."""
    corpus.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lengths = rng.uniform(8, 16, files)
    for i, seconds in enumerate(lengths):
        path = corpus / f"clip{i:05d}.flac"
        if not path.is_file():
            clip_rng = np.random.default_rng([seed, i])
            partial = path.with_suffix(".part")
            sf.write(partial, speech_like(seconds, clip_rng), RATE, format="FLAC", subtype="PCM_16")
            partial.rename(path)
    return float(lengths.sum() / 3600)


def train(source: str, steps: int, overrides: dict) -> dict:
    """TERA for ``steps`` steps on ``source`` in this process (recipe ``overrides`` on top); timings and peak memory."""
    import multissl

    clock, began = StepClock(), time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        multissl.pretrain(recipe="fsdd_tera", callbacks=[clock], **{
            "data.source": source, "data.splits": None, "evaluate": None, "trainer.max_steps": steps,
            "trainer.max_epochs": 1, "trainer.enable_progress_bar": False, "trainer.loggers": [], "output_dir": out, **overrides})
    return {"index_and_fit_s": round(clock.started - began, 1),
            "steps_per_s": round(clock.steps_per_second(steps), 2), "peak_rss_gib": round(peak_rss_gib(), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path, help="where the corpus is generated (kept) and the file lists go")
    parser.add_argument("--files", type=int, default=6100, help="clips in the large corpus (12 s each on average)")
    parser.add_argument("--ratio", type=int, default=8, help="the small corpus is the first 1/ratio of the files")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="recipe overrides (YAML values)")
    parser.add_argument("--train", help=argparse.SUPPRESS)  # the child process: a source to train on
    args = parser.parse_args()
    if args.train:
        print(json.dumps(train(args.train, args.steps, {k: yaml.safe_load(v) for k, v in (o.split("=", 1) for o in args.set)})))
        return
    started = time.perf_counter()
    hours = generate(args.directory / "corpus", args.files, args.seed)
    print(f"corpus: {args.files} FLAC files, {hours:.1f} h, generated or found in {time.perf_counter() - started:.0f} s",
          flush=True)
    files = sorted((args.directory / "corpus").glob("clip*.flac"))[: args.files]
    cumulative = np.cumsum([sf.info(str(f)).duration for f in files])
    rows = []
    for count in (int(np.searchsorted(cumulative, cumulative[-1] / args.ratio, side="right")), len(files)):
        listing = args.directory / f"first_{count}.txt"
        listing.write_text("\n".join(str(f) for f in files[:count]) + "\n")
        seconds = cumulative[count - 1]
        child = subprocess.run([sys.executable, __file__, str(args.directory), "--train", str(listing), "--steps",
                                str(args.steps), "--set", *args.set], capture_output=True, text=True, check=False)
        if child.returncode:
            sys.exit(child.stderr[-3000:])
        result = json.loads(child.stdout.strip().splitlines()[-1])
        rows.append({"files": count, "hours": round(float(seconds) / 3600, 3), **result})
        print(json.dumps(rows[-1]), flush=True)
    growth = rows[1]["peak_rss_gib"] / rows[0]["peak_rss_gib"]
    print(f"peak memory x{growth:.2f} for x{rows[1]['hours'] / rows[0]['hours']:.1f} the audio")


if __name__ == "__main__":
    main()
