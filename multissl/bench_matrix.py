"""``multissl bench RECIPE... --methods M... --matrix``: one recipe per data type, run under several methods.

Each recipe's ``method`` block is replaced by ``{name: M}`` (keeping the recipe's encoder and its options), so the
method takes the options its modality names for it (``method_defaults``), then ``--set`` overrides apply. The table has a row per method and a column per
recipe (one data type each): the headline metric's mean ± std over seeds and the seconds per run, a baseline row
(raw features or no SSL, from the same runs), and a cell that cannot run says why. Below it, per data type, the
Spearman rank correlation between the final RankMe of training (``collapse/rankme``, label-free) and the headline
metric, across methods, across every run and across every evaluated checkpoint (each run is evaluated again at its
epoch of highest RankMe when that is not its last), and what RankMe would have picked.

Runs are written to the CSV after each one; ``reuse`` (a CSV from an earlier bench) supplies the runs it holds for
the same recipe, method, seed and configuration (:mod:`multissl.bench_reuse`), so an interrupted bench resumes and
new seeds are added to old ones. Cells run cheapest first (by the seconds their column's reused runs took), so a
bench stopped early leaves the most cells complete; the table says how many seeds a cell has when it lacks some.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from multissl.bench import BenchRun, _clock, _is_number, _mean, _mean_std, _quiet_lightning, _seeded
from multissl.bench_reuse import RANKME, RunKey, config_key, read_rows, write_rows
from multissl.errors import RecipeError, TrainingInterrupted
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX

BEST_RANKME = "rankme"
"""The checkpoint of a run's highest training RankMe (``trainer.select_by: rankme`` would keep it)."""


@dataclasses.dataclass
class Column:
    """One recipe (one data type): its raw recipe, modality and dataset, or why it cannot run at all."""

    name: str
    raw: dict[str, Any] | None
    modality: str = "?"
    dataset: str = "?"
    problem: str | None = None


@dataclasses.dataclass
class Cell:
    """One method on one recipe: its runs over seeds, or why it did not run (``problem``)."""

    method: str
    column: str
    runs: list[BenchRun] = dataclasses.field(default_factory=list)
    problem: str | None = None
    finished: bool = True
    """False while a planned cell has not run all its seeds (a stopped bench leaves it so)."""
    config: str = ""
    """:func:`~multissl.bench_reuse.config_key` of the recipe the cell trains."""
    overrides: list[str] = dataclasses.field(default_factory=list)
    """Overrides for this cell only (``--cell-set RECIPE/METHOD:KEY=VALUE``)."""
    seeds: int = 0
    """Seeds the bench asked for (0: as many as the table holds)."""


def read_columns(recipes: Sequence[str]) -> list[Column]:
    """Each recipe read (a missing or unreadable one becomes a column that says why)."""
    from multissl import api, recipe

    columns = []
    for name in recipes:
        try:
            path = api.resolve_recipe_path(name)
            raw = recipe.read_recipe(path)
        except RecipeError:
            columns.append(Column(Path(name).stem, None, dataset=Path(name).stem, modality="missing",
                                  problem=f"no recipe {Path(name).stem!r} is installed"))
            continue
        if raw.get("evaluate") in (None, False):
            columns.append(Column(path.stem, None, problem="the recipe has no evaluate: block"))
            continue
        source = (raw.get("data") or {}).get("source", "?")
        columns.append(Column(path.stem, raw, str(raw.get("modality", "?")), str(source)))
    return columns


SHARED_METHOD_KEYS = ("input", "encoder", "encoder_options")
"""Method options a matrix recipe sets for every method (the architecture), kept where the method has them."""


def method_recipe(raw: dict[str, Any], method: str, overrides: Sequence[str]) -> dict[str, Any]:
    """``raw`` with its method block replaced by ``{name: method}`` plus the recipe's :data:`SHARED_METHOD_KEYS`
    that ``method`` accepts (the modality's defaults fill the rest), then ``overrides`` applied."""
    from multissl import recipe
    from multissl.plugins import registry

    raw = copy.deepcopy(raw)
    block = raw.get("method") if isinstance(raw.get("method"), dict) else {}
    config = registry().get("method", method).Config
    accepted = {field.name for field in dataclasses.fields(config)} if dataclasses.is_dataclass(config) else set()
    raw["method"] = {"name": method, **{k: v for k, v in block.items() if k in SHARED_METHOD_KEYS and k in accepted}}
    return recipe.apply_overrides(raw, ["trainer.enable_progress_bar=false", *overrides])


