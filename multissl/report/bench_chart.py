"""The bar chart ``multissl bench`` writes beside its table: each recipe's metrics, mean ± std over seeds,
next to the baseline measured in the same runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from multissl.report.plotting import pyplot


def bench_summary(csv_path: Path) -> pd.DataFrame:
    """Per recipe and metric: ``mean``, ``std`` over seeds, and the baseline's ``baseline_mean``, ``baseline_std``
    (NaN where there is none), from the CSV ``multissl bench`` writes."""
    frame = pd.read_csv(csv_path)
    grouped = frame.groupby(["recipe", "metric"], sort=False)
    summary = grouped["value"].agg(["mean", "std"]).join(
        grouped["baseline_value"].agg(baseline_mean="mean", baseline_std="std"))
    return summary.fillna({"std": 0.0, "baseline_std": 0.0}).reset_index()


def write_bench_chart(csv_path: Path, output: Path | None = None) -> Path:
    """One panel per metric, a pair of bars (method, baseline) per recipe with ±1 std error bars; PNG at ``output``
    (default: the CSV's path with ``.png``)."""
    summary = bench_summary(Path(csv_path))
    output = Path(output) if output is not None else Path(csv_path).with_suffix(".png")
    metrics = list(dict.fromkeys(summary["metric"]))
    plt = pyplot()
    figure, axes = plt.subplots(len(metrics), 1, figsize=(max(5.0, 1.6 * summary["recipe"].nunique() + 2), 2.6 * len(metrics)),
                                squeeze=False)
    for axis, metric in zip(axes[:, 0], metrics):
        rows = summary[summary["metric"] == metric]
        x = np.arange(len(rows))
        axis.bar(x - 0.2, rows["mean"], 0.4, yerr=rows["std"], capsize=3, label="method")
        if rows["baseline_mean"].notna().any():
            axis.bar(x + 0.2, rows["baseline_mean"], 0.4, yerr=rows["baseline_std"], capsize=3, label="baseline", color="#999")
        axis.set_xticks(x, rows["recipe"], rotation=15, fontsize=8)
        axis.set_title(metric, fontsize=9)
        axis.grid(axis="y", alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(output, dpi=110)
    plt.close(figure)
    return output
