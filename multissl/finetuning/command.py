"""``multissl finetune RUN --data ... --labels ... -o OUT``: the command-line face of :func:`multissl.finetune`.

Imports nothing heavy until the command runs (``multissl plugins`` stays fast)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def add_parser(sub) -> None:
    p = sub.add_parser("finetune", help="fine-tune a saved run's encoder with a task head on labelled data")
    p.add_argument("run", help="run directory")
    p.add_argument("--data", help="labelled data: a path or a dataset name (default: the run's training data)")
    p.add_argument("--labels", help="label column name, or a .npy/.csv file with one label per sample (default: the data's own)")
    p.add_argument("--task", choices=["classification", "regression"], default="classification")
    p.add_argument("--what", help="the table of samples to label where the modality has several (interactions: items or users)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--epochs", type=int, default=50, help="at most this many epochs; early stopping on the validation loss")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--val-fraction", type=float, default=0.2, help="share of the labelled samples held out for early stopping")
    p.add_argument("--patience", type=int, default=5, help="epochs without a better validation loss before stopping")
    p.add_argument("--freeze", action="store_true", help="train the head only (a linear probe through the same engine)")
    p.add_argument("--from-scratch", action="store_true", help="re-initialise the encoder first (the supervised baseline)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", required=True, help="directory to save the fine-tuned run in (multissl.load reads it)")
    p.set_defaults(handler=run_command)


def read_labels(labels: str | None) -> Any:
    """A label column name as given, or the labels in a ``.npy``/``.csv`` file (one per sample)."""
    import numpy as np

    if labels is not None and Path(labels).suffix in (".npy", ".csv") and Path(labels).is_file():
        return np.load(labels, allow_pickle=False) if labels.endswith(".npy") else np.loadtxt(labels, delimiter=",", dtype=str)
    return labels


def run_command(args) -> int:
    from multissl import api
    from multissl.finetuning.run import finetune

    run = api.load(args.run)
    tuned = finetune(
        run, args.data, read_labels(args.labels), task=args.task, what=args.what, lr=args.lr, epochs=args.epochs, batch_size=args.batch_size,
        freeze=args.freeze, from_scratch=args.from_scratch, val_fraction=args.val_fraction, patience=args.patience,
        seed=args.seed, output_dir=args.output,
    )
    print(json.dumps(tuned.metrics["finetune"], indent=2, default=str))
    print(f"Saved the fine-tuned run to {args.output}")
    return 0
