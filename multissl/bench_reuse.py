"""The matrix bench's CSV: one row per recipe, method, seed, checkpoint and metric, written after every run and read
back by ``multissl bench ... --matrix --reuse PATH.csv`` so that runs already made are not made again.

A row belongs to a run by ``(recipe, method, seed, config)``; ``config`` is :func:`config_key` of the recipe the
run trained (its method block and every override applied, the seed left out), so a run is reused only when the
recipe it would train now is the one it trained then. The code is not part of the key: after a change that
alters results, rerun the cells it touches (drop their rows, or bench without ``--reuse``).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from multissl.bench import BenchRun, _is_number
from multissl.errors import RecipeError
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX

RANKME = "collapse/rankme"
LAST = "last"
"""The checkpoint every run is evaluated at: the weights training ended with."""
COLUMNS = ("recipe", "modality", "method", "seed", "config", "checkpoint", "epoch", "metric", "value", "baseline_value",
           "baseline", "rankme", "fit_seconds", "wall_seconds")
RunKey = tuple[str, str, int, str]


def config_key(raw: dict[str, Any]) -> str:
    """A short hash of a recipe mapping (seed, ``evaluate.seed`` and ``output_dir`` left out): equal for recipes that
    train and evaluate alike."""
    raw = {k: v for k, v in raw.items() if k not in ("seed", "output_dir", "resume")}
    if isinstance(raw.get("evaluate"), dict):
        raw["evaluate"] = {k: v for k, v in raw["evaluate"].items() if k != "seed"}
    return hashlib.sha1(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:12]


def write_rows(path: Path, runs: Iterable[tuple[str, str, str, BenchRun]]) -> None:
    """``runs``: ``(modality, method, config, run)``; each run's metrics at its last checkpoint, then at each of
    its other evaluated checkpoints."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for modality, method, config, run in runs:
            checkpoints = [(LAST, run.train.get("epochs", ""), run.train.get(RANKME, ""), run.evaluation,
                            f"{run.fit_seconds:.2f}", f"{run.wall_seconds:.2f}")]
            checkpoints += [(name, c["epoch"], "" if c.get("rankme") is None else c["rankme"], c["evaluation"], "", "")
                            for name, c in run.checkpoints.items()]
            for name, epoch, rankme, evaluation, fit, wall in checkpoints:
                for metric, value in BenchRun(run.recipe, run.seed, evaluation, 0.0, 0.0).metrics().items():
                    base = evaluation.get(BASELINE_PREFIX + metric)
                    writer.writerow([run.recipe, modality, method, run.seed, config, name, epoch, metric, value,
                                     float(base) if _is_number(base) else "", evaluation.get(BASELINE_KEY, ""), rankme,
                                     fit, wall])


def read_rows(path: str | Path) -> dict[RunKey, BenchRun]:
    """The runs a CSV written by :func:`write_rows` holds, by ``(recipe, method, seed, config)``."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"--reuse {path}: no such file. Name the .csv a previous `multissl bench --matrix -o` wrote.")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    missing = {"recipe", "method", "seed", "config", "metric", "value"} - set(rows[0] if rows else COLUMNS)
    if missing:
        raise RecipeError(f"--reuse {path} lacks the columns {sorted(missing)}; it was not written by `multissl bench "
                          "--matrix` (or by an older version without run keys). Bench without --reuse.")
    runs: dict[RunKey, BenchRun] = {}
    for row in rows:
        key = (row["recipe"], row["method"], int(row["seed"]), row["config"])
        run = runs.get(key)
        if run is None:
            run = runs[key] = BenchRun(row["recipe"], int(row["seed"]), {}, 0.0, 0.0, method=row["method"])
        checkpoint = row.get("checkpoint") or LAST
        if checkpoint == LAST:
            evaluation = run.evaluation
            run.fit_seconds, run.wall_seconds = float(row["fit_seconds"]), float(row["wall_seconds"])
            if row.get("rankme"):
                run.train[RANKME] = float(row["rankme"])
            if row.get("epoch"):
                run.train["epochs"] = int(row["epoch"])
        else:
            held = run.checkpoints.setdefault(checkpoint, {
                "epoch": int(row["epoch"]), "rankme": float(row["rankme"]) if row.get("rankme") else None, "evaluation": {},
            })
            evaluation = held["evaluation"]
        evaluation[row["metric"]] = float(row["value"])
        if row.get("baseline_value"):
            evaluation[BASELINE_PREFIX + row["metric"]] = float(row["baseline_value"])
        if row.get("baseline"):
            evaluation[BASELINE_KEY] = row["baseline"]
    return runs
