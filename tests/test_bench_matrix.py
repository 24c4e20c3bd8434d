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

    def interrupted(raw):
        raise TrainingInterrupted("stopped by SIGTERM", 15)

    monkeypatch.setattr(api, "run_recipe", interrupted)
    with pytest.raises(TrainingInterrupted):
        run_matrix([str(path)], ["simclr", "vicreg"], [0], progress=lambda line: None)


def test_cells_not_yet_run_say_so_in_partial_tables():
    cells = [_runs("a", [10, 11], [0.9, 0.8]), Cell("b", "d", finished=False)]
    table = matrix_markdown([Column("d", {}, "vectors", "x")], cells, "multissl bench d")
    assert "| b | — not run: the bench stopped before it |" in table
