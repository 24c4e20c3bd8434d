"""Why SGL stalls early on Gowalla and SimGCL does not: per-step losses, norms and a gradient probe.

Trains one method for ``--steps`` steps (or ``--max-time``) on a validation split carved from Gowalla's
training file (a random 20% per user, split seed 1; the test file is not read), through
``multissl.pretrain`` with the benchmark's settings (batch 2048, embedding 64, 2 layers, Adam 1e-3),
and prints every ``--log-every`` steps: the total loss, BPR, the two InfoNCE terms and the mean row
norm of the layer-0 user and item embeddings. A Lightning callback prints them, so training is exactly
the benchmark's. ``--probe`` adds, at those steps (SGL, SimGCL):

- the norms of ``∇_E (λ L_cl)`` and ``∇_E L_BPR`` over the embedding table ``E`` and their cosine;
- the share of coordinates where ``sign(∇ total) = sign(∇ L_BPR)`` (Adam's step follows the sign of
  the gradient's running mean, so near 0.5 the BPR signal is lost in the contrast's);
- the mean cosine between the two views of each batch user (``view_pos_cos``), and between a user's
  view and another batch user's (``view_other_abs_cos``, absolute).

The split is graph_cf.py's ``validation_source`` (this script's folder is on ``sys.path`` when it runs).

``--sgl-views propagated`` is a diagnostic SGL variant whose views are the mean of layers 1..L (as
SimGCL's), not the layer mean 0..L of the SGL paper. Validation Recall/NDCG@20 on ``--eval-users``
sampled users at the end.

    nice -n 5 python benchmarks/recsys/contrast_diagnosis.py --method sgl --steps 30 --log-every 3
    nice -n 5 python benchmarks/recsys/contrast_diagnosis.py --method simgcl --steps 1 --log-every 1 --probe --eval-users 100
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F
from graph_cf import GOWALLA, validation_source
from lightning.pytorch.callbacks import Callback
from multissl_recsys.datasets import gowalla
from multissl_recsys.evaluation import ranking_report
from multissl_recsys.sgl import SGL

import multissl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", choices=["lightgcn", "sgl", "simgcl"], default="sgl")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--max-time", default=None, help="training budget DD:HH:MM:SS (then --steps is a cap)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--log-every", type=int, default=5)
    parser.add_argument("--eval-users", type=int, default=5000)
    parser.add_argument("--probe", action="store_true", help="gradient probe at the logged steps (SGL, SimGCL)")
    parser.add_argument("--sgl-views", choices=["layer_mean", "propagated"], default="layer_mean")
    parser.add_argument("--ssl-weight", type=float, default=None)
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--drop-ratio", type=float, default=None)
    parser.add_argument("--eps", type=float, default=None)
    parser.add_argument("--negatives", choices=["all", "batch"], default=None, help="SGL/SimGCL contrast negatives (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    source = validation_source(gowalla(GOWALLA))
    given = {"ssl_weight": args.ssl_weight, "temperature": args.temperature, "drop_ratio": args.drop_ratio, "eps": args.eps, "negatives": args.negatives}
    options = {name: value for name, value in given.items() if value is not None}
    if args.sgl_views == "propagated":
        SGL.ssl_loss = _propagated_view_ssl_loss
    run = multissl.pretrain(
        "interactions", source, method=args.method, max_epochs=100, batch_size=2048, seed=args.seed, lr=args.lr,
        embedding_dim=64, n_layers=2, callbacks=[StepLog(args, time.perf_counter())], **options,
        **{"trainer.enable_progress_bar": False, "trainer.max_steps": args.steps, "trainer.max_time": args.max_time},
    )
    tables = run.modality.__class__(run.modality.options).load(source)
    report = ranking_report(run.modality, run.method, tables, max_users=args.eval_users)
    print("RESULT", json.dumps({"method": args.method, "options": options, "sgl_views": args.sgl_views, "seed": args.seed,
                                "steps": run.metrics["train"]["steps"], "val_recall@20": round(report["recall@20"], 4),
                                "val_ndcg@20": round(report["ndcg@20"], 4), "fit_s": round(run.metrics["train"]["fit_seconds"], 1)}), flush=True)


def _propagated_layers(method, adjacency: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean of layers 1..L (layer 0 left out, as SimGCL's views)."""
    x, total = method.model.embedding.weight, 0
    for conv in method.model.convs:
        x = conv(x, adjacency)
        total = total + x
    total = total / len(method.model.convs)
    return total[: method.n_users], total[method.n_users:]


