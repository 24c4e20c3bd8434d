"""Complementary feature masking for the two-tower SSL regulariser (Yao et al. 2021, sec. 3.2-3.3).

An item has k features (its id and each feature column). Two views mask complementary sets of them:

- RFM: per item, a random ``⌊k/2⌋`` of the features are masked in the first view, the rest in the second;
- CFM: per batch, a seed feature ``f`` is drawn uniformly and the first view masks
  ``F_m = {f, f_2, ..., f_n}``, ``f`` and the ``n - 1`` features of highest mutual information with
  it, ``n = max(1, ⌊k/2⌋)`` (the paper's n = k/2, so both views keep about half of the features; one
  seed per batch as in the paper and LibRecommender's ``TwoTower``); the second view masks the
  complement. The MI table is computed once over the catalogue.

Mutual information is computed here, not by ``sklearn.metrics.mutual_info_score``, because
multi-valued features need a weighted contingency table (each item spreads a weight of 1 over the
pairs of its values) and sklearn's contingency path counts integers only:
``MI(a, b) = Σ p(x, y) log(p(x, y) / (p(x) p(y)))``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from multissl_recsys.features import PAD


def mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """MI (nats) between two (N, L) code arrays (0 = padding), each row weighted 1 over its value pairs."""
    rows_a, rows_b = [], []
    for codes, out in ((a, rows_a), (b, rows_b)):
        row, col = np.nonzero(codes != PAD)
        out.append((row, codes[row, col]))
    (row_a, value_a), (row_b, value_b) = rows_a[0], rows_b[0]
    count_a = np.bincount(row_a, minlength=len(a))
    count_b = np.bincount(row_b, minlength=len(b))
    # all value pairs of each row: join the two long lists on the row index
    order_b = np.argsort(row_b, kind="stable")
    start_b = np.concatenate([[0], np.cumsum(count_b)])
    repeat = count_b[row_a]
    pair_a = np.repeat(value_a, repeat)
    pair_row = np.repeat(row_a, repeat)
    offset = np.arange(len(pair_a)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    pair_b = value_b[order_b][start_b[pair_row] + offset]
    weight = 1.0 / (count_a[pair_row] * count_b[pair_row])
    joint = sp.coo_array((weight, (pair_a, pair_b))).tocsr()
    joint.sum_duplicates()
    p = joint.data / joint.data.sum()
    pa = np.asarray(joint.sum(axis=1)).ravel() / joint.data.sum()
    pb = np.asarray(joint.sum(axis=0)).ravel() / joint.data.sum()
    rows = np.repeat(np.arange(joint.shape[0]), np.diff(joint.indptr))
    return float(np.sum(p * np.log(p / (pa[rows] * pb[joint.indices]))))


def correlated_masks(codes: list[np.ndarray]) -> torch.Tensor:
    """(k, k) boolean table: row f masks f and the ``max(1, ⌊k/2⌋) - 1`` other features of highest MI with f (CFM)."""
    k = len(codes)
    information = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            information[i, j] = information[j, i] = mutual_information(codes[i], codes[j])
    table = np.zeros((k, k), dtype=bool)
    for f in range(k):
        others = [j for j in np.argsort(-information[f], kind="stable") if j != f]
        table[f, [f, *others[: max(1, k // 2) - 1]]] = True
    return torch.as_tensor(table)


def complementary_masks(kind: str, n: int, table: torch.Tensor | None, k: int, generator: torch.Generator, device) -> torch.Tensor:
    """(n, k) boolean mask of the first view (True = masked); the second view masks its complement."""
    if kind == "rfm":
        ranks = torch.rand(n, k, generator=generator, device=device).argsort(1).argsort(1)
        return ranks < k // 2
    seed = torch.randint(k, (1,), generator=generator, device=device)
    return table.to(device)[seed].expand(n, k)


def value_dropout(codes: torch.Tensor, rate: float, generator: torch.Generator) -> torch.Tensor:
    """Each value of a multi-valued feature replaced by padding with probability ``rate`` (Yao et al. 2021, sec. 3.3)."""
    drop = torch.rand(codes.shape, generator=generator, device=codes.device) < rate
    return codes.masked_fill(drop, PAD)
