"""Full-ranking Recall/NDCG@K against a per-user brute-force reference, and Hit@K / MRR@K."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from multissl.errors import EmptyDataError, InvalidDataError
from multissl.eval import full_ranking_metrics, hit_and_mrr


def _brute_force(users, items, train, test, ks, item_mask=None):
    """Recall@K and NDCG@K user by user, straight from the definitions."""
    train, test = train.toarray() > 0, test.toarray() > 0
    if item_mask is not None:
        test = test & item_mask
    totals = {f"{name}@{k}": 0.0 for k in ks for name in ("recall", "ndcg")}
    evaluated = 0
    for u in range(len(users)):
        relevant = set(np.flatnonzero(test[u]))
        if not relevant:
            continue
        evaluated += 1
        scores = items @ users[u]
        scores[train[u]] = -np.inf
        ranking = np.argsort(-scores, kind="stable")
        for k in ks:
            top = ranking[:k]
            hits = [1.0 if item in relevant else 0.0 for item in top]
            dcg = sum(h / np.log2(j + 2) for j, h in enumerate(hits))
            ideal = sum(1.0 / np.log2(j + 2) for j in range(min(len(relevant), k)))
            totals[f"recall@{k}"] += sum(hits) / len(relevant)
            totals[f"ndcg@{k}"] += dcg / ideal
    return {name: total / evaluated for name, total in totals.items()}, evaluated


@pytest.fixture(scope="module")
def interactions():
    rng = np.random.default_rng(0)
    n_users, n_items = 41, 60
    users, items = rng.normal(size=(n_users, 8)), rng.normal(size=(n_items, 8))
    seen = rng.random((n_users, n_items))
    train = sp.csr_matrix(seen < 0.15)
    held_out = (seen >= 0.15) & (seen < 0.25)
    held_out[3] = False  # one user without test items: skipped
    test = sp.csr_matrix(held_out)
    return users, items, train, test


@pytest.mark.parametrize("chunk_size", [1, 7, 2048])
def test_matches_brute_force_for_any_chunk_size(interactions, chunk_size):
    users, items, train, test = interactions
    expected, evaluated = _brute_force(users, items, train, test, (5, 20))
    result = full_ranking_metrics(users, items, train, test, ks=(5, 20), chunk_size=chunk_size)
    assert result.pop("n_users") == evaluated == len(users) - 1
    assert result == pytest.approx(expected, rel=1e-12)


def test_item_mask_restricts_relevance_but_not_the_ranking(interactions):
    users, items, train, test = interactions
    tail = np.zeros(items.shape[0], dtype=bool)
    tail[::3] = True
    expected, evaluated = _brute_force(users, items, train, test, (10,), item_mask=tail)
    result = full_ranking_metrics(torch.from_numpy(users), torch.from_numpy(items), train, test, ks=(10,), item_mask=tail)
    assert result.pop("n_users") == evaluated < len(users) - 1
    assert result == pytest.approx(expected, rel=1e-12)
    assert result != pytest.approx(full_ranking_metrics(users, items, train, test, ks=(10,)))


def test_training_items_are_excluded_from_the_ranking():
    users = np.array([[1.0, 0.0]])
    items = np.array([[3.0, 0.0], [2.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # scores 3, 2, 1, 0
    train = sp.csr_matrix(np.array([[1, 0, 0, 0]]))
    test = sp.csr_matrix(np.array([[0, 1, 0, 1]]))
    result = full_ranking_metrics(users, items, train, test, ks=(1, 3))
    assert result["recall@1"] == 0.5  # item 1 ranks first once item 0 is removed
    assert result["ndcg@3"] == pytest.approx((1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3)))
    assert train.toarray().sum() == 1 and test.nnz == 2  # the caller's matrices are untouched


def test_cutoff_larger_than_the_catalogue():
    users, items = np.eye(2), np.eye(2)
    result = full_ranking_metrics(users, items, sp.csr_matrix((2, 2)), sp.csr_matrix(np.eye(2)), ks=(50,))
    assert result["recall@50"] == 1.0 and result["ndcg@50"] == 1.0


def test_ranking_errors(interactions):
    users, items, train, test = interactions
    with pytest.raises(InvalidDataError, match="scipy.sparse"):
        full_ranking_metrics(users, items, train.toarray(), test)
    with pytest.raises(InvalidDataError, match="shape"):
        full_ranking_metrics(users, items, train[:5], test)
    with pytest.raises(InvalidDataError, match="boolean"):
        full_ranking_metrics(users, items, train, test, item_mask=np.ones(3, dtype=bool))
    with pytest.raises(EmptyDataError, match="item_mask"):
        full_ranking_metrics(users, items, train, test, item_mask=np.zeros(items.shape[0], dtype=bool))


def test_hit_and_mrr():
    result = hit_and_mrr(torch.tensor([1, 3, 10, 30]), ks=(1, 5, 10))
    assert result["hit@1"] == 0.25 and result["hit@5"] == 0.5 and result["hit@10"] == 0.75
    assert result["mrr@1"] == pytest.approx(0.25)
    assert result["mrr@5"] == pytest.approx((1 + 1 / 3) / 4)
    assert result["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 10) / 4)
    with pytest.raises(InvalidDataError, match="1-based"):
        hit_and_mrr([0, 2])
    with pytest.raises(EmptyDataError):
        hit_and_mrr([])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_embeddings_give_the_cpu_result(interactions):
    users, items, train, test = interactions
    expected = full_ranking_metrics(users, items, train, test, chunk_size=7)
    result = full_ranking_metrics(torch.from_numpy(users).cuda(), torch.from_numpy(items).cuda(), train, test, chunk_size=7)
    assert result == pytest.approx(expected, rel=1e-12)