def _propagated_view_ssl_loss(self, batch):
    first, second = self.views(batch)
    return self.contrast_views(_propagated_layers(self, first), _propagated_layers(self, second), batch)


def _views(method, batch, sgl_views: str):
    """The two views the method contrasts (one fresh draw for SimGCL)."""
    if isinstance(method, SGL):
        first, second = method.views(batch)
        embed = (lambda a: _propagated_layers(method, a)) if sgl_views == "propagated" else method.propagate
        return embed(first), embed(second)
    adjacency, generator = method.graph(batch)[0], method.generator(method.model.embedding.weight.device)
    return method.perturbed(adjacency, generator), method.perturbed(adjacency, generator)


def _probe(method, batch, sgl_views: str) -> dict:
    weight = method.model.embedding.weight
    ssl, _ = method.ssl_loss(batch)
    supervised, _ = method.supervised_loss(batch)
    g_ssl = torch.autograd.grad(method.ssl_weight * ssl, weight, retain_graph=True)[0]
    g_bpr = torch.autograd.grad(supervised, weight, retain_graph=True)[0]
    first, second = _views(method, batch, sgl_views)
    users = torch.unique(batch["user"])
    follows = ((g_ssl + g_bpr).sign() == g_bpr.sign()).float()[g_bpr != 0].mean().item()
    return {
        "grad_norm_ssl": g_ssl.norm().item(), "grad_norm_bpr": g_bpr.norm().item(), "ratio": g_ssl.norm().item() / g_bpr.norm().item(),
        "cos_ssl_bpr": round(F.cosine_similarity(g_ssl.flatten(), g_bpr.flatten(), dim=0).item(), 4), "sign_follows_bpr": round(follows, 4),
        "view_pos_cos": round(F.cosine_similarity(first[0][users], second[0][users], dim=-1).mean().item(), 4),
        "view_other_abs_cos": round(F.cosine_similarity(first[0][users], second[0][users.roll(1)], dim=-1).abs().mean().item(), 4),
    }


class StepLog(Callback):
    """Every ``--log-every`` steps (and the last): the probe and the embedding norms before the step, printed with
    the step's losses after it."""

    def __init__(self, args: argparse.Namespace, started: float) -> None:
        self.args, self.started, self.norms = args, started, None

    def on_train_batch_start(self, trainer, method, batch, batch_idx) -> None:
        step, args = trainer.global_step, self.args
        if args.probe and hasattr(method, "contrast") and step % args.log_every == 0:
            print(json.dumps({"probe_step": step, **_probe(method, batch, args.sgl_views)}), flush=True)
        if step % args.log_every == 0 or step == args.steps - 1:
            with torch.no_grad():
                weight = method.model.embedding.weight
                self.norms = {"step": step, "u0": weight[: method.n_users].norm(dim=1).mean().item(),
                              "i0": weight[method.n_users:].norm(dim=1).mean().item()}

    def on_train_batch_end(self, trainer, method, outputs, batch, batch_idx) -> None:
        if self.norms is None:
            return
        norms, self.norms = self.norms, None
        step = norms.pop("step")
        values = {"loss": float(outputs["loss"]), **{k: float(v) for k, v in outputs["logs"].items()}, **norms}
        print(json.dumps({"step": step, **{k: round(v, 4) for k, v in values.items()}, "t": round(time.perf_counter() - self.started, 1)}), flush=True)


if __name__ == "__main__":
    main()
