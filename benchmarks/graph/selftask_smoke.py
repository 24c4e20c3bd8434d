"""A quick Cora check of the SelfTask tasks that exist so far (not the issue's benchmark).

    python benchmarks/graph/selftask_smoke.py pairwise_distance edge_mask node_property --seed 0

Public Planetoid split; joint training (NLL on the 140 training nodes + lambda * task loss) for 200
epochs with the method's own optimizer defaults; test accuracy of the LAST epoch (no selection on
validation yet). Needs ../shared/datasets/graph/Cora (copied to a temporary directory for PyG).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import torch
from torch_geometric.datasets import Planetoid

import multissl

CORA_RAW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "graph" / "Cora" / "raw"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("methods", nargs="+")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    shutil.copytree(CORA_RAW, root / "Cora" / "raw")
    data = Planetoid(str(root), "Cora")[0]
    for method in args.methods:
        started = time.perf_counter()
        run = multissl.pretrain(
            "graph", data, method=method, max_epochs=args.epochs, seed=args.seed,
            **{"trainer.enable_progress_bar": False},
        )
        seconds = time.perf_counter() - started
        batch = run.modality.transform(run.modality.load(data))
        with torch.no_grad():
            predicted = run.method.eval().predict_classes(batch)
        accuracy = (predicted[data.test_mask] == data.y[data.test_mask]).float().mean().item()
        print(f"{method:<20} test accuracy {accuracy:.3f}  ({seconds:.1f} s)", flush=True)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
