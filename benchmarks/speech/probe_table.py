"""Downstream table on the shared speech data: log-mel vs TERA vs HuBERT (iterations 1 and 2), linear probes.

Pretraining data: every --pretrain-every-th clip of FSDD's training split (default 900 of 2,700; with
--with-librispeech also LibriSpeech train-clean-100, 251 clips cropped to --crop-seconds at random each epoch); no
test clip of any task is seen in pretraining. Each seed pretrains
every model afresh, then probes frozen, mean-pooled features: the core linear probe on the last layer, and a
learned weighted sum of layers (SUPERB-style) with a linear classifier. The log-mel row uses the same probes on
mean-pooled log-mel (input projection not involved). Throughput: seconds of audio per second of training.
HuBERT's training settings (unmasked-frame loss weight, lr, Adam betas, dropout, 8 kHz front end, K) are flags;
``--skip-tera`` leaves TERA out (log-mel then comes from its own modality).

    python benchmarks/speech/probe_table.py --seeds 0 1 2 --out benchmarks/speech/results.md
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from multissl_speech.downstream import (
    fsdd_tasks,
    layer_embeddings,
    librispeech_speaker_task,
    probe_last_layer,
    weighted_layer_probe,
)
from multissl_speech.hubert import EIGHT_KHZ_FRONT_END, export_hubert
from multissl_speech.modality import Speech, SpeechOptions
from threadpoolctl import threadpool_limits

import multissl

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "speech"
QUIET = {"trainer.enable_progress_bar": False, "trainer.log_every_n_steps": 50}


def tera_options(args):
    return {"d_model": args.dim, "num_layers": args.layers, "num_heads": 4, "ffn_dim": 4 * args.dim, "dropout": 0.1}


def hubert_options(args):
    front_end = EIGHT_KHZ_FRONT_END if args.hubert_sample_rate == 8000 else {}
    layers = len(front_end.get("conv_kernel", [0] * 7))
    return {"hidden_size": args.dim, "num_layers": args.layers, "num_heads": 4, "ffn_dim": 4 * args.dim, "conv_dim": [args.conv_dim] * layers,
            **front_end, "conv_pos_kernel": 32, "conv_pos_groups": 4, "dropout": args.hubert_dropout, "n_clusters": args.clusters,
            "unmasked_weight": args.hubert_unmasked_weight,
            "kmeans_n_init": 3}


def data_options(features_cmvn: str, args, sample_rate: int = 16000):
    return {"max_seconds": args.crop_seconds, "max_batch_seconds": args.batch_seconds, "cmvn": features_cmvn,
            "sample_rate": sample_rate}


def pretrain(method, sources, seed, epochs, options, data, args, lr, optimizer=None):
    started = time.perf_counter()
    run = multissl.pretrain("speech", sources, method=method, max_epochs=epochs, batch_size=64, seed=seed,
                            **{f"data.{k}": v for k, v in data.items()}, **options, **QUIET,
                            **{"optimizer.lr": lr}, **{f"optimizer.{k}": v for k, v in (optimizer or {}).items()})
    fit = run.metrics["train"]["fit_seconds"]
    audio = sum(min(d, args.crop_seconds) for d in run.modality.load(sources).durations) * epochs
    return run, {"fit_seconds": fit, "audio_per_second": audio / fit, "wall": time.perf_counter() - started,
                 "final_loss": run.metrics["train"].get("train/loss_epoch"), "epochs": epoch_curves(run)}


def epoch_curves(run) -> dict[str, list[float]]:
    """Per-epoch training metrics from the run's CSV log (loss, and e.g. HuBERT's masked_accuracy)."""
    logs = sorted(Path(run.work_dir).glob("logs/version_*/metrics.csv"))
    if not logs:
        return {}
    table = pd.read_csv(logs[-1])
    columns = [c for c in table.columns if c.startswith("train/") and not c.endswith("_step") and c != "train/loss"]
    rows = table.dropna(subset=["train/loss_epoch"]) if "train/loss_epoch" in table else table.iloc[:0]
    return {c.removeprefix("train/"): [round(float(v), 4) for v in rows[c]] for c in columns}


def evaluate(run, tasks, seed):
    rows = {}
    for task in tasks:
        raws = [run.modality.load(p) for p in (task.train_paths, task.test_paths)]
        train, test = (layer_embeddings(run.method, run.modality, raw) for raw in raws)
        rows[task.name] = {"linear": probe_last_layer(train[:, -1], task.train_labels, test[:, -1], task.test_labels, seed),
                           "weighted": weighted_layer_probe(train, task.train_labels, test, task.test_labels, seed=seed)["accuracy"]}
    return rows


def logmel_modality(args) -> Speech:
    """16 kHz log-mel without CMVN (the probe standardises its inputs, so this equals TERA's global-CMVN log-mel)."""
    modality = Speech(SpeechOptions(cmvn="none", max_seconds=args.crop_seconds, max_batch_seconds=args.batch_seconds))
    modality.fitted = True  # no fitted state without CMVN
    return modality


def logmel_rows(modality, tasks, seed):
    rows = {}
    for task in tasks:
        train, test = (modality.baseline_features(modality.load(p)) for p in (task.train_paths, task.test_paths))
        acc = probe_last_layer(train, task.train_labels, test, task.test_labels, seed)
        rows[task.name] = {"linear": acc, "weighted": acc}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--tera-epochs", type=int, default=3)
    parser.add_argument("--hubert-epochs", type=int, default=3)
    parser.add_argument("--iter2-epochs", type=int, default=1)
    parser.add_argument("--with-librispeech", action="store_true", help="also pretrain on LibriSpeech train-clean-100")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a shared 2-core machine)")
    parser.add_argument("--pretrain-every", type=int, default=3, help="pretrain on every k-th FSDD training clip")
    parser.add_argument("--logmel-only", action="store_true", help="only the log-mel rows of --seeds (no pretraining)")
    parser.add_argument("--smoke", action="store_true", help="every 10th file only: checks the script end to end")
    parser.add_argument("--dim", type=int, default=192)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--conv-dim", type=int, default=64)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--hubert-lr", type=float, default=None, help="HuBERT's peak learning rate (default: --lr)")
    parser.add_argument("--hubert-sample-rate", type=int, default=16000, choices=(8000, 16000),
                        help="HuBERT's input rate; 8000 (FSDD's native rate) uses the front end EIGHT_KHZ_FRONT_END")
    parser.add_argument("--hubert-dropout", type=float, default=0.1)
    parser.add_argument("--hubert-unmasked-weight", type=float, default=0.0,
                        help="HuBERT's cross-entropy weight on unmasked frames (fairseq pred_nomask_weight; Base: 0)")
    parser.add_argument("--hubert-betas", type=float, nargs=2, default=None, help="HuBERT's Adam betas (default: the method's)")
    parser.add_argument("--skip-tera", action="store_true", help="log-mel and HuBERT rows only (log-mel from its own modality)")
    parser.add_argument("--crop-seconds", type=float, default=4.0)
    parser.add_argument("--batch-seconds", type=float, default=32.0)
    parser.add_argument("--work", default="/tmp/speech_bench")
    parser.add_argument("--out", default=None)
    parser.add_argument("--merge", nargs="+", default=None, metavar="RESULTS_JSON",
                        help="only render the table of several runs' results.json (e.g. one process per seed)")
    args = parser.parse_args()
    if args.merge:
        merged = {"args": None, "seeds": {}}
        for path in map(Path, args.merge):
            if path.suffix == ".json":
                run = json.loads(path.read_text())
                merged["args"] = merged["args"] or run["args"]
                for seed, rows in run["seeds"].items():
                    merged["seeds"].setdefault(str(seed), {}).update(rows)
            else:  # a log: the per-model lines "<seed> <model> {json}" printed as each model finishes
                for line in path.read_text().splitlines():
                    parts = line.split(" ", 2)
                    if len(parts) == 3 and parts[0].isdigit() and parts[2].startswith("{"):
                        merged["seeds"].setdefault(parts[0], {})[parts[1]] = json.loads(parts[2])
        merged["args"] = merged["args"] or vars(args)
        table = render(merged)
        print(table)
        if args.out:
            Path(args.out).write_text(table + "\n")
        return
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)  # scikit-learn's OpenMP too: thread barriers are costly on a shared machine
    fsdd = ROOT / "fsdd" / "recordings"
    tasks = [*fsdd_tasks(fsdd), librispeech_speaker_task(ROOT / "librispeech_subset" / "librispeech_test-other")]
    if args.smoke:
        for task in tasks[:2]:
            task.train_paths, task.train_labels = task.train_paths[::10], task.train_labels[::10]
            task.test_paths, task.test_labels = task.test_paths[::5], task.test_labels[::5]
    pretrain_paths = list(tasks[0].train_paths[:: args.pretrain_every])
    if args.with_librispeech:
        pretrain_paths += sorted(str(p) for p in (ROOT / "librispeech_subset" / "librispeech_train-clean-100").glob("*.flac"))
    if args.logmel_only:
        modality = logmel_modality(args)
        features = {t.name: [modality.baseline_features(modality.load(p)) for p in (t.train_paths, t.test_paths)] for t in tasks}
        for seed in args.seeds:
            rows = {}
            for task in tasks:
                train, test = features[task.name]
                accuracy = probe_last_layer(train, task.train_labels, test, task.test_labels, seed)
                rows[task.name] = {"linear": accuracy, "weighted": accuracy}
            print(seed, "logmel", json.dumps(rows), flush=True)
        return
    results = {"args": vars(args), "seeds": {}}
    for seed in args.seeds:
        work = Path(args.work) / f"seed{seed}"
        per_seed = {}
        if args.skip_tera:
            per_seed["logmel"] = logmel_rows(logmel_modality(args), tasks, seed)
        else:
            tera, tera_speed = pretrain("tera", pretrain_paths, seed, args.tera_epochs, tera_options(args),
                                        data_options("global", args), args, args.lr)
            per_seed["logmel"] = logmel_rows(tera.modality, tasks, seed)
        print(seed, "logmel", json.dumps(per_seed["logmel"]), flush=True)
        if not args.skip_tera:
            per_seed["tera"] = {**evaluate(tera, tasks, seed), "speed": tera_speed}
            print(seed, "tera", json.dumps(per_seed["tera"]), flush=True)
        hubert_data = data_options("utterance", args, args.hubert_sample_rate)
        hubert_optimizer = {"betas": tuple(args.hubert_betas)} if args.hubert_betas else None
        hubert1, speed1 = pretrain("hubert", pretrain_paths, seed, args.hubert_epochs, hubert_options(args),
                                   hubert_data, args, args.hubert_lr or args.lr, hubert_optimizer)
        per_seed["hubert_it1"] = {**evaluate(hubert1, tasks, seed), "speed": speed1}
        print(seed, "hubert_it1", json.dumps(per_seed["hubert_it1"]), flush=True)
        if args.iter2_epochs > 0:
            teacher = export_hubert(hubert1, work / "hubert_it1")
            hubert2, speed2 = pretrain("hubert", pretrain_paths, seed, args.iter2_epochs,
                                       {**hubert_options(args), "teacher": str(teacher), "teacher_layer": args.layers - 1},
                                       hubert_data, args, args.hubert_lr or args.lr, hubert_optimizer)
            per_seed["hubert_it2"] = {**evaluate(hubert2, tasks, seed), "speed": speed2}
            print(seed, "hubert_it2", json.dumps(per_seed["hubert_it2"]), flush=True)
        results["seeds"][seed] = per_seed
        Path(args.work).mkdir(parents=True, exist_ok=True)
        (Path(args.work) / "results.json").write_text(json.dumps(results, indent=1))
    table = render(results)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")


