"""Tabular benchmark: quality of T-JEPA and SCARF embeddings against raw-feature baselines, pretraining speed
against the reference T-JEPA, and the memory of streaming a large Parquet file.

    python benchmarks/tabular/benchmark.py quality [--seeds 0 1 2] [--datasets adult ...]
    python benchmarks/tabular/benchmark.py speed --reference /tmp/ref_tjepa --reference-python /tmp/ref_tjepa/venv/bin/python
    python benchmarks/tabular/benchmark.py stream [--rows 1000000]
    python benchmarks/tabular/benchmark.py speed-parts [--steps 8]
    python benchmarks/tabular/benchmark.py attention [--repeats 40]

quality: one fixed split per table (64 % train, 16 % validation, 20 % test; stratified for classification).
T-JEPA and SCARF pretrain on the training rows only (no labels), once per table with seed 0 and the reduced
settings in ``PRETRAIN``; then for every seed: an MLP head on the frozen embeddings (every output token,
flattened), an MLP on the raw features (scaled numerics, missing indicators, one-hot categories) and
scikit-learn's HistGradientBoosting on the raw columns (native categorical support). Every model picks its
epoch / number of trees on the validation split; the test split is scored once. The core linear probe runs
on the mean-pooled embeddings. Classification: accuracy; regression: RMSE of the standardised target (the
paper's unit). Prints a markdown table (mean ± std over seeds). ``--head-grid`` chooses each MLP's head (dropout,
weight decay, width, learning rate; for embeddings also a per-token projection) on the first seed's validation
split; ``--embeddings-cache DIR`` saves each pretraining's embeddings and reuses them for the same options.

speed: pretraining rows per second at the reference's model size and batch (512) on Adult, ours through
Lightning (the same trainer ``multissl.pretrain`` builds), the reference's training-loop body through
``reference_tjepa_steps.py`` with its own interpreter, alternated round by round so CPU contention hits both alike;
``--previous DIR`` also times an earlier checkout of ours (with ``../shared`` beside it) in the same rounds.

speed-parts: CPU time of a T-JEPA step with each of this plugin's speed-ups switched off in turn, on the same
batches and random draws (what each one is worth).

attention: forward + backward time of the attention kernels at the shapes of a T-JEPA step (reference size).

stream: writes a Parquet file of ``--rows`` rows (12 numeric, 4 categorical columns, 64k-row groups) in a
temporary directory and pretrains a small T-JEPA on it with ``data.streaming=true`` in a fresh process for
1 epoch capped at ``--steps`` steps (-1: the whole epoch), plus a full pass of ``fit`` over every row; reports
peak RSS and RSS sampled over time for the full file and for a file a tenth its size (flat memory: about the
same peak, and no growth from the first tenth of the run to the last).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "datasets" / "tabular"
HERE = Path(__file__).resolve().parent

TABLES = {
    "adult": {"path": "adult/adult.parquet", "label": "income", "options": {"data.missing_values": ["?"]}},
    "california_housing": {"path": "california_housing/california_housing.parquet", "label": "MedHouseVal"},
    "mushroom": {"path": "mushroom/mushroom.csv", "label": "target", "all_categorical": True},
    "heart_disease": {"path": "heart_disease/heart_disease.csv", "label": "target"},
}
# Reduced versus the paper (width 64, 16+16 layers, 300 epochs, batch 512) to fit a shared 2-core CPU.
TJEPA_SMALL = {"dim": 32, "num_layers": 4, "ffn_dim": 64, "predictor_layers": 2, "predictor_ffn_dim": 64, "embedding": "tokens"}
SCARF_SMALL = {"dim": 32, "num_layers": 2, "ffn_dim": 64, "embedding": "tokens"}
PRETRAIN = {  # table -> (max pretraining rows, epochs, batch size)
    "adult": (8000, 6, 256),
    "california_housing": (8000, 6, 256),
    "mushroom": (5199, 6, 256),
    "heart_disease": (194, 60, 64),
}


def split(labels: np.ndarray, classification: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    index = np.arange(len(labels))
    stratify = labels if classification else None
    rest, test = train_test_split(index, test_size=0.2, random_state=seed, stratify=stratify)
    train, val = train_test_split(rest, test_size=0.2, random_state=seed, stratify=stratify[rest] if classification else None)
    return train, val, test


def quality(args: argparse.Namespace) -> None:
    import torch
    from multissl_tabular.downstream import fit_mlp_head

    import multissl
    from multissl.eval.linear_probe import linear_probe
    from multissl.recipe import parse_assignment

    torch.set_num_threads(args.threads)
    head_options = _head_options(args)
    rows = []
    for name in args.datasets:
        spec = TABLES[name]
        path = DATA / spec["path"]
        if not path.is_file():
            print(f"skip {name}: {path} is absent")
            continue
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        label = spec["label"]
        classification = name != "california_housing"
        frame = frame[frame[label].notna()].reset_index(drop=True)
        if spec.get("all_categorical"):
            frame[[c for c in frame.columns if c != label]] = frame.drop(columns=label).astype("str")
        y = frame[label].to_numpy()
        train, val, test = split(y, classification)
        scale = float(np.std(y[train].astype(float))) if not classification else 1.0
        features = frame.drop(columns=label)
        options = dict(spec.get("options", {}))
        max_rows, epochs, batch = PRETRAIN[name]
        max_rows = args.pretrain_rows if args.pretrain_rows is not None else max_rows
        epochs = args.pretrain_epochs or epochs
        batch = args.pretrain_batch_size or batch
        if args.quick:
            max_rows, epochs = min(max_rows, 2000), 1
        pretrain_rows = np.random.default_rng(0).permutation(train)[:max_rows]
        results: dict[str, list[float]] = {}
        info: dict[str, str] = {}
        tjepa_config = {**TJEPA_SMALL, **dict(parse_assignment(o) for o in args.tjepa)}
        for method, config in (("tjepa", tjepa_config), ("scarf", SCARF_SMALL)):
            if method not in args.parts:
                continue
            cache = Path(args.embeddings_cache) / f"{name}_{method}.npz" if args.embeddings_cache else None
            key = json.dumps({"config": config, "rows": len(pretrain_rows), "epochs": epochs, "batch": batch}, sort_keys=True)
            if cache is not None and cache.is_file() and str(np.load(cache)["key"]) == key:
                tokens = np.load(cache)["tokens"]  # the same pretraining's embeddings, saved by an earlier run
                info[method] = f"{len(pretrain_rows)} rows x {epochs} epochs, embeddings from {cache}"
            else:
                started = time.perf_counter()
                run = multissl.pretrain(
                    "tabular", features.iloc[pretrain_rows], method, max_epochs=epochs, batch_size=batch, seed=0,
                    **config, **options, **{"trainer.enable_progress_bar": args.progress, "trainer.loggers": []},
                )
                minutes = (time.perf_counter() - started) / 60
                tokens = run.embed(features)
                info[method] = f"{len(pretrain_rows)} rows x {epochs} epochs, {minutes:.1f} min"
                if cache is not None:
                    cache.parent.mkdir(parents=True, exist_ok=True)
                    np.savez(cache, tokens=tokens, key=key)
            mean = tokens.reshape(len(tokens), -1, config["dim"]).mean(axis=1)
            probe = linear_probe(mean[train], y[train], mean[test], y[test], task="classification" if classification else "regression")
            results[f"{method} + linear probe"] = [probe["accuracy"] if classification else probe["rmse"] / scale]
            method_head = head_options
            if args.head_grid:
                token_options = dataclasses.replace(head_options, token_width=config["dim"])
                method_head = _select_head(f"{method} + MLP", tokens, y, (train, val), classification, args.seeds[0],
                                           token_options, HEAD_GRID + TOKEN_HEAD_GRID)
            for seed in args.seeds:
                head = fit_mlp_head(tokens[train], y[train], tokens[val], y[val], seed=seed, options=method_head,
                                    task="classification" if classification else "regression")
                metric = head.score(tokens[test], y[test])
                results.setdefault(f"{method} + MLP", []).append(metric.get("accuracy", metric.get("rmse", 0) / scale))
        if "baselines" in args.parts:
            _baselines(args, features, y, (train, val, test), classification, scale, options, head_options, results)
        for model_name, values in results.items():
            rows.append((name, "accuracy" if classification else "RMSE (std. target)", model_name, values))
        print(f"{name}: pretraining " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
        print(_table([r for r in rows if r[0] == name]), flush=True)
    print("\n## All tables\n")
    print(_table(rows))


# --head-grid: MLP heads tried on the first seed, the one best on the validation split kept for every seed
# (each over the --head options); token inputs also try a per-token projection first (the T-JEPA paper's head).
HEAD_GRID = [{}, {"dropout": 0.3}, {"dropout": 0.3, "weight_decay": 1e-2}, {"hidden": [512, 512], "dropout": 0.3},
             {"dropout": 0.3, "lr": 3e-4}]
TOKEN_HEAD_GRID = [{"token_projection": 1, "dropout": 0.3}, {"token_projection": 4, "dropout": 0.3}]


def _head_options(args: argparse.Namespace):
    """The MLP head of every model: 256-256, ``--head-epochs``, ``--patience``, then the ``--head`` overrides."""
    from multissl_tabular.downstream import MLPHeadOptions

    from multissl.recipe import parse_assignment

    base = MLPHeadOptions(hidden=(256, 256), max_epochs=args.head_epochs, patience=args.patience)
    return _with(base, dict(parse_assignment(o) for o in args.head))


def _with(options, overrides: dict[str, Any]):
    return dataclasses.replace(options, **{k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()})


def _select_head(model: str, x, y, splits, classification: bool, seed: int, base, candidates):
    """The candidate head (``base`` with each override of ``candidates``) best on the validation split."""
    from multissl_tabular.downstream import fit_mlp_head

    train, val = splits
    scored = []
    for overrides in candidates:
        options = _with(base, overrides)
        head = fit_mlp_head(x[train], y[train], x[val], y[val], seed=seed, options=options,
                            task="classification" if classification else "regression")
        scored.append((head.best_validation, overrides, options))
        print(f"  {model}: head {overrides or 'default'} validation {head.best_validation:.4f}", flush=True)
    best = max(scored, key=lambda item: item[0])
    print(f"  {model}: chose {best[1] or 'default'} (validation {best[0]:.4f})", flush=True)
    return best[2]


def _baselines(args, features, y, splits, classification, scale, options, head_options, results) -> None:
    """MLP on the raw features and HistGradientBoosting on the raw columns, preprocessing fitted on training rows."""
    from multissl_tabular.downstream import fit_mlp_head
    from multissl_tabular.modality import Tabular, TabularOptions
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    train, val, test = splits
    modality = Tabular(TabularOptions(missing_values=options.get("data.missing_values", [])))
    modality.fit(modality.load(features.iloc[train]))
    raw = modality.transform(modality.load(features))
    baseline = modality.baseline_features(modality.load(features))
    numeric, codes = (t.numpy() for t in raw)
    gbdt_x = np.concatenate([numeric, codes.astype(np.float32)], axis=1)
    categorical = [False] * numeric.shape[1] + [True] * codes.shape[1]
    if args.head_grid:
        head_options = _select_head("MLP on raw features", baseline, y, (train, val), classification, args.seeds[0],
                                    head_options, HEAD_GRID)
    for seed in args.seeds:
        head = fit_mlp_head(baseline[train], y[train], baseline[val], y[val], seed=seed, options=head_options,
                            task="classification" if classification else "regression")
        metric = head.score(baseline[test], y[test])
        results.setdefault("MLP on raw features", []).append(metric.get("accuracy", metric.get("rmse", 0) / scale))
        model_cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
        model = model_cls(max_iter=args.trees, early_stopping=False, random_state=seed,
                          categorical_features=categorical if any(categorical) else None)
        model.fit(gbdt_x[train], y[train])
        score = _best_stage_score(model, gbdt_x[val], y[val], gbdt_x[test], y[test], classification, scale)
        results.setdefault("HistGradientBoosting", []).append(score)


def _best_stage_score(model, val_x, val_y, test_x, test_y, classification: bool, scale: float) -> float:
    """Test score at the number of boosting iterations that scores best on the validation split."""
    def score(predicted, truth):
        return float(np.mean(predicted == truth)) if classification else -float(np.sqrt(np.mean((predicted - truth) ** 2)))

    val_scores = [score(p, val_y) for p in model.staged_predict(val_x)]
    best = int(np.argmax(val_scores))
    test_prediction = next(p for i, p in enumerate(model.staged_predict(test_x)) if i == best)
    value = score(test_prediction, test_y)
    return value if classification else -value / scale


def _table(rows) -> str:
    lines = ["| table | metric | model | mean ± std | seeds |", "|---|---|---|---|---|"]
    for table, metric, model, values in rows:
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        lines.append(f"| {table} | {metric} | {model} | {np.mean(values):.4f} ± {spread:.4f} | {len(values)} |")
    return "\n".join(lines)


# -- speed ---------------------------------------------------------------------------------------------
def ours_speed(args: argparse.Namespace) -> dict[str, float]:
    """Rows per second of our T-JEPA (reference size, batch 512) through the Lightning trainer, after warm-up."""
    import lightning as L
    import torch

    from multissl.engine.trainer import build_trainer

    torch.set_num_threads(args.threads)
    if args.core_layers:  # the same method on PyTorch's own layers: what this plugin's layers are measured against
        from multissl_tabular.sparse_dropout_transformer import SparseDropoutTransformer

        from multissl.encoders.transformer import TransformerEncoder

        SparseDropoutTransformer.forward = TransformerEncoder.forward
    recipe, method, loader = _tjepa_at_reference_size(args.batch_size, args.warmup_steps + args.steps)
    timer = StepTimer(args.warmup_steps)
    with tempfile.TemporaryDirectory() as work:
        trainer = build_trainer(recipe, Path(work), has_validation=False, callbacks=[timer], batches_per_epoch=len(loader))
        L.seed_everything(0, verbose=False)
        trainer.fit(method, loader)
    return {"rows": timer.rows, "seconds": timer.seconds, "rows_per_second": timer.rows / timer.seconds,
            "rows_per_cpu_second": timer.rows / timer.cpu_seconds}


def _tjepa_at_reference_size(batch_size: int, max_steps: int):
    """T-JEPA at the reference's size (the method's defaults) on Adult: its recipe, method and shuffled loader."""
    from multissl_tabular.modality import Tabular, TabularOptions

    from multissl import recipe as recipes
    from multissl.plugins import registry

    modality = Tabular(TabularOptions(label_column="income", missing_values=["?"]))
    raw = modality.load(DATA / TABLES["adult"]["path"])
    modality.fit(raw)
    recipe = recipes.resolve(
        {"modality": "tabular", "method": {"name": "tjepa"}, "data": {"source": "unused"},
         "trainer": {"max_steps": max_steps, "max_epochs": 1, "enable_progress_bar": False, "loggers": []},
         "loader": {"batch_size": batch_size}},
        registry(),
    )
    method = registry().get("method", "tjepa")(recipe.method_options, modality.input_spec(), recipe.optimizer, 0)
    loader = modality.dataloader(modality.dataset(raw), batch_size=batch_size, shuffle=True, drop_last=True,
                                 num_workers=0, seed=0)
    return recipe, method, loader


def speed_parts(args: argparse.Namespace) -> None:
    """CPU time of a T-JEPA training step (forward + backward, reference size) with each of this plugin's speed-ups
    switched off in turn. Every variant runs on the same batches and the same masks and dropout draws (the random
    states are restored between variants), alternating step by step; prints each variant's mean and its time over
    the shipped code's, per step and on average."""
    import contextlib
    from unittest import mock

    import torch
    from multissl_tabular import batch_last_attention, chunked_feed_forward
    from multissl_tabular.sparse_dropout_transformer import SparseDropoutTransformer

    from multissl.encoders.transformer import TransformerEncoder

    torch.set_num_threads(args.threads)
    _, method, loader = _tjepa_at_reference_size(args.batch_size, args.steps)
    method.train()
    shipped = SparseDropoutTransformer.forward

    def inference_path(self, x, padding_mask=None, return_all_layers=False):
        forward = shipped if self.training else TransformerEncoder.forward
        return forward(self, x, padding_mask, return_all_layers)

    variants = {
        "shipped": contextlib.nullcontext,
        "fused attention in the predictor": lambda: mock.patch.object(batch_last_attention, "BATCH_LAST_MAX", 0),
        "PyTorch's inference path in evaluation": lambda: mock.patch.object(SparseDropoutTransformer, "forward", inference_path),
        "512 KiB feed-forward chunks": lambda: mock.patch.object(chunked_feed_forward, "CHUNK_BYTES", 2**19),
        "PyTorch's layers throughout": lambda: mock.patch.object(SparseDropoutTransformer, "forward", TransformerEncoder.forward),
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    batches = iter(loader)
    for step in range(args.warmup_steps + args.steps):
        batch = next(batches)
        generator = method.generator(batch["numeric"].device)
        states = generator.get_state(), torch.get_rng_state()
        for name, variant in variants.items():
            generator.set_state(states[0])
            torch.set_rng_state(states[1])
            with variant():
                started = time.process_time()
                loss = method.ssl_loss(batch)
                method.zero_grad()
                (loss[0] if isinstance(loss, tuple) else loss).backward()
                if step >= args.warmup_steps:
                    seconds[name].append(time.process_time() - started)
    base = np.array(seconds["shipped"])
    for name, times in seconds.items():
        ratios = np.array(times) / base
        print(f"{name}: {np.mean(times):.3f} s per step, {np.mean(ratios):.2f}x the shipped code's time "
              f"(steps {ratios.min():.2f}-{ratios.max():.2f})", flush=True)


class StepTimer:
    """Lightning callback: wall time and rows of the training steps after the first ``skip``."""

    def __new__(cls, skip: int):
        from lightning.pytorch.callbacks import Callback

        class _Timer(Callback):
            def __init__(self) -> None:
                self.rows, self.seconds, self.cpu_seconds, self.started = 0, 0.0, 0.0, None

            def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
                if batch_idx == skip:
                    self.started = (time.perf_counter(), time.process_time())

            def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
                if batch_idx >= skip:
                    self.rows += len(batch["numeric"])
                    self.seconds = time.perf_counter() - self.started[0]
                    self.cpu_seconds = time.process_time() - self.started[1]

        return _Timer()


def speed(args: argparse.Namespace) -> None:
    reference = Path(args.reference)
    if not (reference / "src" / "encoder.py").is_file():
        raise SystemExit(f"{reference} holds no jose-melo/t-jepa checkout (src/encoder.py); see results.md for setup.")
    ours_command = [sys.executable, __file__, "speed-ours", "--threads", str(args.threads), "--steps", str(args.steps),
                    "--warmup-steps", str(args.warmup_steps), "--batch-size", str(args.batch_size)]
    reference_command = [args.reference_python, str(HERE / "reference_tjepa_steps.py"), "--data",
                         str(DATA / TABLES["adult"]["path"]), "--threads", str(args.threads), "--steps", str(args.steps),
                         "--warmup-steps", str(args.warmup_steps), "--batch-size", str(args.batch_size)]
    order = [("multissl", ours_command, ROOT, None), ("reference", reference_command, reference, None)]
    if args.with_core_layers:
        order.insert(1, ("multissl on PyTorch layers", [*ours_command, "--core-layers"], ROOT, None))
    if args.previous:  # an earlier checkout of multissl: its own speed-ours, its plugin and core first on the path
        previous = Path(args.previous).resolve()
        if not (previous / "benchmarks" / "tabular" / "benchmark.py").is_file():
            raise SystemExit(f"--previous {previous} holds no multissl checkout (benchmarks/tabular/benchmark.py).")
        path = os.pathsep.join([str(previous / "plugins" / "tabular"), str(previous), os.environ.get("PYTHONPATH", "")])
        order.insert(1, (f"multissl at {previous.name}", [sys.executable, str(previous / "benchmarks" / "tabular" / "benchmark.py"),
                                                        *ours_command[2:]], previous, {**os.environ, "PYTHONPATH": path}))
    measured: dict[str, list[float]] = {who: [] for who, *_ in order}
    per_cpu_second: dict[str, list[float]] = {who: [] for who, *_ in order}
    loads = []
    for round_ in range(args.rounds):
        for who, command, cwd, env in order[round_ % len(order):] + order[: round_ % len(order)]:  # rotate the order
            loads.append(os.getloadavg()[0])
            out = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise SystemExit(f"{who} failed:\n{out.stderr[-3000:]}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            measured[who].append(result["rows_per_second"])
            per_cpu_second[who].append(result["rows_per_cpu_second"])
            print(f"round {round_}: {who} {result['rows_per_second']:.1f} rows/s, "
                  f"{result['rows_per_cpu_second']:.1f} rows per CPU second (load {loads[-1]:.1f})", flush=True)
    ratios = [a / b for a, b in zip(measured["multissl"], measured["reference"])]
    cpu_ratios = [a / b for a, b in zip(per_cpu_second["multissl"], per_cpu_second["reference"])]
    if args.with_core_layers:
        own = [a / b for a, b in zip(measured["multissl"], measured["multissl on PyTorch layers"])]
        core_vs_reference = [a / b for a, b in zip(measured["multissl on PyTorch layers"], measured["reference"])]
        print(f"\nmultissl / multissl on PyTorch layers per round {[round(r, 2) for r in own]}, mean {np.mean(own):.2f}x; "
              f"multissl on PyTorch layers / reference {[round(r, 2) for r in core_vs_reference]}, mean {np.mean(core_vs_reference):.2f}x")
    for who, rates in measured.items():
        if who.startswith("multissl at "):
            own = [a / b for a, b in zip(measured["multissl"], rates)]
            earlier = [a / b for a, b in zip(rates, measured["reference"])]
            print(f"\nmultissl / {who} per round {[round(r, 2) for r in own]}, mean {np.mean(own):.2f}x; "
                  f"{who} / reference {[round(r, 2) for r in earlier]}, mean {np.mean(earlier):.2f}x")
    print(f"\nmultissl {np.mean(measured['multissl']):.1f} rows/s, reference {np.mean(measured['reference']):.1f} rows/s; "
          f"ratio per round {[round(r, 2) for r in ratios]}, mean {np.mean(ratios):.2f}x; per CPU second "
          f"{[round(r, 2) for r in cpu_ratios]}, mean {np.mean(cpu_ratios):.2f}x "
          f"(batch {args.batch_size}, {args.steps} timed steps after {args.warmup_steps}, {args.threads} threads, load "
          f"{min(loads):.1f}-{max(loads):.1f})")


# -- attention kernel at T-JEPA's shapes ---------------------------------------------------------------
def attention(args: argparse.Namespace) -> None:
    """Forward + backward time of self-attention from the packed ``in_proj`` output (N, L, 3·D) to the heads
    concatenated (N, L, D), three ways: PyTorch's fused ``scaled_dot_product_attention``, the explicit
    ``softmax(QKᵀ/√d)V`` (two batched matmuls and a softmax, the reference's path) and this plugin's
    ``batch_last_attention``, at the shapes of a T-JEPA step at the reference size (batch 512): the predictor
    (512 x 4 target sets, 4 heads of width 4, 6-14 tokens) and the encoders (512 rows, 2 heads of width 32, 5 / 15
    tokens). They alternate ``--repeats`` times; medians in milliseconds, and which one the layers use."""
    import torch
    from multissl_tabular.batch_last_attention import (
        batch_last_attention,
        use_batch_last,
    )
    from torch.nn import functional as F

    torch.set_num_threads(args.threads)

    def heads_of(function):
        def attend(qkv, heads):
            n, length, packed = qkv.shape
            q, k, v = qkv.view(n, length, 3, heads, packed // (3 * heads)).permute(2, 0, 3, 1, 4)
            return function(q, k, v).transpose(1, 2).reshape(n, length, packed // 3)
        return attend

    def explicit(q, k, v):
        return torch.softmax(q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5, dim=-1) @ v

    functions = {"fused": heads_of(F.scaled_dot_product_attention), "explicit": heads_of(explicit),
                 "batch-last": batch_last_attention}
    shapes = [("predictor", 2048, 4, length, 4) for length in (6, 10, 14)]
    shapes += [("encoder", 512, 2, length, 32) for length in (5, 15)]
    for where, batch, heads, length, width in shapes:
        qkv = torch.randn(batch, length, 3 * heads * width, requires_grad=True)
        grad = torch.randn(batch, length, heads * width)
        times: dict[str, list[float]] = {name: [] for name in functions}
        for _ in range(args.repeats):
            for name, function in functions.items():
                started = time.perf_counter()
                function(qkv, heads).backward(grad)
                times[name].append((time.perf_counter() - started) * 1000)
        fused = statistics.median(times["fused"])
        used = "batch-last" if use_batch_last(grad, heads) else "fused"
        print(f"{where} ({batch}, {heads} heads, {length} tokens, head dim {width}): fused {fused:.2f} ms, "
              + ", ".join(f"{n} {statistics.median(times[n]):.2f} ms ({statistics.median(times[n]) / fused:.2f}x)"
                          for n in ("explicit", "batch-last")) + f"; the layers use {used}", flush=True)


# -- streaming -----------------------------------------------------------------------------------------
def stream(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as work:
        for rows in (args.rows // 10, args.rows):
            path = Path(work) / f"rows_{rows}.parquet"
            _write_table(path, rows)
            command = [sys.executable, __file__, "stream-one", str(path), "--steps", str(args.steps),
                       "--sample-seconds", str(args.sample_seconds)]
            out = subprocess.run(command, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise SystemExit(out.stderr[-3000:])
            print(out.stdout.strip().splitlines()[-1], flush=True)


def _write_table(path: Path, rows: int, chunk: int = 65536) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    writer = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        columns = {f"x{j}": rng.normal(j, 1 + j, n) for j in range(12)}
        columns["x0"][rng.random(n) < 0.05] = np.nan
        for j in range(4):
            columns[f"c{j}"] = pd.array(rng.choice([f"v{k}" for k in range(5 + 10 * j)], n), dtype="str")
        table = pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=chunk)
    writer.close()


def stream_one(args: argparse.Namespace) -> None:
    import threading

    import multissl

    started = time.perf_counter()
    samples: list[tuple[float, float]] = []  # (seconds since start, RSS MB), every --sample-seconds
    done = threading.Event()

    def sample() -> None:
        while not done.wait(args.sample_seconds):
            samples.append((time.perf_counter() - started, _rss_mb()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    run = multissl.pretrain(
        "tabular", str(args.path), "tjepa", max_epochs=1, batch_size=512, seed=0,
        dim=16, num_layers=1, ffn_dim=32, predictor_dim=8, predictor_layers=1, predictor_ffn_dim=16,
        **{"data.streaming": True, "trainer.max_steps": args.steps, "trainer.enable_progress_bar": False, "trainer.loggers": []},
    )
    done.set()
    sampler.join()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = Path(args.path).stat().st_size / 2**20
    rows = _parquet_rows(args.path)
    tenth = max(len(samples) // 10, 1)
    print(json.dumps({
        "rows": rows, "file_mb": round(size_mb, 1), "steps": run.metrics["train"]["steps"],
        "seconds": round(time.perf_counter() - started, 1), "peak_rss_mb": round(peak_mb, 1),
        "rss_samples": len(samples), "rss_max_first_tenth_mb": round(max(r for _, r in samples[:tenth]), 1) if samples else None,
        "rss_max_last_tenth_mb": round(max(r for _, r in samples[-tenth:]), 1) if samples else None,
        "rss_over_time_mb": [(round(t), round(r)) for t, r in samples[:: max(len(samples) // 12, 1)]],
    }))


def _rss_mb() -> float:
    """The process's resident set size now (Linux ``/proc/self/statm``), MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _parquet_rows(path: str) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    q = commands.add_parser("quality")
    q.add_argument("--datasets", nargs="+", default=list(TABLES), choices=list(TABLES))
    q.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    q.add_argument("--head-epochs", type=int, default=20)
    q.add_argument("--patience", type=int, default=4)
    q.add_argument("--trees", type=int, default=300)
    q.add_argument("--threads", type=int, default=1)
    q.add_argument("--quick", action="store_true", help="1 epoch on at most 2000 rows: a smoke run, not a result")
    q.add_argument("--progress", action="store_true")
    q.add_argument("--pretrain-rows", type=int, default=None, help="pretraining rows per table (default: PRETRAIN's cap)")
    q.add_argument("--pretrain-epochs", type=int, default=None, help="pretraining epochs (default: PRETRAIN's)")
    q.add_argument("--pretrain-batch-size", type=int, default=None, help="pretraining batch size (default: PRETRAIN's)")
    q.add_argument("--tjepa", nargs="*", default=[], metavar="KEY=VALUE", help="T-JEPA options over TJEPA_SMALL, e.g. dim=64")
    q.add_argument("--head", nargs="*", default=[], metavar="KEY=VALUE",
                   help="MLP head options (MLPHeadOptions) for every MLP, e.g. dropout=0.3 hidden=[512,512]")
    q.add_argument("--head-grid", action="store_true",
                   help="choose each MLP's head from HEAD_GRID on the first seed's validation split")
    q.add_argument("--embeddings-cache", default=None, metavar="DIR",
                   help="save each pretraining's embeddings here, and reuse them when table, options, rows and epochs match")
    q.add_argument("--parts", nargs="+", default=["tjepa", "scarf", "baselines"], choices=["tjepa", "scarf", "baselines"])
    for name in ("speed", "speed-ours"):
        s = commands.add_parser(name)
        s.add_argument("--threads", type=int, default=2)
        s.add_argument("--steps", type=int, default=6)
        s.add_argument("--warmup-steps", type=int, default=2)
        s.add_argument("--batch-size", type=int, default=512)
        s.add_argument("--core-layers", action="store_true", help="run ours on PyTorch's Transformer layers")
        if name == "speed":
            s.add_argument("--with-core-layers", action="store_true",
                           help="also time ours on PyTorch's Transformer layers in every round (the speed-up of our layers)")
            s.add_argument("--rounds", type=int, default=2)
            s.add_argument("--previous", help="a checkout of an earlier multissl commit (e.g. a git worktree, ../shared beside "
                                              "it) to time in the same rounds: how much of a ratio change is our code's")
            s.add_argument("--reference", default="/tmp/ref_tjepa")
            s.add_argument("--reference-python", default="/tmp/ref_tjepa/venv/bin/python")
    parts = commands.add_parser("speed-parts")
    parts.add_argument("--threads", type=int, default=1)
    parts.add_argument("--steps", type=int, default=8)
    parts.add_argument("--warmup-steps", type=int, default=1)
    parts.add_argument("--batch-size", type=int, default=512)
    at = commands.add_parser("attention")
    at.add_argument("--threads", type=int, default=1)
    at.add_argument("--repeats", type=int, default=50)
    st = commands.add_parser("stream")
    st.add_argument("--rows", type=int, default=1_000_000)
    one = commands.add_parser("stream-one")
    one.add_argument("path")
    for parser_ in (st, one):
        parser_.add_argument("--steps", type=int, default=200, help="training steps (batch 512); -1: one full epoch")
        parser_.add_argument("--sample-seconds", type=float, default=5.0, help="RSS sampling interval")
    args = parser.parse_args()
    if args.command == "quality":
        quality(args)
    elif args.command == "speed":
        speed(args)
    elif args.command == "speed-parts":
        speed_parts(args)
    elif args.command == "speed-ours":
        print(json.dumps(ours_speed(args)))
    elif args.command == "attention":
        attention(args)
    elif args.command == "stream":
        stream(args)
    else:
        stream_one(args)


if __name__ == "__main__":
    main()
