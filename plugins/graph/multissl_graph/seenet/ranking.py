"""Filtered tail ranking per time slot, SEENet's evaluation protocol, scored with the core's ``hit_and_mrr``.

For a query (s, r, o) of slot t, the candidates are the locations in slot t's training triples (the
reference's ``train_ids``); other true tails o' with (s, r, o') among all known triples (train, valid,
test) are removed (the filtered setting, Bordes et al. 2013). Rank = 1 + #{higher scores} +
#{equal scores}/2 (the expected rank under random tie-breaking; the reference sorts, so its ties fall
arbitrarily). A query whose tail is no candidate cannot be ranked; the reference drops it silently, here
it is counted (``n_unranked``). Metrics are per slot and their average weighted by ranked queries per slot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from multissl.eval.ranking import hit_and_mrr


def filtered_ranks(
    score_all: Callable[[torch.Tensor], torch.Tensor], queries: np.ndarray, known: np.ndarray,
    candidates: np.ndarray, num_relations: int,
) -> tuple[np.ndarray, int]:
    """(ranks of the rankable queries, number of unrankable ones). ``score_all(queries) -> (Q, N)`` scores
    every location as tail; ``candidates`` is an (N,) boolean mask."""
    rankable = candidates[queries[:, 2]]
    queries = queries[rankable]
    if len(queries) == 0:
        return np.zeros(0), int((~rankable).sum())
    scores = score_all(torch.as_tensor(queries)).detach().cpu().double()
    allowed = torch.as_tensor(np.broadcast_to(candidates, scores.shape).copy())
    rows, tails = _other_true_tails(queries, known, num_relations)
    allowed[rows, tails] = False
    true = scores[torch.arange(len(queries)), torch.as_tensor(queries[:, 2])].unsqueeze(1)
    allowed[torch.arange(len(queries)), torch.as_tensor(queries[:, 2])] = False
    higher = ((scores > true) & allowed).sum(1)
    ties = ((scores == true) & allowed).sum(1)
    return (1.0 + higher + ties / 2.0).numpy(), int((~rankable).sum())


def _other_true_tails(queries: np.ndarray, known: np.ndarray, num_relations: int) -> tuple[np.ndarray, np.ndarray]:
    """(query row, tail) of every known triple sharing a query's head and relation."""
    key = known[:, 0] * num_relations + known[:, 1]
    order = np.argsort(key, kind="stable")
    key, tails = key[order], known[order, 2]
    query_key = queries[:, 0] * num_relations + queries[:, 1]
    start, stop = np.searchsorted(key, query_key, "left"), np.searchsorted(key, query_key, "right")
    count = stop - start
    rows = np.repeat(np.arange(len(queries)), count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return rows, tails[np.repeat(start, count) + offsets]


def slot_metrics(
    score_all: Callable[[torch.Tensor], torch.Tensor], queries: np.ndarray, known: np.ndarray, train: np.ndarray,
    slots: Sequence[str], num_locations: int, ks: Sequence[int] = (5, 10, 20),
) -> dict[str, float]:
    """``hit@k``/``mrr@k`` weighted over slots, ``<slot>/hit@k``/``<slot>/mrr@k`` per slot, ``n_ranked`` and
    ``n_unranked``."""
    num_slots = len(slots)
    num_relations = int(max(train[:, 1].max(), known[:, 1].max())) + 1
    metrics: dict[str, float] = {}
    weighted: dict[str, float] = {}
    ranked = unranked = 0
    for t, name in enumerate(slots):
        in_slot = queries[:, 1] % num_slots == t
        if not in_slot.any():
            continue
        candidates = np.zeros(num_locations, dtype=bool)
        slot_train = train[train[:, 1] % num_slots == t]
        candidates[slot_train[:, [0, 2]].ravel()] = True
        ranks, skipped = filtered_ranks(score_all, queries[in_slot], known, candidates, num_relations)
        unranked += skipped
        if len(ranks) == 0:
            continue
        ranked += len(ranks)
        for metric, value in hit_and_mrr(ranks, ks).items():
            metrics[f"{name}/{metric}"] = value
            weighted[metric] = weighted.get(metric, 0.0) + value * len(ranks)
    metrics.update({metric: total / max(ranked, 1) for metric, total in weighted.items()})
    metrics.update({"n_ranked": float(ranked), "n_unranked": float(unranked)})
    return metrics
