"""A 2-D map of embeddings, coloured by label when labels are known: PCA always, UMAP when installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

from multissl.report.plotting import pyplot

MAX_POINTS = 3000
"""At most this many points are drawn (a seeded sample), so the picture stays readable and quick."""
MAX_LEGEND_CLASSES = 20
"""More distinct labels than this are drawn on a continuous colour scale without a legend."""


def projections(embeddings: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """``{"PCA": (N, 2)}`` and, when ``umap-learn`` is installed, ``{"UMAP": (N, 2)}`` too."""
    maps = {"PCA": PCA(n_components=2, random_state=seed).fit_transform(embeddings)}
    if importlib.util.find_spec("umap") is not None and len(embeddings) > 15:
        import umap

        maps["UMAP"] = umap.UMAP(n_components=2, random_state=seed).fit_transform(embeddings)
    return maps


def sample_rows(count: int, seed: int = 0, limit: int = MAX_POINTS) -> np.ndarray:
    """Sorted row indices: all rows, or a seeded sample of ``limit`` of them."""
    if count <= limit:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, size=limit, replace=False))


def plot_embedding_map(embeddings: np.ndarray, labels: np.ndarray | None, path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """Write the maps side by side to ``path`` (PNG); returns them (rows as sampled by :func:`sample_rows`)."""
    rows = sample_rows(len(embeddings), seed)
    points = np.asarray(embeddings, dtype=np.float64)[rows]
    labels = None if labels is None else np.asarray(labels)[rows]
    maps = projections(points, seed)
    plt = pyplot()
    figure, axes = plt.subplots(1, len(maps), figsize=(5 * len(maps), 4.4), squeeze=False)
    for axis, (name, xy) in zip(axes[0], maps.items()):
        if labels is None:
            axis.scatter(xy[:, 0], xy[:, 1], s=5, alpha=0.6)
        else:
            classes = np.unique(labels)
            if len(classes) <= MAX_LEGEND_CLASSES:
                palette = plt.get_cmap("tab20" if len(classes) > 10 else "tab10")
                for i, value in enumerate(classes):
                    chosen = labels == value
                    axis.scatter(xy[chosen, 0], xy[chosen, 1], s=5, alpha=0.7, color=palette(i), label=str(value))
                axis.legend(fontsize=7, markerscale=2.5, loc="best", ncols=2 if len(classes) > 10 else 1)
            else:
                codes = np.searchsorted(classes, labels)
                axis.scatter(xy[:, 0], xy[:, 1], s=5, alpha=0.7, c=codes, cmap="viridis")
        axis.set_title(f"{name} of {len(points)} embeddings" + ("" if labels is None else ", coloured by label"))
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return maps