def render(results) -> str:
    seeds = sorted(map(str, results["seeds"]), key=int)
    results = {**results, "seeds": {str(k): v for k, v in results["seeds"].items()}}  # int keys when run directly
    models = [m for m in ("logmel", "tera", "hubert_it1", "hubert_it2") if any(m in results["seeds"][s] for s in seeds)]
    tasks = ["fsdd_digit", "fsdd_speaker", "librispeech_speaker"]
    a = results["args"]
    hubert_lr = f" (HuBERT {a['hubert_lr']})" if a.get("hubert_lr") else ""
    hubert_lr += (f"; HuBERT: {a.get('hubert_sample_rate', 16000)} Hz, dropout {a.get('hubert_dropout', 0.1)}, "
                  f"unmasked weight {a.get('hubert_unmasked_weight', 0.0)}, K {a.get('clusters', 100)}, "
                  f"betas {tuple(a['hubert_betas']) if a.get('hubert_betas') else 'default'}")
    lines = [(f"Seeds {seeds}; pretraining on every {a['pretrain_every']}-th FSDD training clip"
             f"{' + LibriSpeech train-clean-100' if a['with_librispeech'] else ''}; model {a['layers']} layers x {a['dim']} (HuBERT conv {a['conv_dim']} channels); epochs: "
             f"TERA {'not run' if a.get('skip_tera') else a['tera_epochs']}, HuBERT it1 {a['hubert_epochs']}, it2 {a['iter2_epochs']}; crops {a['crop_seconds']} s; "
             f"batches <= {a['batch_seconds']} s of audio; lr {a['lr']}{hubert_lr}."), "",
             "| features | seeds | " + " | ".join(f"{t} linear | {t} weighted" for t in tasks) + " | pretrain audio-s/s |",
             "|---|---|" + "---|---|" * len(tasks) + "---|"]
    for model in models:
        have = [s for s in seeds if model in results["seeds"][s]]
        cells = []
        for task in tasks:
            for probe in ("linear", "weighted"):
                values = np.array([results["seeds"][s][model][task][probe] for s in have])
                cells.append(f"{values.mean():.3f} ± {values.std():.3f}")
        speed = [results["seeds"][s][model].get("speed", {}).get("audio_per_second") for s in have]
        speed_cell = "" if speed[0] is None else f"{np.mean(speed):.1f}"
        lines.append(f"| {model} | {','.join(have)} | " + " | ".join(cells) + f" | {speed_cell} |")
    lines += per_seed_lines(results, models, seeds, tasks)
    curves = [(model, s, results["seeds"][s][model]["speed"]["epochs"]) for model in models for s in seeds
              if results["seeds"][s].get(model, {}).get("speed", {}).get("epochs")]
    if curves:
        lines += ["", "Per-epoch training curves (from the runs' CSV logs):", ""]
        for model, seed, curve in curves:
            lines.append(f"- {model} seed {seed}: " + "; ".join(f"{k} " + ", ".join(f"{v:.3f}" for v in values)
                                                              for k, values in curve.items()))
    return "\n".join(lines)


def per_seed_lines(results, models, seeds, tasks) -> list[str]:
    """Each model's accuracy per seed, and its paired difference from log-mel (mean ± sample sd over the seeds)."""
    lines = ["", "Per seed (" + ", ".join(seeds) + "), linear / weighted probe; difference from log-mel, linear probe, paired by seed:", ""]
    for model in models:
        have = [s for s in seeds if model in results["seeds"][s]]
        for task in tasks:
            linear, weighted = (np.array([results["seeds"][s][model][task][probe] for s in have]) for probe in ("linear", "weighted"))
            line = (f"- {model} {task}: linear " + " / ".join(f"{v:.4f}" for v in linear)
                    + "; weighted " + " / ".join(f"{v:.4f}" for v in weighted))
            paired = [s for s in have if "logmel" in results["seeds"][s]]
            if model != "logmel" and len(paired) > 1:
                difference = np.array([results["seeds"][s][model][task]["linear"] - results["seeds"][s]["logmel"][task]["linear"] for s in paired])
                line += f"; minus log-mel {difference.mean():+.4f} ± {difference.std(ddof=1):.4f}"
            lines.append(line)
    return lines


if __name__ == "__main__":
    main()
