"""The ``ranking`` evaluator of the ``interactions`` modality: full-ranking Recall/NDCG@K on held-out interactions
against a baseline trained or computed in the same call.

Held-out interactions: for the run's own training data (the default), the held-out part of the same split
(a dataset's given test set, e.g. Gowalla's test.txt, or the ``data.split`` of a single table, redrawn with
the same ``split_seed``); for other data (``evaluate.data``), its ``test`` table when it has one, else every
row. Every item is ranked for every held-out user, the user's training items excluded (He et al. 2020's
protocol; :func:`multissl_recsys.evaluation.ranking_metrics`). Rows naming users or items the run does not
know are an error, or left out and counted (``n_skipped``) with ``data.unknown_ids=skip``.

Baseline (``baseline: auto``): a method with an SSL term is retrained without it, with the same data,
settings and seed (SGL and SimGCL: LightGCN; two_tower_ssl: the towers with ``ssl: none``), which is what
the SSL term is for; a method without one (LightGCN) is compared with the most-popular ranking
(``baseline: most_popular``, also a cheap choice for any method).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from multissl.errors import InvalidDataError, RecipeError
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX, Evaluator
from multissl_recsys.evaluation import embeddings_of, most_popular_embeddings, ranking_metrics

MOST_POPULAR = "most-popular items"


@dataclasses.dataclass
class RankingOptions:
    """Keys of the ``evaluate:`` block the ``ranking`` evaluator reads."""

    k: int | list[int] = 20
    """Cut-off(s) K of Recall@K and NDCG@K."""
    long_tail: bool = True
    """Also report ``tail/recall@K`` and ``tail/ndcg@K`` on the items outside the ``head_fraction`` most popular."""
    head_fraction: float = 0.2
    max_users: int | None = None
    """Evaluate a seeded sample of this many held-out users (every item is still ranked); default: all."""
    batch_users: int = 2048
    """Users scored at a time: memory ``batch_users × items`` (a progress bar counts the users on long evaluations)."""
    baseline: Literal["auto", "most_popular"] = "auto"
    """``auto``: the method retrained without its SSL term where it has one, else the most-popular ranking."""


class Ranking(Evaluator):
    """Full-ranking ``recall@K``, ``ndcg@K`` (and ``tail/...``) of the run and of its baseline."""

    Options = RankingOptions

    def cutoffs(self) -> list[int]:
        ks = self.options.k if isinstance(self.options.k, list) else [self.options.k]
        if not ks or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in ks):
            raise RecipeError(f"evaluate.k must be a positive integer or a list of them, got {self.options.k!r}.")
        return sorted(set(ks))

    def check(self, modality: Any) -> None:
        self.cutoffs()
        if not 0.0 < self.options.head_fraction < 1.0:
            raise RecipeError(f"evaluate.head_fraction (the popular items left out of tail/) must be in (0, 1), got {self.options.head_fraction}.")
        if self.options.max_users is not None and self.options.max_users < 1:
            raise RecipeError(f"evaluate.max_users must be at least 1 (or left out for every user), got {self.options.max_users}.")
        if isinstance(self.options.batch_users, bool) or not isinstance(self.options.batch_users, int) or self.options.batch_users < 1:
            raise RecipeError(f"evaluate.batch_users (users scored at a time) must be a positive integer, got {self.options.batch_users!r}.")

    def __call__(self, run: Any, source: Any) -> dict[str, Any]:
        self.check(run.modality)
        held_out, skipped = self.held_out(run, source)
        if held_out.nnz == 0:
            raise InvalidDataError(
                "No held-out interaction to rank: the evaluation data has no test part. Use data.split=random or "
                "leave_last_out, pass {'train': ..., 'test': ...}, or set evaluate.data to held-out interactions."
            )
        options = self.options
        score = lambda users, items: ranking_metrics(
            run.modality, users, items, held_out, ks=self.cutoffs(), long_tail=options.long_tail,
            head_fraction=options.head_fraction, batch_users=options.batch_users, max_users=options.max_users, seed=self.seed,
        )
        metrics = score(*embeddings_of(run.modality, run.method))
        name, baseline = self.baseline(run)
        baseline_metrics = score(*baseline)
        return {
            **metrics,
            **{f"{BASELINE_PREFIX}{key}": value for key, value in baseline_metrics.items() if not key.startswith("n_")},
            BASELINE_KEY: name,
            "n_skipped": skipped,
        }

    def held_out(self, run: Any, source: Any) -> tuple[sp.csr_array, int]:
        """The (U, I) matrix of held-out interactions and the number of rows left out as unknown."""
        trained_on = run.recipe.source
        if source is trained_on or (isinstance(source, str) and source == trained_on):
            unfitted = type(run.modality)(run.modality.options)  # redraws the training split: same data, same options
            tables = run.read(source, modality=unfitted)
            frame = tables.test
        else:
            tables = run.read(source)
            frame = tables.test if tables.test is not None else tables.train
        if frame is None:
            return sp.csr_array((len(run.modality.user_ids), len(run.modality.item_ids)), dtype=np.float32), 0
        users, items = run.modality.indices(frame)
        return run.modality.matrix(frame), int(((users < 0) | (items < 0)).sum())

    def baseline(self, run: Any) -> tuple[str, tuple[Any, Any]]:
        """The baseline's name and its (U, D) user and (I, D) item embeddings."""
        without_ssl = getattr(type(run.method), "without_ssl", None)
        plan = None
        if self.options.baseline == "auto" and without_ssl is not None:
            plan = without_ssl(dataclasses.asdict(run.method.config))
        if plan is None:
            return MOST_POPULAR, most_popular_embeddings(run.modality)
        method, method_options, label = plan
        baseline_run = retrain(run, method, method_options)
        if baseline_run.modality.user_ids != run.modality.user_ids or baseline_run.modality.item_ids != run.modality.item_ids:
            raise InvalidDataError("The baseline was fitted on other users or items than the run; evaluate with baseline=most_popular.")
        return label, embeddings_of(baseline_run.modality, baseline_run.method)


def retrain(run: Any, method: str, method_options: dict[str, Any]) -> Any:
    """``run``'s recipe trained again with another method block: the same data, data options, schedule and seed."""
    from multissl.api import run_recipe

    source = run.recipe.source
    if isinstance(source, str) and source.startswith("<in-memory"):
        raise InvalidDataError(
            "The baseline retrains the method without SSL on the run's training data, which this loaded run does not "
            "hold (it was trained on an in-memory object). Evaluate with baseline=most_popular, or in the process that trained it."
        )
    recipe = run.recipe.to_dict()
    recipe["data"]["source"] = source  # the object itself, not its description
    recipe.update(method={"name": method, **method_options}, evaluate=None, output_dir=None, resume=None)
    return run_recipe(recipe)
