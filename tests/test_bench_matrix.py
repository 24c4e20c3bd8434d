"""``multissl bench --methods ... --matrix``: methods x data types, a reason in every cell that cannot run, and
RankMe's rank correlation with the metric."""

from __future__ import annotations

import csv
import math
import shlex

import pytest

from multissl.bench import BenchRun
from multissl.bench_matrix import Cell, Column, matrix_markdown, method_recipe, rankme_readings, spearman
from multissl.cli import main
from multissl.plugins import registry

TINY = """\
modality: vectors
data: {source: wine, label_column: target}
method: {name: simclr, temperature: 0.3}
trainer: {max_epochs: 1, log_every_n_steps: 1}
loader: {batch_size: 64}
evaluate: {test_fraction: 0.3, probes: [linear_probe], label_fractions: [1.0]}
"""


def test_matrix_runs_every_method_that_serves_the_data_and_says_why_for_the_others(tmp_path, capsys):
    path = tmp_path / "wine_generic.yaml"
    path.write_text(TINY)
    elsewhere = next((e.name for e in registry().entries("method") if "vectors" not in e.modalities), None)
    methods = ["simclr", "byol", *([elsewhere] if elsewhere else [])]
    output = tmp_path / "table.md"
    argv = ["bench", str(path), "absent_generic", "--methods", *methods, "--matrix", "--seeds", "0", "1",
            "--set", "method.encoder_options={hidden_dims: [16], output_dim: 8}", "-o", str(output)]
    assert main(argv) == 0
    markdown = output.read_text()
    assert "| method | wine (vectors) | absent_generic (missing) |" in markdown
    assert "| metric | `linear_probe/accuracy` | - |" in markdown
    assert "raw features" in markdown.split("| baseline |")[1].split("\n")[0]
    for method in ("simclr", "byol"):
        row = next(line for line in markdown.splitlines() if line.startswith(f"| {method} |"))
        assert " ± " in row and " s |" in row and "no recipe 'absent_generic' is installed" in row
    if elsewhere:
        assert "not offered on vectors" in next(line for line in markdown.splitlines() if line.startswith(f"| {elsewhere} |"))
    assert "| wine_generic | 2 |" in markdown and "multissl " + shlex.join(argv) in markdown
    rows = list(csv.DictReader(output.with_suffix(".csv").open()))
    assert {(row["method"], row["seed"]) for row in rows} == {(m, s) for m in ("simclr", "byol") for s in "01"}
    assert all(float(row["rankme"]) > 1 for row in rows)


def test_the_method_block_is_replaced_so_the_modality_defaults_apply(capsys):
    raw = {"modality": "vectors", "method": {"name": "simclr", "objective_options": {"temperature": 0.3},
                                             "encoder_options": {"output_dim": 8}}}
    assert method_recipe(raw, "mae", ["method.loss=sce"])["method"] == {"name": "mae", "encoder_options": {"output_dim": 8},
                                                                          "loss": "sce"}
    assert main(["bench", "digits_generic", "--matrix"]) != 0
    assert "--methods and --matrix go together" in capsys.readouterr().err


def _runs(method: str, rankmes, accuracies) -> Cell:
    runs = [BenchRun("d", seed, {"acc": acc, "baseline/acc": 0.5}, 1.0, 2.0, method=method, train={"collapse/rankme": r})
            for seed, (r, acc) in enumerate(zip(rankmes, accuracies))]
    return Cell(method, "d", runs)


def test_rankme_readings_on_known_values():
    cells = [_runs("a", [10, 11], [0.9, 0.8]), _runs("b", [5, 6], [0.7, 0.6]), _runs("c", [20, 21], [0.5, 0.4])]
    (reading,) = rankme_readings([Column("d", {}, "vectors", "x")], cells, {"d": "acc"})
    assert reading.rho_methods == pytest.approx(-0.5)  # means: rankme a 10.5, b 5.5, c 20.5; acc 0.85, 0.65, 0.45
    assert reading.picked == "c" and reading.best == "a" and reading.runs == 6
    assert "runs against" in reading.sentence() and "c scores 0.450 vs the best, a, 0.850" in reading.sentence()
    assert spearman([1, 2, 3], [3, 5, 9]) == pytest.approx(1.0) and math.isnan(spearman([1, 2], [2, 1]))
    table = matrix_markdown([Column("d", {}, "vectors", "x")], cells, "multissl bench d")
    assert "| a | 0.8500 ± 0.0707 · 2 s |" in table and "| baseline | 0.5000 ± 0.0000 (baseline) |" in table


def test_a_signal_stops_the_whole_matrix(tmp_path, monkeypatch):
    from multissl import api
    from multissl.bench_matrix import run_matrix
    from multissl.errors import TrainingInterrupted

    path = tmp_path / "wine_generic.yaml"
    path.write_text(TINY)

    def interrupted(raw, **options):
        raise TrainingInterrupted("stopped by SIGTERM", 15)

    monkeypatch.setattr(api, "run_recipe", interrupted)
    with pytest.raises(TrainingInterrupted):
        run_matrix([str(path)], ["simclr", "vicreg"], [0], progress=lambda line: None)


def test_cells_not_yet_run_say_so_in_partial_tables():
    cells = [_runs("a", [10, 11], [0.9, 0.8]), Cell("b", "d", finished=False)]
    table = matrix_markdown([Column("d", {}, "vectors", "x")], cells, "multissl bench d")
    assert "| b | — not run: the bench stopped before it |" in table


