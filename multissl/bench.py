"""``multissl bench``: shipped recipes run over seeds, and one table of each metric's mean ± std next to its
baseline's from the same runs (Markdown, plus a CSV of the raw values).

Each run is the recipe with ``seed`` and ``evaluate.seed`` set to the bench seed, trained afresh (no resume)
in a scratch directory that is removed afterwards, unless ``keep`` names a folder for the run directories.
A metric is a numeric key of the evaluation report; its baseline is the report's ``baseline/<metric>``; the
report's ``baseline`` string says what the baseline is. Counts (keys ``n_*``) are facts, not metrics.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import dataclasses
import logging
import math
import numbers
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from multissl.errors import RecipeError
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX

CSV_COLUMNS = ("recipe", "seed", "metric", "value", "baseline_value", "baseline", "fit_seconds", "wall_seconds")


@dataclasses.dataclass
class BenchRun:
    """One recipe trained and evaluated with one seed."""

    recipe: str
    seed: int
    evaluation: dict[str, Any]
    fit_seconds: float
    wall_seconds: float
    """Training and evaluation together."""
    method: str = ""
    train: dict[str, Any] = dataclasses.field(default_factory=dict)
    """The run's training metrics (final losses, ``collapse/rankme``, epochs, steps)."""
    checkpoints: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    """Other checkpoints of the same run evaluated alike, by name: ``{"epoch", "rankme", "evaluation"}``."""

    def metrics(self) -> dict[str, float]:
        return {
            key: float(value)
            for key, value in self.evaluation.items()
            if _is_number(value) and not key.startswith(BASELINE_PREFIX) and not key.startswith("n_")
        }


