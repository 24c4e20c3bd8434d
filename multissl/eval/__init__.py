"""Evaluators: probes on frozen embeddings, RankMe, ranking metrics, and the report that runs them."""

from multissl.eval.knn_probe import knn_probe
from multissl.eval.linear_probe import linear_probe
from multissl.eval.probe_report import format_report, probe_report
from multissl.eval.rankme import rankme
from multissl.eval.ranking import full_ranking_metrics, hit_and_mrr

__all__ = ["format_report", "full_ranking_metrics", "hit_and_mrr", "knn_probe", "linear_probe", "probe_report", "rankme"]
