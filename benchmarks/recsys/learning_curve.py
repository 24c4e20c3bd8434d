"""Validation Recall@20 against training time on Gowalla: for choosing each model's learning rate fairly.

Trains one method through ``multissl.pretrain`` with graph_cf.py's Gowalla settings (batch 2048, embedding 64,
2 layers, Adam) on the validation split carved from the training file (graph_cf.py's ``validation_source``: a random
20% per user, split seed 1; the test file is not read) and, every ``--every`` steps, ranks every item for
``--eval-users`` sampled validation users and prints the metrics with that step's losses (BPR, the InfoNCE terms).
The printed ``train_s`` is the training time so far, the evaluations left out, so curves of different methods and
learning rates compare at equal training time. The method's ``_total_loss`` is wrapped to evaluate before the step,
so training is exactly the benchmark's (contrast_diagnosis.py wraps it the same way).

    nice -n 5 python benchmarks/recsys/learning_curve.py --method lightgcn --lr 0.01 --steps 3501 --every 250
    nice -n 5 python benchmarks/recsys/learning_curve.py --method sgl --lr 0.01 --steps 401 --every 50
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from graph_cf import GOWALLA, validation_source
from multissl_recsys.datasets import gowalla
from multissl_recsys.evaluation import ranking_report
from multissl_recsys.lightgcn import LightGCN
from multissl_recsys.modality import Interactions, InteractionsOptions

import multissl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", choices=["lightgcn", "sgl", "simgcl"], default="sgl")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--steps", type=int, default=401)
    parser.add_argument("--every", type=int, default=50, help="evaluate every this many steps")
    parser.add_argument("--eval-users", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ssl-weight", type=float, default=None)
    parser.add_argument("--temperature", type=float, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    source = validation_source(gowalla(GOWALLA))
    modality = Interactions(InteractionsOptions())
    tables = modality.load(source)
    modality.fit(tables)
    given = {"ssl_weight": args.ssl_weight, "temperature": args.temperature}
    options = {name: value for name, value in given.items() if value is not None}
    LightGCN._total_loss = _evaluating(LightGCN._total_loss, modality, tables, args)
    multissl.pretrain(
        "interactions", source, method=args.method, max_epochs=1000, batch_size=2048, seed=args.seed, lr=args.lr,
        embedding_dim=64, n_layers=2, **options, **{"trainer.enable_progress_bar": False, "trainer.max_steps": args.steps},
    )


def _evaluating(total_loss, modality, tables, args: argparse.Namespace):
    """``_total_loss`` that first prints the validation metrics every ``--every`` steps, timing training alone."""
    clock = {"trained": 0.0, "since": time.perf_counter()}

    def evaluated(self, batch):
        step = self.global_step
        if step % args.every != 0 or step == 0:
            return total_loss(self, batch)
        clock["trained"] += time.perf_counter() - clock["since"]
        report = ranking_report(modality, self, tables, max_users=args.eval_users)
        self.train()
        self.graph(batch)  # the evaluation replaced the cached training graph: rebuilt here, off the clock
        clock["since"] = time.perf_counter()
        loss, logs = total_loss(self, batch)
        print(json.dumps({"method": args.method, "lr": args.lr, "step": step, "train_s": round(clock["trained"], 1),
                          **{k: round(report[k], 4) for k in ("recall@20", "ndcg@20", "tail/recall@20")},
                          **{k: round(float(v), 4) for k, v in logs.items()}}), flush=True)
        return loss, logs

    return evaluated


if __name__ == "__main__":
    main()
