"""``multissl report``: training curves, the evaluation next to its baselines and an embedding map in one HTML
page; the bar chart ``multissl bench`` writes beside its table."""

from __future__ import annotations

import base64
import importlib.util
import re

import numpy as np
import pandas as pd
import pytest

import multissl
from multissl.bench import CSV_COLUMNS
from multissl.cli import main
from multissl.errors import RecipeError
from multissl.report import plotting
from multissl.report.bench_chart import bench_summary, write_bench_chart
from multissl.report.run_report import evaluation_rows, write_run_report

pytestmark = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="the report extra is not installed")
EPOCHS = 2
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    assert main(["pretrain", "breast_cancer_simclr", "--set", f"trainer.max_epochs={EPOCHS}",
                 "trainer.enable_progress_bar=false", f"output_dir={out}"]) == 0
    return out


def test_the_page_holds_curves_evaluation_and_a_labelled_map(saved_run, tmp_path):
    run = multissl.load(saved_run)
    drawn = write_run_report(run, tmp_path / "report.html")
    assert set(drawn["curves"]) == {"loss", "learning rate", "RankMe (fixed sample)"}
    assert all(len(series) == EPOCHS for panel in drawn["curves"].values() for series in panel.values())
    assert drawn["maps"]["PCA"].shape == (569, 2) and drawn["labelled"]
    page = (tmp_path / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2 and all(base64.b64decode(i).startswith(PNG_MAGIC) for i in images)
    for png in ("report_curves.png", "report_embeddings.png"):
        assert (tmp_path / png).read_bytes().startswith(PNG_MAGIC)
    assert "linear_probe/accuracy" in page and "baseline (raw features)" in page


def test_the_cli_writes_the_page_where_asked_and_never_into_the_run(saved_run, tmp_path, capsys):
    before = sorted(p.name for p in saved_run.iterdir())
    assert main(["report", str(saved_run), "-o", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").is_file() and sorted(p.name for p in saved_run.iterdir()) == before


def test_evaluation_rows_mark_which_side_is_ahead():
    rows, classes = evaluation_rows({
        "probe/accuracy": 0.9, "baseline/probe/accuracy": 0.8, "probe/rmse": 0.5, "baseline/probe/rmse": 0.4,
        "rankme": 30.0, "baseline/rankme": 50.0, "n_train": 100, "baseline": "raw features",
    })
    assert [r[0] for r in rows] == ["probe/accuracy", "probe/rmse", "rankme", "n_train"]
    assert classes[0][3] == "better" and classes[1][3] == "worse" and classes[2][3] == "" and rows[3][1] == "100"


def test_the_bench_chart_summarises_the_csv_over_seeds(tmp_path):
    rows = [("a", s, "probe/accuracy", v, b, "raw", 1.0, 1.0) for s, v, b in [(0, 0.8, 0.7), (1, 0.9, 0.7)]]
    rows += [("b", 0, "probe/accuracy", 0.5, float("nan"), "", 1.0, 1.0)]
    path = tmp_path / "bench.csv"
    pd.DataFrame(rows, columns=CSV_COLUMNS).to_csv(path, index=False)
    summary = bench_summary(path).set_index("recipe")
    assert summary.loc["a", "mean"] == pytest.approx(0.85) and summary.loc["a", "std"] == pytest.approx(np.std([0.8, 0.9], ddof=1))
    assert summary.loc["a", "baseline_mean"] == pytest.approx(0.7) and np.isnan(summary.loc["b", "baseline_mean"])
    assert write_bench_chart(path).read_bytes().startswith(PNG_MAGIC)


def test_without_matplotlib_the_error_names_the_extra(monkeypatch):
    monkeypatch.setattr(plotting.importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(RecipeError, match=r"pip install 'multissl\[report\]'"):
        plotting.pyplot()
