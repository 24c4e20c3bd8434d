"""The ``relation_ranking`` evaluator: filtered MRR@10 and Hits@10 of the test triples, against a baseline trained
in the same call.

The run ranks every test triple's tail among the locations of its slot, other true tails filtered out (SEENet's
protocol, :mod:`.ranking`; Li et al., KDD 2023, Table 2). Baseline (``baseline``): ``no_ssl``, the same model
trained without SE-SSL pretraining (the paper's ablation); or ``rgcn`` / ``distmult``, R-GCN + DistMult or DistMult
on free embeddings (the paper's baselines). It is trained with the run's recipe (data options, schedule,
optimizer, seed) and ranked the same way.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from multissl.errors import InvalidDataError, RecipeError
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX, Evaluator
from multissl_graph.baseline_run import train_variant

BASELINES = {
    "no_ssl": ({"ssl": False}, "SEENet without SE-SSL"),
    "rgcn": ({"ssl": False, "encoder": "rgcn"}, "R-GCN + DistMult"),
    "distmult": ({"ssl": False, "encoder": "distmult"}, "DistMult"),
}
"""Baseline name -> (SEENet options it changes, what the report calls it)."""
METRICS = {"mrr@10": "mrr@10", "hits@10": "hit@10"}
"""Report key -> key of :meth:`SEENet.rank`."""


@dataclasses.dataclass
class RelationRankingOptions:
    """Keys of the ``evaluate:`` block the ``relation_ranking`` evaluator reads."""

    baseline: Literal["no_ssl", "rgcn", "distmult"] = "no_ssl"
    """The model trained next to the run: SEENet without SE-SSL, R-GCN + DistMult, or DistMult."""


class RelationRanking(Evaluator):
    """Filtered tail ranking of the test triples by the run and by its baseline."""

    Options = RelationRankingOptions

    def check(self, modality: Any) -> None:
        if self.options.baseline not in BASELINES:
            raise RecipeError(f"evaluate.baseline must be one of {sorted(BASELINES)}, got {self.options.baseline!r}.")

    def __call__(self, run: Any, source: Any) -> dict[str, Any]:
        if not hasattr(run.method, "rank"):
            raise RecipeError(f"relation_ranking scores SEENet runs (a method with rank()); this run's method is {run.recipe.method!r}.")
        changes, name = BASELINES[self.options.baseline]
        options = {**dataclasses.asdict(run.recipe.method_options), **changes}
        baseline = train_variant(run, source, run.recipe.method, options)
        report: dict[str, Any] = {BASELINE_KEY: name}
        for prefix, trained in (("", run), (BASELINE_PREFIX, baseline)):
            metrics = trained.method.rank(trained.modality.transform(trained.read(source)), "test", ks=(10,))
            if metrics["n_ranked"] == 0:
                raise InvalidDataError(
                    f"None of the {int(metrics['n_unranked'])} test triples can be ranked (no test split, or tails that no "
                    "training triple of their slot mentions); give test triples between locations seen in training."
                )
            report.update({prefix + key: metrics[own] for key, own in METRICS.items()})
        report.update({"n_ranked": int(metrics["n_ranked"]), "n_unranked": int(metrics["n_unranked"])})
        return report