def parse_cell_overrides(assignments: Sequence[str]) -> dict[tuple[str, str], list[str]]:
    """``RECIPE/METHOD:KEY=VALUE`` strings as ``{(recipe stem, method): [KEY=VALUE, ...]}``."""
    parsed: dict[tuple[str, str], list[str]] = {}
    for assignment in assignments:
        cell, sep, override = assignment.partition(":")
        recipe_name, slash, method = cell.partition("/")
        if not sep or not slash or not recipe_name or not method or "=" not in override:
            raise RecipeError(f"--cell-set {assignment!r} must look like RECIPE/METHOD:KEY=VALUE, "
                              "e.g. movielens_generic/simclr:loader.batch_size=1024.")
        parsed.setdefault((Path(recipe_name).stem, method), []).append(override)
    return parsed


def run_matrix(
    recipes: Sequence[str],
    methods: Sequence[str],
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    *,
    cell_overrides: dict[tuple[str, str], list[str]] | None = None,
    reuse: str | Path | None = None,
    run_missing: bool = True,
    progress: Callable[[str], None] = print,
    on_cell: Callable[[list[Column], list[Cell]], None] | None = None,
) -> tuple[list[Column], list[Cell]]:
    """Every method on every recipe with every seed; a cell whose method does not serve the recipe's modality, or
    whose recipe or run fails, records why and the matrix goes on. ``cell_overrides`` apply after ``overrides`` to
    one cell; ``reuse`` names a matrix CSV whose matching runs are taken instead of run, and with ``run_missing``
    False nothing else runs (the table says which seeds each cell has). ``on_cell`` hears of the matrix after each
    run (to write partial results)."""
    from multissl import recipe
    from multissl.plugins import registry

    if not methods:
        raise RecipeError("Name the methods to compare, e.g. --methods simclr vicreg barlow_twins byol mae.")
    if not seeds:
        raise RecipeError("Pass at least one seed, e.g. --seeds 0 1 2.")
    for method in methods:
        registry().entry("method", method)  # an unknown name is refused before anything trains
    cell_overrides = cell_overrides or {}
    reused: dict[RunKey, BenchRun] = read_rows(reuse) if reuse is not None else {}
    columns = read_columns(recipes)
    unknown = set(cell_overrides) - {(c.name, m) for c in columns for m in methods}
    if unknown:
        raise RecipeError(f"--cell-set names cells not in the matrix: {sorted('/'.join(u) for u in unknown)}.")
    cells: list[Cell] = []
    planned: list[tuple[Cell, dict[str, Any]]] = []
    for column in columns:
        for method in methods:
            cell = Cell(method, column.name, overrides=list(cell_overrides.get((column.name, method), [])),
                        seeds=len(seeds))
            cells.append(cell)
            if column.problem is not None:
                cell.problem = column.problem
                continue
            served = [entry.name for entry in registry().methods_for(column.modality)]
            if method not in served:
                cell.problem = f"not offered on {column.modality}"
                continue
            try:
                raw = method_recipe(column.raw, method, [*overrides, *cell.overrides])
                recipe.resolve(raw, registry())
            except Exception as exc:  # noqa: BLE001 - the cell reports any failure and the matrix goes on
                cell.problem = _short(exc)
                continue
            cell.config = config_key(raw)
            cell.runs = [reused[key] for seed in seeds if (key := (column.name, method, seed, cell.config)) in reused]
            cell.finished = len(cell.runs) == len(seeds)
            if not cell.finished and run_missing:
                planned.append((cell, raw))
    if cells and on_cell is not None:
        on_cell(columns, cells)
    planned.sort(key=lambda item: _expected_seconds(item[0], cells, len(seeds)))
    total = sum(len(seeds) - len(cell.runs) for cell, _ in planned)
    progress(f"{sum(len(c.runs) for c in cells)} runs reused, {total} to run")
    started = time.perf_counter()
    done = 0
    for cell, raw in planned:
        have = {run.seed for run in cell.runs}
        for seed in [s for s in seeds if s not in have]:
            done += 1
            progress(f"[{done}/{total}] {cell.column} {cell.method} seed {seed} (elapsed {_clock(time.perf_counter() - started)})")
            try:
                cell.runs.append(run_and_evaluate_checkpoints(raw, seed, cell.column, cell.method))
            except TrainingInterrupted:
                raise  # a signal stops the whole bench, not one cell
            except Exception as exc:  # noqa: BLE001 - as above; the seeds that ran are kept
                cell.problem = f"seed {seed}: {_short(exc)}"
                break
            if on_cell is not None:
                on_cell(columns, cells)
        cell.runs.sort(key=lambda run: run.seed)
        cell.finished = True
        if on_cell is not None:
            on_cell(columns, cells)
    progress(f"{total} runs in {_clock(time.perf_counter() - started)}")
    return columns, cells


