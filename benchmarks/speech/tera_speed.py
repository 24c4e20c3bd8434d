"""TERA pretraining throughput, multissl vs s3prl, at equal model size on CPU, alternated in one run.

Both train the same 3-layer x 192 Transformer (4 heads, FFN 768, dropout 0.1, 80 log-mel in and out, -25 dB
waveform normalisation, time/frequency/magnitude alteration, L1) on the same fixed padded batches of FSDD
waveforms, from the waveform to the optimiser step, without data loaders: multissl's step is
``TERA.ssl_loss`` (features in torch, vectorised alteration) + backward + AdamW; s3prl's is its online
preprocessor + ``generate_masked_acoustic_model_data`` + ``TransformerForMaskedAcousticModel`` + backward + AdamW.
s3prl needs torchaudio, which cannot import with the project's CPU torch, so each side runs in its own
interpreter (``--s3prl-python``: a venv outside the repo with torch==2.14.1 and torchaudio==2.11.0); the driver
alternates short rounds of the two so that machine load affects both alike, and reports seconds of audio per
second of training (wall clock and process CPU time) and the paired ratios.

    python benchmarks/speech/tera_speed.py --s3prl-python /tmp/ref_s3prl/venv/bin/python --rounds 6 \
        --out benchmarks/speech/tera_speed.md
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1].parent / "shared" / "datasets" / "speech" / "fsdd" / "recordings"


def make_batches(path: Path, n_batches: int, batch_size: int, seed: int) -> float:
    """Padded 16 kHz FSDD waveform batches in an .npz; returns their total seconds of audio."""
    from multissl_speech.audio import load_audio

    files = sorted(ROOT.glob("*.wav"))
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(files), n_batches * batch_size, replace=False)
    audio = load_audio([files[i] for i in chosen], 16000, min_samples=400)
    arrays = {}
    for b in range(n_batches):
        clips = audio.waveforms[b * batch_size:(b + 1) * batch_size]
        padded = np.zeros((len(clips), max(map(len, clips))), dtype=np.float32)
        for i, clip in enumerate(clips):
            padded[i, : len(clip)] = clip
        arrays[f"wave{b}"] = padded
        arrays[f"len{b}"] = np.array([len(c) for c in clips])
    np.savez(path, **arrays)
    return float(sum(map(len, audio.waveforms)) / 16000)


def run_worker(python: str, side: str, batches: Path, steps: int, threads: int) -> dict:
    command = [python, str(HERE / "tera_speed_worker.py"), side, str(batches), str(steps), str(threads)]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{side} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--s3prl-python", required=True)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", default="/tmp/tera_speed")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    Path(args.work).mkdir(parents=True, exist_ok=True)
    batches = Path(args.work) / "batches.npz"
    make_batches(batches, args.batches, args.batch_size, seed=0)
    results = {"multissl": [], "s3prl": []}
    for round_index in range(args.rounds):
        order = ("multissl", "s3prl") if round_index % 2 == 0 else ("s3prl", "multissl")
        for side in order:
            python = sys.executable if side == "multissl" else args.s3prl_python
            result = run_worker(python, side, batches, args.batches, args.threads)
            results[side].append(result)
            print(round_index, side, json.dumps(result), flush=True)
    speed = {side: np.array([r["audio_seconds"] / r["seconds"] for r in rows]) for side, rows in results.items()}
    cpu_speed = {side: np.array([r["audio_seconds"] / r["cpu_seconds"] for r in rows]) for side, rows in results.items()}
    ratio = np.median(speed["multissl"]) / np.median(speed["s3prl"])
    lines = [
        (f"TERA pretraining throughput on CPU ({args.threads} torch thread(s)), 3 x 192 Transformer, {args.batches} batches of "
         f"{args.batch_size} FSDD clips at 16 kHz per round, {args.rounds} alternating rounds."),
        "",
        "| implementation | torch | audio s per wall-clock s (median; per round) | audio s per CPU s (median; per round) |",
        "|---|---|---|---|",
    ]
    for side in ("multissl", "s3prl"):
        per_round = ", ".join(f"{v:.1f}" for v in speed[side])
        per_round_cpu = ", ".join(f"{v:.1f}" for v in cpu_speed[side])
        lines.append(f"| {side} | {results[side][0]['torch']} | {np.median(speed[side]):.1f} ({per_round}) | "
                     f"{np.median(cpu_speed[side]):.1f} ({per_round_cpu}) |")
    # both sides ran back to back in each round: load drift cancels best in the paired ratios
    paired, paired_cpu = speed["multissl"] / speed["s3prl"], cpu_speed["multissl"] / cpu_speed["s3prl"]
    lines += ["", f"Ratio multissl / s3prl (medians, wall clock): **{ratio:.2f}x**.",
              (f"Paired ratio per round (multissl / s3prl, same round), wall clock: "
               f"{', '.join(f'{v:.2f}' for v in paired)}; median **{np.median(paired):.2f}x**."),
              (f"Paired ratio per round, CPU time: {', '.join(f'{v:.2f}' for v in paired_cpu)}; "
               f"median **{np.median(paired_cpu):.2f}x**.")]
    table = "\n".join(lines)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")


if __name__ == "__main__":
    main()
