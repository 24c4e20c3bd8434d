"""ColloSSL vs single-device SimCLR vs supervised from scratch on ActRecTut, leave-one-subject-out.

    nice -n 5 python benchmarks/sensor/collossl_table.py --out benchmarks/sensor/results.md

(the defaults are the settings of the recorded results.md: seeds 0 1, 15 pretraining epochs, 150 classifier steps).

For each anchor device and seed, both subjects are held out in turn: ColloSSL (all three devices,
the anchor fixed) and SimCLR (the anchor device alone, sensor augmentations) pretrain on the other
subject's unlabelled streams; then 10%, 25% and 100% of that subject's labelled anchor windows train
a classifier on the frozen encoder, on the fine-tuned encoder, and on the same encoder from scratch
(the supervised baseline), all in the same run with the same label subsets and training budget.
Scores are the macro F1 on the held-out subject, averaged over the two folds; the table shows the
mean ± std of that average over seeds.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from multissl_sensor.subject_evaluation import (
    SUPERVISED,
    ClassifierSettings,
    leave_one_subject_out,
)

DATA = Path(__file__).resolve().parents[2] / "../shared/datasets/sensor/actrectut"
SUBJECTS = {name: DATA / f"{name}_gesture/data.mat" for name in ("subject1", "subject2")}
WINDOWING = {"window": 64, "stride": 32, "channels_per_device": 5, "sample_rate": 32.0}
# ActRecTut: per device [acc x, y, z, gyro x, y]; MMD compares accelerometer magnitudes (channels 0-2).


def pretraining(epochs: int, batch_size: int, lr: float) -> dict[str, dict]:
    common = {
        "trainer": {"max_epochs": epochs, "enable_progress_bar": False, "loggers": []},
        "loader": {"batch_size": batch_size},
        "optimizer": {"lr": lr},
    }
    return {
        "collossl": {"method": {"name": "collossl"}, **common},
        "simclr": {"method": {"name": "simclr"}, **common},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--anchors", nargs="+", default=["device0", "device1", "device2"])
    parser.add_argument("--pretrain-epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--classifier-steps", type=int, default=150)
    parser.add_argument("--threads", type=int, default=1, help="torch threads; 1 is fastest on a shared CPU")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--merge", type=Path, nargs="+", metavar="JSON",
                        help="only write the table of the rows saved by earlier runs (e.g. one run per seed)")
    args = parser.parse_args()
    if args.merge:
        rows = [row for path in args.merge for row in json.loads(path.read_text())]
        args.seeds = sorted({row["seed"] for row in rows})
        settings = ClassifierSettings(steps=args.classifier_steps)
        text = report(rows, args, settings, float("nan")).replace(" --out ", f" --merge {' '.join(map(str, args.merge))} --out ")
        print(text)
        if args.out:
            args.out.write_text(text)
            args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
        return
    torch.set_num_threads(args.threads)
    missing = [str(p) for p in SUBJECTS.values() if not p.exists()]
    if missing:
        raise SystemExit(f"ActRecTut is missing: {missing} (see ../shared/datasets/sensor/actrectut).")
    settings = ClassifierSettings(steps=args.classifier_steps)
    rows, started = [], time.perf_counter()
    for seed in args.seeds:  # seeds outermost: an interrupted run still has every anchor for the seeds done
        for anchor in args.anchors:
            rows += [
                {**row, "anchor": anchor}
                for row in leave_one_subject_out(
                    {k: str(v) for k, v in SUBJECTS.items()},
                    pretraining(args.pretrain_epochs, args.batch_size, args.lr),
                    {**WINDOWING, "anchor": anchor},
                    settings,
                    seed=seed,
                )
            ]
            text = report(rows, args, settings, (time.perf_counter() - started) / 60)
            if args.out:  # rewritten after every anchor, so that partial results survive
                args.out.write_text(text)
                args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print(text)


def report(rows: list[dict], args, settings: ClassifierSettings, minutes: float) -> str:
    fractions = settings.fractions
    done = sorted({r["seed"] for r in rows})
    order = [(SUPERVISED, "scratch"), ("collossl", "frozen"), ("collossl", "fine_tune"),
             ("simclr", "frozen"), ("simclr", "fine_tune")]
    lines = [
        "# ColloSSL on ActRecTut: leave-one-subject-out macro F1",
        "",
        "Command: `nice -n 5 python benchmarks/sensor/collossl_table.py --seeds "
        + " ".join(map(str, args.seeds)) + f" --pretrain-epochs {args.pretrain_epochs} --batch-size {args.batch_size}"
        f" --lr {args.lr} --classifier-steps {args.classifier_steps} --threads {args.threads} --out benchmarks/sensor/results.md`",
        "",
        f"Windows {WINDOWING['window']} samples (2 s), stride {WINDOWING['stride']}; pretraining {args.pretrain_epochs} "
        f"epochs, batch {args.batch_size}, AdamW lr {args.lr} cosine; classifiers {settings.steps} steps, batch "
        f"{settings.batch_size}, lr {settings.lr}, head Dense({settings.hidden}). Seeds {args.seeds}; each cell: mean ± std "
        f"over the seeds done ({done}) of the two-fold (subject1, subject2 held out) mean. Wall time {minutes:.1f} min on a "
        "shared 2-core CPU.",
        "",
        "| anchor | representation | " + " | ".join(f"{f:.0%} labels" for f in fractions) + " |",
        "|---|---|" + "---|" * len(fractions),
    ]
    for anchor in [a for a in args.anchors if any(r["anchor"] == a for r in rows)]:
        for name, mode in order:
            cells = []
            for fraction in fractions:
                per_seed = [
                    np.mean(found)
                    for seed in done
                    if (found := [r["macro_f1"] for r in rows if r["anchor"] == anchor and r["representation"] == name
                                  and r["mode"] == mode and r["fraction"] == fraction and r["seed"] == seed])
                ]
                cells.append(f"{np.mean(per_seed):.3f} ± {np.std(per_seed):.3f}")
            label = "supervised from scratch" if name == SUPERVISED else f"{name} {mode.replace('_', '-')}"
            lines.append(f"| {anchor} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
