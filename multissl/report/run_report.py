"""``multissl report RUN``: a run's training curves, its evaluation next to the baselines, and a map of its
embeddings, as one self-contained HTML page with the PNGs written beside it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from multissl.report import html_page
from multissl.report.embedding_map import plot_embedding_map
from multissl.report.training_curves import plot_training_curves, read_series

BASELINE_PREFIX = "baseline/"


def evaluation_rows(evaluation: dict[str, Any]) -> tuple[list[list[str]], list[list[str]]]:
    """Rows ``metric | embeddings | baseline | difference`` of an evaluation report (``<evaluator>/<metric>`` keys
    with ``baseline/<evaluator>/<metric>`` beside them), and the cell classes marking which side is ahead (for
    metrics where higher is better; ``rmse``/``mae``/``loss`` are lower-is-better)."""
    rows, classes = [], []
    for key, value in evaluation.items():
        if key.startswith(BASELINE_PREFIX) or not _number(value):
            continue
        base = evaluation.get(BASELINE_PREFIX + key)
        name = key.rsplit("/", 1)[-1]
        if name.startswith("n_") or isinstance(value, int):  # sample counts: shown, not compared
            rows.append([key, f"{value:g}", f"{base:g}" if _number(base) else "", ""])
            classes.append(["", "", "", ""])
            continue
        difference = value - base if _number(base) else None
        rows.append([key, f"{value:.4f}", f"{base:.4f}" if _number(base) else "", f"{difference:+.4f}" if difference is not None else ""])
        lower_is_better = any(word in name for word in ("rmse", "mae", "loss", "error"))
        # RankMe is label-free: more rank is not better by itself, so it is not coloured
        scored = difference is not None and difference != 0 and "rankme" not in name
        ahead = (difference < 0) == lower_is_better if scored else None
        classes.append(["", "better" if ahead else "", "", "better" if ahead else ("worse" if ahead is False else "")])
    return rows, classes


def write_run_report(run, output: Path, *, data: Any = None, labels: Any = None, seed: int = 0) -> dict[str, Any]:
    """Write ``output`` (HTML) and ``<stem>_curves.png``, ``<stem>_embeddings.png`` beside it. ``data`` defaults to
    the run's evaluation data (else its training data); labels come from ``labels`` (one per sample) or the data.
    Returns what was drawn: ``{"curves": {panel: {metric: Series}}, "maps": {...}, "evaluation_rows": [...]}``."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    curves_png = output.with_name(output.stem + "_curves.png")
    map_png = output.with_name(output.stem + "_embeddings.png")
    sections: list[tuple[str, str]] = []

    curves = plot_training_curves(read_series(Path(run.path or run.work_dir)), curves_png)
    sections.append(("Training", html_page.image(curves_png, "training curves")))

    evaluation = run.metrics.get("evaluation") or {}
    rows, classes = evaluation_rows(evaluation)
    if rows:
        baseline = evaluation.get("baseline", "baseline")
        body = html_page.table(["metric", "embeddings", f"baseline ({baseline})", "difference"], rows, classes)
        body += '<p class="meta">Green: the embeddings are ahead of the baseline; red: behind.</p>'
    else:
        body = "<p>This run holds no evaluation; run <code>multissl evaluate RUN</code> to add one.</p>"
    sections.append(("Evaluation", body))

    source = data if data is not None else _evaluation_source(run)
    raw = run.read(source)
    embeddings = run.embed_loaded(raw)
    known = np.asarray(labels) if labels is not None else run.modality.labels(raw)
    if known is not None and len(known) != len(embeddings):
        known = None  # labels of another granularity (e.g. per recording) cannot colour per-sample points
    maps = plot_embedding_map(embeddings, known, map_png, seed=seed)
    sections.append(("Embeddings", html_page.image(map_png, "embedding map")))

    train = run.metrics.get("train", {})
    meta = (f"{run.recipe.method} on {run.recipe.modality}: {train.get('epochs', '?')} epochs, {train.get('steps', '?')} "
            f"steps, {train.get('fit_seconds', float('nan')):.1f} s; embeddings {embeddings.shape[1]}-dimensional")
    output.write_text(html_page.page(f"multissl run {Path(run.path or run.work_dir).name}", meta, sections))
    return {"curves": curves, "maps": maps, "evaluation_rows": rows, "labelled": known is not None}


def _evaluation_source(run) -> Any:
    saved = run.recipe.evaluate
    return saved.data if saved is not None and saved.data is not None else run.recipe.source


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
