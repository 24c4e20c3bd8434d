"""SelfTask label-free pretraining on neighbour mini-batches of a generated graph of >= 1M edges: flat memory.

    python benchmarks/graph/selftask_large.py --nodes 200000 --edges 1005000 --steps 200

The graph: ``nodes`` nodes in ``communities`` equal communities; each of ``edges`` undirected edges joins
a random node to a random node of its own community (probability ``p_in``) or of any community;
features: 32-d community centroid + Gaussian noise (absolute values). Each mini-batch task trains
label-free (``supervised=False``) through ``multissl.pretrain`` with ``data.loader: neighbor``
(batches of ``batch_size`` seed nodes, 10 sampled neighbours), for ``steps`` steps. The process RSS
(psutil) is recorded after every step: flat memory means the last step's RSS is the early steps'.
Then a logistic-regression probe on 20,000 random nodes (half train, half test) of the embeddings
against the communities, next to the same probe on the raw features.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import psutil
import torch
from sklearn.linear_model import LogisticRegression
from torch_geometric.data import Data

import multissl
from multissl.plugins import registry
from multissl_graph.selftask import SelfTask


def community_graph(nodes: int, edges: int, communities: int, p_in: float, seed: int) -> Data:
    generator = torch.Generator().manual_seed(seed)
    community = torch.arange(nodes) % communities
    source = torch.randint(nodes, (edges,), generator=generator)
    same = torch.rand(edges, generator=generator) < p_in
    size = nodes // communities
    inside = community[source] + communities * torch.randint(size, (edges,), generator=generator)
    target = torch.where(same, inside, torch.randint(nodes, (edges,), generator=generator))
    centroids = torch.randn(communities, 32, generator=generator)
    x = (centroids[community] + 2.0 * torch.randn(nodes, 32, generator=generator)).abs()
    return Data(x=x, edge_index=torch.stack([source, target]), y=community)


class MemoryTracedSelfTask(SelfTask):
    """SelfTask recording the process RSS (bytes) and the time after every training step."""

    def on_train_batch_end(self, outputs, batch, batch_idx):
        trace = self.__dict__.setdefault("trace", [])
        trace.append((time.perf_counter(), psutil.Process().memory_info().rss))


def probe(features: np.ndarray, labels: np.ndarray, seed: int) -> float:
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(labels), size=min(20000, len(labels)), replace=False)
    half = len(rows) // 2
    model = LogisticRegression(max_iter=2000).fit(features[rows[:half]], labels[rows[:half]])
    return float(model.score(features[rows[half:]], labels[rows[half:]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--edges", type=int, default=1_005_000)
    parser.add_argument("--communities", type=int, default=20)
    parser.add_argument("--p-in", type=float, default=0.7)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--tasks", nargs="+", default=["node_property", "distance2clusters", "attribute_mask"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    registry().add_method("selftask_memory", MemoryTracedSelfTask, modalities=["graph"])
    data = community_graph(args.nodes, args.edges, args.communities, args.p_in, args.seed)
    data.y = data.y.clone()
    labels = data.y.numpy().copy()
    del data.y  # label-free: the graph carries no labels
    undirected = torch.unique(torch.sort(data.edge_index, dim=0).values[:, data.edge_index[0] != data.edge_index[1]], dim=1).shape[1]
    print(f"graph: {args.nodes:,} nodes, {undirected:,} undirected edges ({2 * undirected:,} directed), 32 features", flush=True)
    print(f"raw-feature probe accuracy: {probe(data.x.numpy(), labels, args.seed):.3f}", flush=True)
    print("| task | steps | steps/s | RSS before training (MB) | RSS step 20 (MB) | RSS last step (MB) | max RSS in training (MB) | probe accuracy |")
    print("|---|---|---|---|---|---|---|---|")
    for task in args.tasks:
        before = psutil.Process().memory_info().rss
        run = multissl.pretrain(
            "graph", data, method="selftask_memory", task=task, supervised=False, seed=args.seed, batch_size=args.batch_size,
            **{"data.loader": "neighbor", "data.num_neighbors": [10], "data.normalize_features": False,
               "trainer.max_steps": args.steps, "trainer.max_epochs": -1, "trainer.enable_progress_bar": False, "trainer.loggers": []},
        )
        times, rss = zip(*run.method.trace)
        embeddings = run.embed(data)
        mb = lambda value: value / 2**20  # noqa: E731
        rate = (len(times) - 1) / (times[-1] - times[0])
        print(f"| {task} | {len(rss)} | {rate:.1f} | {mb(before):.0f} | {mb(rss[min(19, len(rss) - 1)]):.0f} | {mb(rss[-1]):.0f} "
              f"| {mb(max(rss)):.0f} | {probe(embeddings, labels, args.seed):.3f} |", flush=True)


if __name__ == "__main__":
    main()
