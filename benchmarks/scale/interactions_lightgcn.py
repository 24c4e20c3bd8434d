"""Scale benchmark of the ``interactions`` modality: LightGCN (or SGL) on a generated log of 1M users x 100k items.

The log: ``--interactions`` distinct (user, item) pairs, users uniform, items by a power law (Zipf,
``p(item of popularity rank r) ∝ r^-alpha``), drawn with numpy and passed as a ``scipy.sparse`` matrix. The run is the
library's own path, ``multissl.pretrain``: a random 20% per user held out, the normalised graph built once, a fixed
number of training steps (``trainer.max_steps``), then the ``ranking`` evaluator (full ranking over every item, the
user's training items excluded) on a seeded sample of ``--eval-users`` held-out users, ``--batch-users`` at a time.
It prints the time and the peak resident memory (``VmHWM``, which only grows) at the end of each phase.

    OMP_NUM_THREADS=1 python benchmarks/scale/interactions_lightgcn.py --steps 8
    OMP_NUM_THREADS=1 python benchmarks/scale/interactions_lightgcn.py --method sgl --steps 4 --no-eval
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from peak_memory import peak_rss_gib
from lightning.pytorch.callbacks import Callback

import multissl


def generated_log(n_users: int, n_items: int, n_interactions: int, alpha: float, seed: int) -> sp.csr_array:
    """A (users × items) 0/1 matrix of ``n_interactions`` distinct pairs: users uniform, items Zipf(alpha) by rank."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_items + 1) ** alpha
    cumulative = np.cumsum(popularity) / popularity.sum()
    item_of_rank = rng.permutation(n_items)  # popular items are spread over the ids
    keys = np.zeros(0, dtype=np.int64)
    while len(keys) < n_interactions:  # repeats of a popular (user, item) pair are drawn again
        draw = int((n_interactions - len(keys)) * 1.1) + 1000
        users = rng.integers(n_users, size=draw, dtype=np.int64)
        items = item_of_rank[np.minimum(np.searchsorted(cumulative, rng.random(draw)), n_items - 1)]
        keys = np.unique(np.concatenate([keys, users * n_items + items]))
    keys = np.sort(rng.choice(keys, size=n_interactions, replace=False))
    data = np.ones(n_interactions, dtype=np.float32)
    return sp.csr_array((data, (keys // n_items, keys % n_items)), shape=(n_users, n_items))


class Phases(Callback):
    """Wall-clock and peak memory when training starts (data read, split, fitted, graph built) and at each step."""

    def __init__(self, started: float) -> None:
        self.started, self.step_times, self.cpu_times, self.train_start = started, [], [], None

    def on_train_start(self, trainer, pl_module) -> None:
        self.train_start = time.perf_counter()
        self.cpu_times.append(time.process_time())
        print(f"data read, split, fitted: {self.train_start - self.started:.1f} s, peak RSS {peak_rss_gib():.2f} GiB", flush=True)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.step_times.append(time.perf_counter())
        self.cpu_times.append(time.process_time())
        print(f"step {len(self.step_times)}: {self.step_times[-1] - (self.step_times[-2] if len(self.step_times) > 1 else self.train_start):.2f} s "
              f"({self.cpu_times[-1] - self.cpu_times[-2]:.2f} s of CPU), loss {float(outputs['loss']):.4f}, peak RSS {peak_rss_gib():.2f} GiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=20_000_000)
    parser.add_argument("--alpha", type=float, default=1.0, help="Zipf exponent of item popularity")
    parser.add_argument("--method", default="lightgcn", choices=["lightgcn", "sgl"])
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--eval-users", type=int, default=10_000)
    parser.add_argument("--batch-users", type=int, default=1024)
    parser.add_argument("--no-eval", action="store_true", help="time training only")
    parser.add_argument("--negatives", default="batch", choices=["batch", "all"], help="SGL's contrast negatives")
    parser.add_argument("--cache", type=Path, help="an .npz file: the generated log is saved there, or read if present")
    args = parser.parse_args()

    started = time.perf_counter()
    if args.cache is not None and args.cache.is_file():
        matrix = sp.csr_array(sp.load_npz(args.cache))
    else:
        matrix = generated_log(args.users, args.items, args.interactions, args.alpha, seed=0)
        if args.cache is not None:
            sp.save_npz(args.cache, matrix, compressed=False)
    counts = np.bincount(matrix.indices, minlength=args.items)
    print(f"generated or read {matrix.nnz:,} interactions of {args.users:,} users x {args.items:,} items in {time.perf_counter() - started:.1f} s "
          f"(most popular item: {counts.max():,}, median item: {int(np.median(counts))}), peak RSS {peak_rss_gib():.2f} GiB", flush=True)

    phases = Phases(time.perf_counter())
    evaluate = None if args.no_eval else {"evaluators": ["ranking"], "k": [20], "max_users": args.eval_users,
                                          "batch_users": args.batch_users, "baseline": "most_popular"}
    method_options = {"method.negatives": args.negatives} if args.method == "sgl" else {}
    run = multissl.pretrain(
        "interactions", {"interactions": matrix}, args.method, callbacks=[phases],
        **{**method_options, "method.embedding_dim": args.embedding_dim, "method.n_layers": args.layers, "loader.batch_size": args.batch_size,
           "trainer.max_steps": args.steps, "trainer.max_epochs": -1, "trainer.enable_progress_bar": False,
           "optimizer.lr": 1e-3, "evaluate": evaluate},
    )
    ended = time.perf_counter()
    steps = phases.step_times
    rate = (len(steps) - 1) / (steps[-1] - steps[0])  # the first step also builds the graph (the batches' context)
    cpu_per_step = (phases.cpu_times[-1] - phases.cpu_times[1]) / (len(steps) - 1)
    per_epoch = int(matrix.nnz * 0.8) // args.batch_size
    print(f"training: {len(steps)} steps of {args.batch_size}; after the first {rate:.3f} steps/s wall-clock, {cpu_per_step:.1f} s of CPU "
          f"a step; an epoch of ~{per_epoch:,} steps (80% of the log) would take {per_epoch / rate / 3600:.1f} h at that wall-clock "
          f"rate, {per_epoch * cpu_per_step / 3600:.1f} h of CPU; peak RSS {peak_rss_gib():.2f} GiB", flush=True)
    if not args.no_eval:
        print(f"after the last step: {ended - steps[-1]:.1f} s (end-of-training checkpoint and collapse check, held-out split "
              "read again, embeddings, ranking of the run and of the most-popular baseline)")
        print("metrics:", run.metrics["evaluation"])
    print(f"total {ended - started:.1f} s, peak RSS {peak_rss_gib():.2f} GiB")


if __name__ == "__main__":
    main()
