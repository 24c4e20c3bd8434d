"""``multissl bench``: recipes over seeds, one Markdown table of mean ± std next to the baseline, a CSV of raw values."""

from __future__ import annotations

import csv
import re

import pytest

from multissl.bench import BenchRun, markdown_table, prepare, run_bench
from multissl.cli import main
from multissl.errors import RecipeError, RunDirectoryError

TINY = """\
modality: vectors
data: {{source: wine}}
method: {{name: {method}, encoder_options: {{hidden_dims: [16], output_dim: 8}}, projector_dims: [8]}}
trainer: {{max_epochs: 1, log_every_n_steps: 1}}
loader: {{batch_size: 64}}
evaluate: {{test_fraction: 0.3, probes: [linear_probe, rankme], label_fractions: [0.1, 1.0]}}
output_dir: {output_dir}
"""


@pytest.fixture
def two_recipes(tmp_path):
    paths = []
    for method in ("simclr", "vicreg"):
        path = tmp_path / f"wine_{method}.yaml"
        path.write_text(TINY.format(method=method, output_dir=tmp_path / "runs" / method))
        paths.append(str(path))
    return paths


def test_bench_writes_mean_std_tables_and_the_command(two_recipes, tmp_path, capsys):
    output = tmp_path / "out" / "results.md"
    argv = ["bench", *two_recipes, "--seeds", "0", "1", "-o", str(output)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "[1/4] wine_simclr seed 0" in printed and "[4/4] wine_vicreg seed 1" in printed
    markdown = output.read_text()
    assert "multissl " + " ".join(argv) in markdown
    assert "| recipe | metric | ours | raw features | seeds | s per run |" in markdown
    cells = re.findall(r"\| (wine_\w+) \| `([^`]+)` \| (\S+ ± \S+) \| (\S+ ± \S+) \| 2 \|", markdown)
    metrics = {"linear_probe@10%/accuracy", "linear_probe@10%/macro_f1", "linear_probe/accuracy",
               "linear_probe/macro_f1", "rankme"}
    assert {(recipe, metric) for recipe, metric, *_ in cells} == {(r, m) for r in ("wine_simclr", "wine_vicreg") for m in metrics}
    # the raw features do not depend on the pretraining seed: their RankMe has no spread
    raw_rankme = {recipe: baseline for recipe, metric, _, baseline in cells if metric == "rankme"}
    assert all(cell.endswith("± 0.0000") for cell in raw_rankme.values())
    rows = list(csv.DictReader(output.with_suffix(".csv").open()))
    assert len(rows) == 2 * 2 * len(metrics)
    assert {(row["recipe"], row["seed"]) for row in rows} == {(r, s) for r in ("wine_simclr", "wine_vicreg") for s in "01"}
    assert all(row["baseline"] == "raw features" and float(row["wall_seconds"]) > 0 for row in rows)
    assert not (tmp_path / "runs").exists()  # bench keeps no run directory unless --keep


def test_bench_means_match_the_csv_and_keep_keeps_runs(two_recipes, tmp_path):
    runs = run_bench(two_recipes[:1], [3, 4], keep=tmp_path / "kept", progress=lambda line: None)
    assert [run.seed for run in runs] == [3, 4]
    assert (tmp_path / "kept" / "wine_simclr" / "seed3" / "recipe.yaml").is_file()
    values = [run.metrics()["linear_probe/accuracy"] for run in runs]
    mean = sum(values) / 2
    std = abs(values[0] - values[1]) / 2**0.5
    assert f"{mean:.4f} ± {std:.4f}" in markdown_table(runs, "multissl bench x")
    with pytest.raises(RunDirectoryError, match="already holds a finished run"):
        run_bench(two_recipes, [4], keep=tmp_path / "kept", progress=lambda line: None)


def test_mean_std_cells_on_known_values():
    runs = [
        BenchRun("r", seed, {"acc": acc, "baseline/acc": 0.5, "n_test": 10, "task": "classification", "baseline": "raw"}, 1.0, 2.0)
        for seed, acc in enumerate([0.6, 0.8, 1.0])
    ]
    table = markdown_table(runs, "multissl bench r")
    assert "| r | `acc` | 0.8000 ± 0.2000 | 0.5000 ± 0.0000 | 3 | 2.0 |" in table
    assert "n_test" not in table and "classification" not in table


def test_errors_before_anything_trains(tmp_path, capsys):
    with pytest.raises(RecipeError, match="Shipped recipes: .*breast_cancer_simclr"):
        prepare(["no_such_recipe"])
    silent = tmp_path / "silent.yaml"
    silent.write_text("modality: vectors\ndata: {source: wine}\nmethod: {name: simclr}\n")
    with pytest.raises(RecipeError, match="no `evaluate:` block"):
        prepare([str(silent)])
    with pytest.raises(RecipeError, match="Unknown key"):
        prepare(["breast_cancer_simclr"], ["evaluate.label_fraction=[0.1]"])
    assert main(["bench", "breast_cancer_simclr", "-o", str(tmp_path / "results.txt")]) == 2
    assert "must end in .md" in capsys.readouterr().err