def test_reuse_takes_the_runs_of_the_same_configuration_and_runs_only_the_rest(tmp_path, capsys):
    path = tmp_path / "wine_generic.yaml"
    path.write_text(TINY)
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    common = ["bench", str(path), "--methods", "simclr", "vicreg", "--matrix", "--set",
              "method.encoder_options={hidden_dims: [16], output_dim: 8}"]
    assert main([*common, "--seeds", "0", "-o", str(first)]) == 0
    assert main([*common, "--seeds", "0", "1", "--reuse", str(first.with_suffix(".csv")), "-o", str(second),
                 "--cell-set", "wine_generic/vicreg:optimizer.lr=0.002"]) == 0
    assert "1 runs reused, 3 to run" in capsys.readouterr().out  # vicreg's seed 0 trained another configuration
    before = list(csv.DictReader(first.with_suffix(".csv").open()))
    after = list(csv.DictReader(second.with_suffix(".csv").open()))
    kept = [row for row in after if row["method"] == "simclr" and row["seed"] == "0"]
    assert kept == [row for row in before if row["method"] == "simclr"]
    assert {(row["method"], row["seed"]) for row in after} == {(m, s) for m in ("simclr", "vicreg") for s in "01"}
    assert "`wine_generic` × `vicreg` trains with `optimizer.lr=0.002`." in second.read_text()

    table = tmp_path / "reused.md"
    assert main([*common, "--seeds", "0", "1", "2", "--reuse", str(second.with_suffix(".csv")), "--reuse-only",
                 "-o", str(table)]) == 0
    simclr = next(line for line in table.read_text().splitlines() if line.startswith("| simclr |"))
    vicreg = next(line for line in table.read_text().splitlines() if line.startswith("| vicreg |"))
    assert "(2 of 3 seeds)" in simclr and "not run" in vicreg  # vicreg's runs were made with another learning rate
    assert main([*common, "--seeds", "0", "--cell-set", "wine_generic/byol:loader.batch_size=8"]) != 0
    assert "--cell-set names cells not in the matrix: ['wine_generic/byol']" in capsys.readouterr().err


def test_a_run_whose_rankme_peaked_early_is_evaluated_again_at_that_epoch(tmp_path, monkeypatch):
    from multissl.bench_matrix import BEST_RANKME, run_and_evaluate_checkpoints, write_matrix
    from multissl.bench_reuse import read_rows
    from multissl.engine import collapse_monitor
    from multissl.recipe import read_recipe

    measured = collapse_monitor.collapse_signal
    falling = iter([30.0, 20.0, 10.0])  # RankMe highest after the first epoch

    def signal(embeddings):
        return {**measured(embeddings), "rankme": next(falling)}

    monkeypatch.setattr(collapse_monitor, "collapse_signal", signal)
    from multissl import api

    evaluated, evaluate = [], api.run_evaluators

    def weighed(run, *args):  # each evaluation's weights, summed
        evaluated.append(float(sum(p.sum() for p in run.method.parameters())))
        return evaluate(run, *args)

    monkeypatch.setattr(api, "run_evaluators", weighed)
    path = tmp_path / "wine_generic.yaml"
    path.write_text(TINY)
    raw = method_recipe(read_recipe(path), "simclr", ["trainer.max_epochs=3"])
    run = run_and_evaluate_checkpoints(raw, 0, "wine_generic", "simclr")
    held = run.checkpoints[BEST_RANKME]
    assert run.train["epochs"] == 3 and run.train["collapse/rankme"] == 10.0
    assert held["epoch"] == 1 and held["rankme"] == 30.0
    assert len(evaluated) == 2 and evaluated[0] != evaluated[1]  # the last epoch's weights, then the first's
    assert held["evaluation"].keys() == run.evaluation.keys()
    cell = Cell("simclr", "wine_generic", [run], config="abc")
    _, table = write_matrix([Column("wine_generic", {}, "vectors", "wine")], [cell], "multissl bench", tmp_path / "m.md")
    (back,) = read_rows(table).values()
    assert back.checkpoints[BEST_RANKME]["evaluation"] == pytest.approx(
        {k: v for k, v in held["evaluation"].items() if isinstance(v, float) or k.startswith("baseline")})
    assert back.metrics() == pytest.approx(run.metrics()) and back.train["epochs"] == 3


def test_rankme_across_checkpoints_and_the_selected_epoch_against_the_last():
    def run(seed, method, last, early):
        """``last`` and ``early``: (rankme, accuracy) at the last epoch (5) and the highest-RankMe one (epoch 2 if
        ``early``, else the last)."""
        held = {"epoch": 2, "rankme": early[0], "evaluation": {"acc": early[1]}} if early else \
            {"epoch": 5, "rankme": last[0], "evaluation": {"acc": last[1]}}
        return BenchRun("d", seed, {"acc": last[1]}, 1.0, 1.0, method=method,
                        train={"collapse/rankme": last[0], "epochs": 5}, checkpoints={"rankme": held})

    cells = [Cell("a", "d", [run(0, "a", (10, 0.5), (12, 0.6)), run(1, "a", (11, 0.55), None)]),
             Cell("b", "d", [run(0, "b", (20, 0.7), (25, 0.65))])]
    (reading,) = rankme_readings([Column("d", {}, "vectors", "x")], cells, {"d": "acc"})
    # checkpoints: (10, .5) (12, .6) (11, .55) (20, .7) (25, .65): ranks 1 3 2 4 5 vs 1 3 2 5 4
    assert reading.checkpoints == 5 and reading.rho_checkpoints == pytest.approx(0.9)
    assert reading.selection() == "+0.0167 (1 better, 1 worse, 1 same epoch of 3)"