def prepare(recipes: Sequence[str], overrides: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Each recipe (a shipped name or a YAML path) read, overridden and validated, by name; raises
    :class:`RecipeError` before anything trains when one is unknown, invalid, or has no ``evaluate:`` block."""
    from multissl import api, recipe
    from multissl.plugins import registry

    if not recipes:
        raise RecipeError("Name at least one recipe to bench (`multissl recipes` lists the shipped ones).")
    prepared: dict[str, dict[str, Any]] = {}
    for name in recipes:
        path = api.resolve_recipe_path(name)
        raw = recipe.apply_overrides(recipe.read_recipe(path), ["trainer.enable_progress_bar=false", *overrides])
        if raw.get("evaluate") in (None, False):
            raise RecipeError(
                f"Recipe {name!r} has no `evaluate:` block, so a bench run has no metrics to report. Add one "
                "(e.g. `evaluate: {}` for its modality's default evaluators) or pass --set evaluate={}."
            )
        recipe.resolve(raw, registry())
        key = path.stem if path.stem not in prepared else str(path)
        prepared[key] = raw
    return prepared


def run_bench(
    recipes: Sequence[str],
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    *,
    keep: str | Path | None = None,
    progress: Callable[[str], None] = print,
) -> list[BenchRun]:
    """Train and evaluate every recipe with every seed, in order; ``progress`` hears of each run."""
    from multissl import api
    from multissl.engine.trainer import check_output_dir

    if not seeds:
        raise RecipeError("Pass at least one seed, e.g. --seeds 0 1 2.")
    prepared = prepare(recipes, overrides)
    kept = {(name, seed): None if keep is None else Path(keep) / Path(name).stem / f"seed{seed}"
            for name in prepared for seed in seeds}
    for directory in kept.values():
        if directory is not None:
            check_output_dir(directory, None)  # a finished run already there is refused before anything trains
    runs: list[BenchRun] = []
    total = len(prepared) * len(seeds)
    started = time.perf_counter()
    for name, raw in prepared.items():
        for seed in seeds:
            progress(f"[{len(runs) + 1}/{total}] {name} seed {seed} (elapsed {_clock(time.perf_counter() - started)})")
            raw_run = _seeded(raw, seed, kept[name, seed])
            begun = time.perf_counter()
            with _quiet_lightning():
                run = api.run_recipe(raw_run)
            wall = time.perf_counter() - begun
            runs.append(BenchRun(
                name, seed, run.metrics["evaluation"], run.metrics["train"]["fit_seconds"], wall,
                method=run.recipe.method, train=dict(run.metrics["train"]),
            ))
            del run  # its scratch directory goes with it
    progress(f"{total} runs in {_clock(time.perf_counter() - started)}")
    return runs


@contextlib.contextmanager
def _quiet_lightning():
    """Lightning's per-run notices (devices, tips) withheld, so the progress lines stay readable."""
    logger = logging.getLogger("lightning.pytorch")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _seeded(raw: dict[str, Any], seed: int, output_dir: Path | None) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    raw["seed"] = seed
    evaluate = raw.get("evaluate")
    raw["evaluate"] = {**(evaluate if isinstance(evaluate, dict) else {}), "seed": seed}
    raw["resume"] = None
    raw["output_dir"] = None if output_dir is None else str(output_dir)
    return raw


def markdown_table(runs: Sequence[BenchRun], command: str) -> str:
    """Per recipe and metric: ours mean ± std over seeds, the baseline's, the seed count and the seconds per run
    (training and evaluation); then the command that produced it."""
    names = {run.evaluation.get(BASELINE_KEY) for run in runs if run.evaluation.get(BASELINE_KEY)}
    one_name = len(names) <= 1
    header = ["recipe", "metric", "ours", next(iter(names), "baseline") if one_name else "baseline"]
    header += [] if one_name else ["baseline is"]
    header += ["seeds", "s per run"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for recipe, group in _by_recipe(runs).items():
        seconds = _mean([run.wall_seconds for run in group])
        for metric in _metric_order(group):
            ours = [run.metrics()[metric] for run in group if metric in run.metrics()]
            base = [float(run.evaluation[BASELINE_PREFIX + metric]) for run in group
                    if _is_number(run.evaluation.get(BASELINE_PREFIX + metric))]
            row = [recipe, f"`{metric}`", _mean_std(ours), _mean_std(base) if base else "-"]
            if not one_name:
                row.append(str(group[0].evaluation.get(BASELINE_KEY, "-")) if base else "-")
            row += [str(len(ours)), f"{seconds:.1f}"]
            lines.append("| " + " | ".join(row) + " |")
    seeds = sorted({run.seed for run in runs})
    return "\n".join([f"Seeds {', '.join(map(str, seeds))}; mean ± sample std over seeds.", "", *lines, "",
                      "```bash", command, "```", ""])


def write_results(runs: Sequence[BenchRun], command: str, output: str | Path) -> tuple[Path, Path]:
    """``output`` (Markdown) and, beside it with the suffix ``.csv``, one row per recipe, seed and metric."""
    output = Path(output)
    if output.suffix != ".md":
        raise RecipeError(f"The bench output {output} must end in .md (a .csv of the raw values is written beside it).")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown_table(runs, command))
    table = output.with_suffix(".csv")
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for run in runs:
            for metric, value in run.metrics().items():
                base = run.evaluation.get(BASELINE_PREFIX + metric)
                writer.writerow([run.recipe, run.seed, metric, value, float(base) if _is_number(base) else "",
                                 run.evaluation.get(BASELINE_KEY, ""), f"{run.fit_seconds:.2f}", f"{run.wall_seconds:.2f}"])
    return output, table


def _by_recipe(runs: Sequence[BenchRun]) -> dict[str, list[BenchRun]]:
    groups: dict[str, list[BenchRun]] = {}
    for run in runs:
        groups.setdefault(run.recipe, []).append(run)
    return groups


def _metric_order(group: Sequence[BenchRun]) -> list[str]:
    order: list[str] = []
    for run in group:
        order += [metric for metric in run.metrics() if metric not in order]
    return order


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _mean_std(values: Sequence[float]) -> str:
    """``mean ± sample standard deviation`` (n - 1 in the denominator); the mean alone for one value."""
    mean = _mean(values)
    digits = 4 if abs(mean) < 100 else 1
    if len(values) < 2:
        return f"{mean:.{digits}f}"
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}m{seconds:02d}s"
