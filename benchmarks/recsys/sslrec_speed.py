"""Seconds per training epoch: multissl-recsys vs SSLRec (HKUDS/SSLRec) on the same model, data and settings.

SSLRec must be checked out outside this repository (e.g. /tmp/ref_sslrec) with a Python that runs
it (``--sslrec-python``); ``sslrec_harness.py`` (copied there as ``time_sslrec.py``) times its own epoch (negative sampling,
DataLoader, ``cal_loss``/backward/Adam step as ``trainer.Trainer.train_epoch``, no evaluation). Both
sides get the same training matrix (our split), embedding 32, 2 layers, batch 4096, Adam 1e-3 and
one intra-op thread (SSLRec's SimGCL calls ``.cuda()`` unconditionally; the harness makes that a
no-op on CPU); rounds alternate ours / SSLRec so machine load affects both alike. Model
settings: LightGCN without edge dropout (SSLRec's config drops half the edges each step: set
keep_rate=1 to match LightGCN); SGL edge keep 0.5, cl weight 1, τ 0.2; SimGCL ε 0.9, cl weight 0.01, τ 0.1.

    MULTISSL_DATA=../shared/datasets nice -n 5 python benchmarks/recsys/sslrec_speed.py --sslrec /tmp/ref_sslrec --sslrec-python /tmp/ref_sslrec/venv/bin/python --rounds 2 --epochs 2

Results: speed.md.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import statistics
import subprocess
from pathlib import Path

import scipy.sparse as sp
import torch

import multissl

SETTINGS = {
    "lightgcn": ({}, {"model.keep_rate": 1.0}),
    "sgl": ({"drop_ratio": 0.5, "ssl_weight": 1.0, "temperature": 0.2}, {"model.keep_rate": 0.5, "model.cl_weight": 1.0, "model.temperature": 0.2}),
    "simgcl": ({"eps": 0.9, "ssl_weight": 0.01, "temperature": 0.1}, {"model.eps": 0.9, "model.cl_weight": 0.01, "model.temperature": 0.1}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sslrec", type=Path, required=True)
    parser.add_argument("--sslrec-python", required=True)
    parser.add_argument("--dataset", choices=["movielens", "gowalla"], default="movielens")
    parser.add_argument("--models", nargs="+", default=list(SETTINGS))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per round and side")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/recsys_sslrec_speed"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    source = {"movielens": "movielens_small", "gowalla": "gowalla"}[args.dataset]  # dataset names, read under $MULTISSL_DATA
    common = {"batch_size": 4096, "embedding_dim": 32, "n_layers": 2, "lr": 1e-3, "trainer.enable_progress_bar": False}
    args.work.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).with_name("sslrec_harness.py"), args.sslrec / "time_sslrec.py")
    matrix_path = args.work / f"{args.dataset}_train_mat.pkl"
    results = {model: {"ours": [], "sslrec": []} for model in args.models}
    for round_index in range(args.rounds):
        for model in args.models:
            ours, theirs = SETTINGS[model]
            run = multissl.pretrain("interactions", source, method=model, max_epochs=args.epochs, seed=round_index, **common, **ours)
            if not matrix_path.exists():
                with matrix_path.open("wb") as handle:
                    pickle.dump(sp.coo_matrix(run.modality.matrix()), handle)
            train = run.metrics["train"]
            results[model]["ours"].append(train["fit_seconds"] / train["epochs"])
            command = [args.sslrec_python, "time_sslrec.py", model, str(matrix_path), str(args.epochs), str(args.threads),
                       "train.batch_size=4096", "model.embedding_size=32", "model.layer_num=2", *(f"{k}={v}" for k, v in theirs.items())]
            out = subprocess.run(command, cwd=args.sslrec, capture_output=True, text=True, check=True).stdout
            epochs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            results[model]["sslrec"].append(statistics.mean(e["seconds"] for e in epochs))
            print(json.dumps({"round": round_index, "model": model, "ours_s": results[model]["ours"][-1], "sslrec_s": results[model]["sslrec"][-1]}), flush=True)
    print(f"| model ({args.dataset}) | multissl-recsys s/epoch | SSLRec s/epoch | speed-up |")
    print("|---|---|---|---|")
    for model, times in results.items():
        ours, theirs = statistics.mean(times["ours"]), statistics.mean(times["sslrec"])
        print(f"| {model} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.2f}x |")


if __name__ == "__main__":
    main()
