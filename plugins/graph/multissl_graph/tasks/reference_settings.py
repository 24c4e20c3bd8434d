"""The reference's per-dataset SelfTask settings (ChandlerBang/SelfTask-GNN), named by a recipe's
``method.reference_settings`` (``cora``, ``citeseer`` or ``pubmed``).

- lambda, the task's loss weight: ``src/configs.py`` ``lambda_config`` (ContextLabel per filler:
  ``LPContextLabel``, ``ICAContextLabel``, ``CombinedContextLabel``). Its PairwiseAttrSim row spells
  Citeseer ``citeser``, so the reference itself finds no Citeseer value; the 5 it holds is taken here.
- METIS parts of Distance2Clusters: ``src/selfsl.py`` ``DistanceCluster`` (10, 10, 30).
- Nodes relabelled per step by ContextLabel's label correction: ``src/selfsl.py`` (1,000, 3,000, 10,000).

The label-correction weight alpha is a command-line value in the reference (its Cora script 1.5, its
PubMed script 1), so recipes set it (``task_options.label_correction``).
"""

from __future__ import annotations

from typing import Any

DATASETS = ("cora", "citeseer", "pubmed")

LAMBDA: dict[str, dict[str, float]] = {
    "distance2clusters": {"cora": 100.0, "citeseer": 10.0, "pubmed": 2000.0},
    "attribute_mask": {"cora": 100.0, "citeseer": 5.0, "pubmed": 50.0},
    "pairwise_distance": {"cora": 20.0, "citeseer": 5.0, "pubmed": 5.0},
    "node_property": {"cora": 5.0, "citeseer": 0.1, "pubmed": 0.1},
    "distance2labeled": {"cora": 100.0, "citeseer": 10.0, "pubmed": 1.0},
    "edge_mask": {"cora": 10.0, "citeseer": 5.0, "pubmed": 5.0},
    "pairwise_attr_sim": {"cora": 100.0, "citeseer": 5.0, "pubmed": 0.01},
}
CONTEXT_LABEL_LAMBDA: dict[str, dict[str, float]] = {
    "label_propagation": {"cora": 50.0, "citeseer": 1.0, "pubmed": 1.0},
    "ica": {"cora": 10.0, "citeseer": 10.0, "pubmed": 10.0},
    "ensemble": {"cora": 10.0, "citeseer": 8.0, "pubmed": 10.0},
}
TASK_OPTIONS: dict[str, dict[str, dict[str, Any]]] = {
    "distance2clusters": {"cora": {"num_clusters": 10}, "citeseer": {"num_clusters": 10}, "pubmed": {"num_clusters": 30}},
    "context_label": {"cora": {"correct": 1000}, "citeseer": {"correct": 3000}, "pubmed": {"correct": 10000}},
}


def reference_options(task: str, dataset: str, task_options: dict[str, Any]) -> dict[str, Any]:
    """The options of ``task`` on ``dataset`` in the reference, updated by the recipe's ``task_options``."""
    _check(dataset)
    return {**TASK_OPTIONS.get(task, {}).get(dataset, {}), **task_options}


def reference_weight(task: str, dataset: str, filler: str | None = None) -> float:
    """lambda of ``task`` on ``dataset`` in the reference; ContextLabel's depends on its ``filler``."""
    _check(dataset)
    return (CONTEXT_LABEL_LAMBDA[filler] if task == "context_label" else LAMBDA[task])[dataset]


def _check(dataset: str) -> None:
    if dataset not in DATASETS:
        raise ValueError(f"reference_settings must be one of {list(DATASETS)}, got {dataset!r}")
