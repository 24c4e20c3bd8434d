"""One epoch of a graph method on neighbour mini-batches of a generated graph with millions of nodes, with its peak memory.

The graph: a degree-corrected stochastic block model made here in numpy (Karrer & Newman 2011; Chung-Lu degrees):
``--nodes`` nodes in ``--communities`` communities of equal expected size, node weights ``w_i`` from a Pareto law
(exponent 2.5, so degrees follow a power law), ``--edges`` edges whose first end is drawn with probability ``∝ w``
and whose second end, with probability ``--p-in``, from the same community (``∝ w`` inside it), else from the
whole graph. Features: ``x_i = μ_c + ε`` with community means ``μ_c ~ N(0, I)`` and noise ``ε ~ N(0, σ² I)``
(``--feature-noise``), ``--features`` float32 columns; labels are the communities. Nothing is written to disk.

Then ``multissl.pretrain("graph", Data, method=..., data.loader=neighbor, ...)`` for one epoch, the engine as any
run uses it (preprocessing: undirected, coalesced edges; training; a checkpoint). ``--batches`` limits the epoch to
that many batches of ``--batch-size`` seed nodes (``trainer.limit_train_batches``): the epoch is then over
``batches x batch_size`` seed nodes of a shuffled order of all of them. Prints the graph's size, the time of each
stage and the process's peak resident memory (``VmHWM``: the high-water mark of everything so far).
``--loader full`` trains one full-batch step instead, for the size a whole graph can have.

    OMP_NUM_THREADS=1 python benchmarks/scale/graph_minibatch.py --method dgi
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from peak_memory import peak_rss_gib


def block_model(nodes: int, edges: int, communities: int, p_in: float, features: int, noise: float, seed: int):
    """``(edge_index (2, E) int64, x (N, F) float32, y (N,) int64)`` of a degree-corrected stochastic block model."""
    rng = np.random.default_rng(seed)
    y = rng.integers(communities, size=nodes)
    weight = rng.pareto(1.5, size=nodes) + 1.0  # density ∝ w^-2.5
    order = np.argsort(y, kind="stable")  # nodes by community: each community is one range of the cumulative weight
    cumulative = np.cumsum(weight[order])
    bounds = np.searchsorted(y[order], np.arange(communities + 1))
    low = np.concatenate([[0.0], cumulative])[bounds[:-1]]
    high = cumulative[bounds[1:] - 1]
    source = order[np.searchsorted(cumulative, rng.random(edges) * cumulative[-1], side="right").clip(max=nodes - 1)]
    inside = rng.random(edges) < p_in
    community = y[source]
    draw = rng.random(edges)
    point = np.where(inside, low[community] + draw * (high[community] - low[community]), draw * cumulative[-1])
    target = order[np.searchsorted(cumulative, point, side="right").clip(max=nodes - 1)]
    del community, draw, point, inside
    edge_index = torch.from_numpy(np.stack([source, target]))
    del source, target
    means = rng.standard_normal((communities, features)).astype(np.float32)
    x = means[y] + noise * rng.standard_normal((nodes, features), dtype=np.float32)
    return edge_index, torch.from_numpy(x), torch.from_numpy(y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2_000_000)
    parser.add_argument("--edges", type=int, default=20_000_000, help="generated edges, before duplicates and self-loops are removed")
    parser.add_argument("--communities", type=int, default=20)
    parser.add_argument("--p-in", type=float, default=0.8)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--feature-noise", type=float, default=2.0)
    parser.add_argument("--method", default="dgi")
    parser.add_argument("--loader", choices=["neighbor", "full"], default="neighbor", help="full: one step on the whole graph")
    parser.add_argument("--num-neighbors", type=int, nargs="+", default=[10])
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--batches", type=float, default=1.0, help="trainer.limit_train_batches: a count, or 1.0 for all")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="more method options (YAML values)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import yaml
    from lightning.pytorch.callbacks import Callback
    from torch_geometric.data import Data

    import multissl

    started = time.perf_counter()
    edge_index, x, y = block_model(args.nodes, args.edges, args.communities, args.p_in, args.features, args.feature_noise, args.seed)
    generated = time.perf_counter() - started
    memory = {"generated": peak_rss_gib()}

    stages = {}

    class Timing(Callback):
        def on_train_start(self, trainer, pl_module):
            stages["train_start"] = time.perf_counter()
            memory["preprocessed"] = peak_rss_gib()

        def on_train_epoch_end(self, trainer, pl_module):
            stages["epoch_end"] = time.perf_counter()
            stages["steps"] = trainer.global_step

    options = {key: yaml.safe_load(value) for key, value in (item.split("=", 1) for item in args.set)}
    batches = int(args.batches) if args.batches > 1 else args.batches
    started = time.perf_counter()
    run = multissl.pretrain(
        "graph", Data(x=x, edge_index=edge_index, y=y), method=args.method, max_epochs=1, seed=args.seed, callbacks=[Timing()],
        **{"data.loader": args.loader, "data.num_neighbors": args.num_neighbors, "data.normalize_features": False,
           "batch_size": args.batch_size, "trainer.limit_train_batches": batches, "trainer.enable_progress_bar": False,
           "trainer.loggers": []},
        **options,
    )
    finished = time.perf_counter()
    memory["trained"] = peak_rss_gib()
    low, high = edge_index.min(0).values, edge_index.max(0).values
    distinct = int(torch.unique((low * args.nodes + high)[low != high]).numel())  # what preprocessing keeps, per direction
    result = {
        "nodes": args.nodes, "edges_generated": args.edges, "distinct_undirected_edges": distinct,
        "features": args.features, "method": args.method, "loader": args.loader, "num_neighbors": args.num_neighbors, "batch_size": args.batch_size,
        "steps": stages.get("steps"),
        "seed_nodes": stages.get("steps", 0) * args.batch_size if args.loader == "neighbor" else args.nodes,
        "generate_s": round(generated, 1), "load_and_preprocess_s": round(stages["train_start"] - started, 1),
        "epoch_s": round(stages["epoch_end"] - stages["train_start"], 1), "pretrain_total_s": round(finished - started, 1),
        "peak_rss_gib": {k: round(v, 2) for k, v in memory.items()}, "loss": run.metrics["train"].get("train/loss_epoch"),
        "options": options, "torch_threads": torch.get_num_threads(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