def _expected_seconds(cell: Cell, cells: Sequence[Cell], seeds: int) -> float:
    """Seconds the cell's missing seeds should take: its own runs' mean, else its column's (0 when none is known)."""
    known = [run.wall_seconds for run in cell.runs] or [r.wall_seconds for c in cells if c.column == cell.column for r in c.runs]
    return (seeds - len(cell.runs)) * (_mean(known) if known else 0.0)


def run_and_evaluate_checkpoints(raw: dict[str, Any], seed: int, column: str, method: str) -> BenchRun:
    """One seeded run (its wall seconds: training and evaluation); then, when its highest training RankMe came
    before the last epoch, the weights of that epoch evaluated alike (not counted in the wall seconds), recorded as
    the run's :data:`BEST_RANKME` checkpoint."""
    from multissl import api
    from multissl.engine.model_selection import SELECTED_CHECKPOINT, rankme_checkpoint, read_rankme_checkpoint
    from multissl.plugins import registry

    with tempfile.TemporaryDirectory(prefix="multissl-bench-rankme-") as directory:
        begun = time.perf_counter()
        with _quiet_lightning():
            run = api.run_recipe(_seeded(raw, seed, None), callbacks=[rankme_checkpoint(Path(directory))])
        wall = time.perf_counter() - begun
        result = BenchRun(column, seed, run.metrics["evaluation"], run.metrics["train"]["fit_seconds"], wall,
                          method=method, train=dict(run.metrics["train"]))
        path = Path(directory) / f"{SELECTED_CHECKPOINT}.ckpt"
        if not path.is_file() or run.recipe.evaluate is None:
            return result
        state_dict, epoch, score = read_rankme_checkpoint(path)
        evaluation = result.evaluation
        if epoch != result.train.get("epochs"):
            run.method.load_state_dict(state_dict)
            source = run.recipe.evaluate.data if run.recipe.evaluate.data is not None else run.recipe.source
            evaluation = api.run_evaluators(run, run.recipe.evaluate.build(registry()), source)
        result.checkpoints[BEST_RANKME] = {"epoch": epoch, "rankme": score, "evaluation": evaluation}
        return result


