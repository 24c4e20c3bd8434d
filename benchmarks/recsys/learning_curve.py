"""Validation Recall@20 against training time on Gowalla: for choosing each model's learning rate fairly.

Trains one method through ``multissl.pretrain`` with graph_cf.py's Gowalla settings (batch 2048, embedding 64,
2 layers, Adam) on the validation split carved from the training file (graph_cf.py's ``validation_source``: a random
20% per user, split seed 1; the test file is not read) and, every ``--every`` steps, ranks every item for
``--eval-users`` sampled validation users and prints the metrics with that step's losses (BPR, the InfoNCE terms).
The printed ``train_s`` is the training time so far, the evaluations left out, so curves of different methods and
learning rates compare at equal training time. A Lightning callback evaluates before the step and prints after it,
so training is exactly the benchmark's (contrast_diagnosis.py watches training the same way).

    nice -n 5 python benchmarks/recsys/learning_curve.py --method lightgcn --lr 0.01 --steps 3501 --every 250
    nice -n 5 python benchmarks/recsys/learning_curve.py --method sgl --lr 0.01 --steps 401 --every 50
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from graph_cf import GOWALLA, validation_source
from lightning.pytorch.callbacks import Callback
from multissl_recsys.datasets import gowalla
from multissl_recsys.evaluation import ranking_report
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
    multissl.pretrain(
        "interactions", source, method=args.method, max_epochs=1000, batch_size=2048, seed=args.seed, lr=args.lr,
        embedding_dim=64, n_layers=2, callbacks=[ValidationCurve(modality, tables, args)], **options,
        **{"trainer.enable_progress_bar": False, "trainer.max_steps": args.steps},
    )


class ValidationCurve(Callback):
    """Every ``--every`` steps: the validation metrics before the step, printed with the step's losses after it;
    ``train_s`` counts training time alone."""

    def __init__(self, modality, tables, args: argparse.Namespace) -> None:
        self.modality, self.tables, self.args = modality, tables, args
        self.trained, self.since, self.report = 0.0, time.perf_counter(), None

    def on_train_batch_start(self, trainer, method, batch, batch_idx) -> None:
        step = trainer.global_step
        if step % self.args.every != 0 or step == 0:
            return
        self.trained += time.perf_counter() - self.since
        self.report = {"step": step, **ranking_report(self.modality, method, self.tables, max_users=self.args.eval_users)}
        method.train()
        method.graph(batch)  # the evaluation replaced the cached training graph: rebuilt here, off the clock
        self.since = time.perf_counter()

    def on_train_batch_end(self, trainer, method, outputs, batch, batch_idx) -> None:
        if self.report is None:
            return
        report, self.report = self.report, None
        print(json.dumps({"method": self.args.method, "lr": self.args.lr, "step": report["step"], "train_s": round(self.trained, 1),
                          **{k: round(report[k], 4) for k in ("recall@20", "ndcg@20", "tail/recall@20")},
                          **{k: round(float(v), 4) for k, v in outputs["logs"].items()}}), flush=True)


if __name__ == "__main__":
    main()
