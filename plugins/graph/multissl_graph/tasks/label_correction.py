"""SelfTask label correction: relabel nodes by their similarity to density-peak prototypes of each class.

Per class ``c``, among up to ``per_class`` nodes currently labelled ``c`` (drawn at random): cosine
similarities ``S``, cut-off ``S_c`` = their 40th percentile, density ``rho_i = sum_j sign(S_ij - S_c)``,
``eta_i = max_{j: rho_j > rho_i} S_ij`` (``min_j S_ij`` for the densest); nodes with ``eta_i >= 0.95``
(near-duplicates of a denser node) get ``rho_i = 0``; the ``prototypes`` densest nodes are the class's
prototypes. A node's corrected label is ``argmax_c mean_{p in P_c} cos(h_i, h_p)`` (Jin et al. 2020,
after Han et al. 2019; SelfTask-GNN ``ssl_utils.label_correction``, vectorised here in torch).
"""

from __future__ import annotations

import torch
from torch import nn


def symmetric_percentile(sims: torch.Tensor, q: float) -> torch.Tensor:
    """``torch.quantile(sims.flatten(), q)`` (linear interpolation) for an (n, n) cosine-similarity matrix, from
    its strict upper triangle: sorted, the full matrix is each off-diagonal value twice and then the n diagonal
    ones (the largest values), so its k-th value is the ``k // 2``-th of the triangle while ``k < n(n - 1)``.
    One ``kthvalue`` selection on the triangle instead of a sort of the whole matrix: the sort took 70% of a
    label-correction step, two ``kthvalue`` on the whole matrix still 65%."""
    n = sims.shape[0]
    position = q * (n * n - 1)
    low = int(position)
    if n < 2 or low + 1 >= n * (n - 1):
        return torch.quantile(sims.flatten(), q)
    rows, cols = torch.triu_indices(n, n, offset=1, device=sims.device)
    triangle = sims[rows, cols]
    k = low // 2
    below = triangle.kthvalue(k + 1).values
    above = below
    if (low + 1) // 2 != k and int((triangle <= below).sum()) < k + 2:
        above = triangle[triangle > below].min()  # the next order statistic, without a second selection
    return below + (position - low) * (above - below)


def class_prototypes(h: torch.Tensor, labels: torch.Tensor, num_classes: int, generator: torch.Generator,
                     per_class: int = 320, prototypes: int = 8) -> list[torch.Tensor | None]:
    """Per class, the node ids of its density-peak prototypes (``None`` for a class without nodes)."""
    unit = nn.functional.normalize(h, dim=1)
    out: list[torch.Tensor | None] = []
    for c in range(num_classes):
        members = (labels == c).nonzero().flatten()
        if len(members) == 0:
            out.append(None)
            continue
        members = members[torch.randperm(len(members), generator=generator, device=generator.device).to(members.device)[:per_class]]
        sims = unit[members] @ unit[members].t()
        cutoff = symmetric_percentile(sims, 0.4)
        rho = torch.sign(sims - cutoff).sum(dim=1)
        denser = rho[None, :] > rho[:, None]
        eta = torch.where(denser.any(dim=1), sims.masked_fill(~denser, -torch.inf).amax(dim=1), sims.amin(dim=1))
        rho = rho.masked_fill(eta >= 0.95, 0.0)
        out.append(members[rho.argsort()[-prototypes:]])
    return out


def corrected_labels(h: torch.Tensor, labels: torch.Tensor, nodes: torch.Tensor, num_classes: int,
                     generator: torch.Generator, per_class: int = 320, prototypes: int = 8) -> torch.Tensor:
    """(len(nodes),) the class whose prototypes ``nodes`` are most similar to, on average."""
    unit = nn.functional.normalize(h, dim=1)
    scores = torch.full((len(nodes), num_classes), -torch.inf, device=h.device)
    for c, ids in enumerate(class_prototypes(h, labels, num_classes, generator, per_class, prototypes)):
        if ids is not None:
            scores[:, c] = (unit[nodes] @ unit[ids].t()).mean(dim=1)
    return scores.argmax(dim=1)
