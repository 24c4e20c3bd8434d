"""Every registered method on an accelerator: N training steps, then save, load and embed.

    python benchmarks/gpu/check.py --quick            # 3 steps per method: does everything run?
    python benchmarks/gpu/check.py --json gpu.json    # the measured run

One line per (method, modality) on its modality's example data: ok or error (the exception's last line),
steps/s and samples/s of the training step, peak accelerator memory, and for methods with a Transformer
encoder the model FLOPs utilisation

    MFU = FLOPs of one training step x steps/s / peak FLOP/s

with the step's FLOPs (forward + backward) counted by ``torch.utils.flop_counter.FlopCounterMode`` on the
first step, and the peak the H200's dense bf16 989 TFLOP/s (``--peak-tflops``). A step is timed from
``on_train_batch_start`` to ``on_train_batch_end`` (forward, backward, optimizer step; the batch is already
on the device), synchronised, over every step after the first. Runs on CPU too:
``--accelerator cpu --precision 32-true --quick``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import torch
from lightning.pytorch.callbacks import Callback
from torch.utils.flop_counter import FlopCounterMode

import multissl
from multissl.conformance import example_data, method_modality_pairs
from multissl.methods.base import _batch_size

H200_DENSE_BF16_TFLOPS = 989.0


class StepMeter(Callback):
    """Counts the first training step's FLOPs, then times every later step (synchronised at both ends)."""

    def __init__(self):
        self.steps = 0
        self.seconds = 0.0
        self.samples = 0
        self.flops_per_step: int | None = None
        self._flop_counter: FlopCounterMode | None = None
        self._started = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self.flops_per_step is None and self._flop_counter is None:
            self._flop_counter = FlopCounterMode(display=False)
            self._flop_counter.__enter__()
            return
        _synchronise(pl_module.device)
        self._started = time.perf_counter()
        self.samples += _batch_size(batch)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if self._flop_counter is not None:
            self._stop_counting()
            return
        _synchronise(pl_module.device)
        self.seconds += time.perf_counter() - self._started
        self.steps += 1

    def on_exception(self, trainer, pl_module, exception):
        if self._flop_counter is not None:
            self._stop_counting()

    def _stop_counting(self):
        self._flop_counter.__exit__(None, None, None)
        self.flops_per_step = self._flop_counter.get_total_flops()
        self._flop_counter = None


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def has_transformer(module: torch.nn.Module) -> bool:
    """Whether ``module`` holds attention layers (PyTorch's, or a ``transformers`` model's ``*Attention``)."""
    return any(isinstance(m, torch.nn.MultiheadAttention) or type(m).__name__.endswith("Attention") for m in module.modules())


def check_method(method: str, modality: str, args: argparse.Namespace) -> dict[str, Any]:
    """Train ``method`` for ``args.steps`` steps on ``modality``'s example data, save, load and embed; the measurements."""
    cuda = args.accelerator in ("gpu", "cuda")
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    meter = StepMeter()
    started = time.perf_counter()
    source = example_data(modality)
    run = multissl.pretrain(
        modality, source, method=method, batch_size=args.batch_size, callbacks=[meter],
        **{
            "trainer.max_steps": args.steps + 1,  # the first step is the FLOP-counted one, not timed
            "trainer.max_epochs": 1_000_000,
            "trainer.accelerator": args.accelerator,
            "trainer.devices": 1,
            "trainer.precision": args.precision,
            "trainer.enable_progress_bar": False,
            "trainer.checkpoint_every_minutes": None,
        },
    )
    with tempfile.TemporaryDirectory() as scratch:
        run.save(Path(scratch) / "run")
        loaded = multissl.load(Path(scratch) / "run")
        loaded.method.to("cuda" if cuda else "cpu")
        embeddings = loaded.embed(source)
    if not (embeddings.ndim == 2 and np.isfinite(embeddings).all()):
        raise RuntimeError(f"embeddings of shape {embeddings.shape} are not a finite (N, D) array")
    steps_per_second = meter.steps / meter.seconds if meter.seconds else float("nan")
    transformer = has_transformer(run.method)
    return {
        "steps_per_second": steps_per_second,
        "samples_per_second": meter.samples / meter.seconds if meter.seconds else float("nan"),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
        "flops_per_step": meter.flops_per_step,
        "mfu": (meter.flops_per_step or 0) * steps_per_second / (args.peak_tflops * 1e12) if transformer else None,
        "embedding_dim": int(embeddings.shape[1]),
        "wall_seconds": time.perf_counter() - started,
    }


def format_line(name: str, result: dict[str, Any]) -> str:
    if "error" in result:
        return f"{name:34s} error  {result['error']}"
    memory = "n/a" if result["peak_memory_gib"] is None else f"{result['peak_memory_gib']:.2f} GiB"
    mfu = "n/a" if result["mfu"] is None else f"{100 * result['mfu']:.3g}%"
    return (
        f"{name:34s} ok     {result['steps_per_second']:8.2f} steps/s {result['samples_per_second']:10.1f} samples/s"
        f"  peak {memory:>10s}  MFU {mfu:>7s}  ({result['wall_seconds']:.1f}s)"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accelerator", default="gpu", help="Lightning accelerator (gpu, cpu)")
    parser.add_argument("--precision", default="bf16-mixed", help="Lightning precision (bf16-mixed, 32-true)")
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per method (after one FLOP-counted step)")
    parser.add_argument("--quick", action="store_true", help="3 steps per method: a first smoke run")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--methods", default="", help="comma-separated method names (default: every registered method)")
    parser.add_argument("--peak-tflops", type=float, default=H200_DENSE_BF16_TFLOPS, help="the accelerator's peak, TFLOP/s")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps = 3
    return args


def main(argv: list[str] | None = None) -> int:
    """Check every selected method; the exit status is the number of methods that failed."""
    args = parse_args(argv)
    pairs = method_modality_pairs()
    if args.methods:
        wanted = set(args.methods.split(","))
        unknown = wanted - {method for method, _ in pairs}
        if unknown:
            raise SystemExit(f"unknown methods {sorted(unknown)}; registered: {sorted({m for m, _ in pairs})}")
        pairs = [(method, modality) for method, modality in pairs if method in wanted]
    results = {}
    for method, modality in pairs:
        name = f"{method}/{modality}"
        try:
            results[name] = check_method(method, modality, args)
        except Exception as exc:  # one failing method must not hide the others' results
            last_line = traceback.format_exception_only(type(exc), exc)[-1]
            results[name] = {"error": " ".join(last_line.split())}  # one line per method, even for a multi-line message
        print(format_line(name, results[name]), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"arguments": {k: str(v) for k, v in vars(args).items()}, "results": results}, indent=2))
    return sum("error" in result for result in results.values())


if __name__ == "__main__":
    sys.exit(main())
