"""Training curves of a run: every epoch-level series its CSV logs hold (losses, learning rate, RankMe)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from multissl.report.plotting import pyplot

PANELS = {
    "loss": ("train/loss_epoch", "val/loss"),
    "learning rate": ("lr-",),
    "RankMe (fixed sample)": ("collapse/rankme",),
}
"""Panel title -> metric names (or prefixes ending in ``-``) drawn in it, against the epoch."""


def read_series(run_dir: Path) -> dict[str, pd.Series]:
    """Each logged metric of ``run_dir/logs/version_*/metrics.csv`` (versions in order: a resumed run continues
    the curve) as a Series indexed by epoch, one value an epoch (the last one logged in it)."""
    files = sorted((run_dir / "logs").glob("version_*/metrics.csv"), key=lambda p: int(p.parent.name.split("_")[-1]))
    if not files:
        return {}
    frame = pd.concat([pd.read_csv(path) for path in files], ignore_index=True)
    if "epoch" not in frame:
        return {}
    frame["epoch"] = frame["epoch"].bfill().ffill()  # rows without an epoch (the learning rate, logged as an epoch starts) join the next
    series = {}
    for column in frame.columns:
        if column in ("epoch", "step"):
            continue
        values = frame[["epoch", column]].dropna()
        if len(values):
            series[column] = values.groupby("epoch")[column].last()
    return series


def panel_series(series: dict[str, pd.Series]) -> dict[str, dict[str, pd.Series]]:
    """The series of each panel of :data:`PANELS` that the logs hold (empty panels left out)."""
    panels = {}
    for title, names in PANELS.items():
        chosen = {name: values for name, values in series.items()
                  if any(name == n or (n.endswith("-") and name.startswith(n)) for n in names)}
        distinct: dict[str, pd.Series] = {}
        for name, values in chosen.items():  # e.g. parameter groups sharing one learning rate: drawn once
            if not any(values.equals(kept) for kept in distinct.values()):
                distinct[name] = values
        if distinct:
            panels[title] = distinct
    return panels


def plot_training_curves(series: dict[str, pd.Series], path: Path) -> dict[str, dict[str, pd.Series]]:
    """Write one row of panels (loss, learning rate, RankMe) to ``path`` (PNG); returns what was drawn."""
    panels = panel_series(series)
    plt = pyplot()
    figure, axes = plt.subplots(1, max(len(panels), 1), figsize=(4.2 * max(len(panels), 1), 3.2), squeeze=False)
    for axis, (title, chosen) in zip(axes[0], panels.items()):
        for name, values in chosen.items():
            axis.plot(values.index, values.values, marker="o" if len(values) < 20 else None, markersize=3, label=name)
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.xaxis.get_major_locator().set_params(integer=True)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    if not panels:
        axes[0][0].text(0.5, 0.5, "no epoch-level logs", ha="center", va="center")
        axes[0][0].set_axis_off()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return panels