def headline_metric(runs: Sequence[BenchRun], chosen: str | None = None) -> str | None:
    """``chosen`` when given, else the first metric of the reports that has a baseline (the field's metric, which
    each modality's evaluator reports first), else the first metric."""
    if chosen is not None:
        return chosen
    for run in runs:
        with_baseline = [m for m in run.metrics() if _is_number(run.evaluation.get(BASELINE_PREFIX + m))]
        if with_baseline:
            return with_baseline[0]
    return next((m for run in runs for m in run.metrics()), None)


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (scipy.stats.spearmanr, ties averaged); NaN with fewer than 3 pairs or a constant side."""
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return math.nan
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)


@dataclasses.dataclass
class RankMeReading:
    """How RankMe ranks the methods of one column against the headline metric."""

    column: str
    methods: int
    rho_methods: float
    rho_runs: float
    runs: int
    picked: str
    picked_value: float
    best: str
    best_value: float
    rho_checkpoints: float = math.nan
    checkpoints: int = 0
    """Evaluated checkpoints (each run's last, and its highest-RankMe epoch where that came earlier)."""
    selection_gain: list[float] = dataclasses.field(default_factory=list)
    """Per run with a highest-RankMe checkpoint: its metric minus the last checkpoint's (0 when they are one)."""

    def selection(self) -> str:
        """The highest-RankMe checkpoint against the last: mean change of the metric, and how often it is better."""
        if not self.selection_gain:
            return "-"
        better = sum(g > 0 for g in self.selection_gain)
        worse = sum(g < 0 for g in self.selection_gain)
        return (f"{_mean(self.selection_gain):+.4f} ({better} better, {worse} worse, "
                f"{len(self.selection_gain) - better - worse} same epoch of {len(self.selection_gain)})")

    def sentence(self) -> str:
        if math.isnan(self.rho_methods):
            return "too few methods ran to rank"
        strength = ("agrees with" if self.rho_methods >= 0.7 else "agrees weakly with" if self.rho_methods >= 0.3
                    else "does not track" if self.rho_methods > -0.3 else "runs against")
        pick = (f"its pick ({self.picked}) is the best method" if self.picked == self.best else
                f"its pick {self.picked} scores {self.picked_value:.3f} vs the best, {self.best}, {self.best_value:.3f}")
        return f"RankMe {strength} the metric's ranking; {pick}"


def rankme_readings(columns: Sequence[Column], cells: Sequence[Cell], metrics: dict[str, str | None]) -> list[RankMeReading]:
    """Per column with at least one run: Spearman ρ between final RankMe and the headline metric, over the method
    means and over every run, and the method RankMe picks against the best one."""
    readings = []
    for column in columns:
        metric = metrics.get(column.name)
        ran = [cell for cell in cells if cell.column == column.name and cell.runs]
        if metric is None or not ran:
            continue
        pairs, means, checkpoints, gains = [], [], [], []
        for cell in ran:
            points = [(float(run.train[RANKME]), run.metrics()[metric]) for run in cell.runs
                      if _is_number(run.train.get(RANKME)) and metric in run.metrics()]
            pairs += points
            if points:
                means.append((cell.method, _mean([p[0] for p in points]), _mean([p[1] for p in points])))
            for run in cell.runs:
                last = run.metrics().get(metric)
                if _is_number(run.train.get(RANKME)) and last is not None:
                    checkpoints.append((float(run.train[RANKME]), last))
                held = run.checkpoints.get(BEST_RANKME)
                value = None if held is None else held["evaluation"].get(metric)
                if last is None or not _is_number(value):
                    continue
                gains.append(float(value) - last)
                if held["epoch"] != run.train.get("epochs") and held.get("rankme") is not None:
                    checkpoints.append((float(held["rankme"]), float(value)))
        if not means:
            continue
        picked = max(means, key=lambda m: m[1])
        best = max(means, key=lambda m: m[2])
        readings.append(RankMeReading(
            column.name, len(means), spearman([m[1] for m in means], [m[2] for m in means]),
            spearman([p[0] for p in pairs], [p[1] for p in pairs]), len(pairs), picked[0], picked[2], best[0], best[2],
            spearman([c[0] for c in checkpoints], [c[1] for c in checkpoints]), len(checkpoints), gains,
        ))
    return readings


def matrix_markdown(columns: Sequence[Column], cells: Sequence[Cell], command: str,
                    chosen_metrics: dict[str, str] | None = None) -> str:
    """The cross-table, the RankMe readings and the command."""
    chosen_metrics = chosen_metrics or {}
    metrics = {c.name: headline_metric([r for cell in cells if cell.column == c.name for r in cell.runs],
                                       chosen_metrics.get(c.name)) for c in columns}
    methods = list(dict.fromkeys(cell.method for cell in cells))
    by_key = {(cell.method, cell.column): cell for cell in cells}
    seeds = sorted({run.seed for cell in cells for run in cell.runs})
    header = ["method", *[f"{c.dataset} ({c.modality})" for c in columns]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.append("| metric | " + " | ".join(f"`{metrics[c.name]}`" if metrics[c.name] else "-" for c in columns) + " |")
    baseline_row = ["baseline"]
    for column in columns:
        runs = [r for cell in cells if cell.column == column.name for r in cell.runs]
        metric = metrics[column.name]
        per_seed: dict[int, float] = {}  # the baseline does not depend on the method: one value per seed
        for run in runs:
            if metric and _is_number(run.evaluation.get(BASELINE_PREFIX + metric)):
                per_seed.setdefault(run.seed, float(run.evaluation[BASELINE_PREFIX + metric]))
        name = next((str(r.evaluation[BASELINE_KEY]) for r in runs if r.evaluation.get(BASELINE_KEY)), "baseline")
        baseline_row.append(f"{_mean_std(list(per_seed.values()))} ({name})" if per_seed else "-")
    lines.append("| " + " | ".join(baseline_row) + " |")
    for method in methods:
        row = [method]
        for column in columns:
            cell = by_key[method, column.name]
            metric = metrics[column.name]
            values = [r.metrics()[metric] for r in cell.runs if metric in r.metrics()]
            if not values:
                row.append(f"— {cell.problem or ('not run: the bench stopped before it' if not cell.finished else '-')}")
                continue
            text = f"{_mean_std(values)} · {_mean([r.wall_seconds for r in cell.runs]):.0f} s"
            if len(values) < (cell.seeds or len(seeds)):
                text += f" ({len(values)} of {cell.seeds or len(seeds)} seeds)"
            if cell.problem:
                text += f" — {cell.problem}"
            row.append(text)
        lines.append("| " + " | ".join(_escape(v) for v in row) + " |")
    notes = [f"`{cell.column}` × `{cell.method}` trains with `{' '.join(cell.overrides)}`."
             for cell in cells if cell.overrides]
    readings = rankme_readings(columns, cells, metrics)
    rank_lines = ["| data | methods | ρ over method means | ρ over runs (n) | ρ over checkpoints (n) | "
                  "highest-RankMe epoch − last epoch | reading |", "|---|---|---|---|---|---|---|"]
    for reading in readings:
        rank_lines.append(
            f"| {reading.column} | {reading.methods} | {_rho(reading.rho_methods)} | {_rho(reading.rho_runs)} "
            f"({reading.runs}) | {_rho(reading.rho_checkpoints)} ({reading.checkpoints}) | {reading.selection()} "
            f"| {reading.sentence()} |"
        )
    return "\n".join([
        "# Every method on every data type", "",
        f"Seeds {', '.join(map(str, seeds)) or '-'}; each cell: mean ± sample std over seeds · wall seconds per run "
        f"(training and evaluation, {_threads()} CPU thread(s) per run). The baseline row comes from the same runs.", "",
        *lines, "", *([" ".join(notes), ""] if notes else []),
        f"Label-free selection: Spearman ρ between the training RankMe (`{RANKME}`) and the metric above, over "
        "method means, over runs (last epoch), and over checkpoints (each run's last epoch and, where it came earlier, "
        "its epoch of highest RankMe, the one `trainer.select_by: rankme` keeps); then that epoch's metric minus the "
        "last epoch's, per run.", "",
        *rank_lines, "", "```bash", command, "```", "",
    ])


def write_matrix(columns: Sequence[Column], cells: Sequence[Cell], command: str, output: str | Path,
                 chosen_metrics: dict[str, str] | None = None) -> tuple[Path, Path]:
    """``output`` (Markdown) and beside it a ``.csv`` with one row per recipe, method, seed, checkpoint and metric
    (:func:`~multissl.bench_reuse.write_rows`)."""
    output = Path(output)
    if output.suffix != ".md":
        raise RecipeError(f"The bench output {output} must end in .md (a .csv of the raw values is written beside it).")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(matrix_markdown(columns, cells, command, chosen_metrics))
    table = output.with_suffix(".csv")
    modality = {c.name: c.modality for c in columns}
    write_rows(table, [(modality[cell.column], cell.method, cell.config, run) for cell in cells for run in cell.runs])
    return output, table


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def _rho(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:+.2f}"


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")
