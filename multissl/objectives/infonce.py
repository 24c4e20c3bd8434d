"""InfoNCE with several positives per anchor and per-pair weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multissl.distributed import all_reduce_sum, gather_with_grad, global_mean, local_slice
from multissl.errors import InvalidDataError, RecipeError
from multissl.objectives.product_logsumexp import product_logsumexp


class InfoNCE(nn.Module):
    """InfoNCE (van den Oord et al. 2018, CPC; Chen et al. 2020, SimCLR) with weighted positives.

    With ``s_ijv = cos(query_i, keys_jv) / temperature`` (a plain dot product if ``normalize=False``),
    keys gathered from every process, positive weights ``p`` and negative weights ``n`` of shape (V,)
    or (N, V): ``L_i = -log(P_i / (P_i + Σ_{j≠i,v} n_iv e^{s_ijv}))`` with ``P_i = Σ_v p_iv e^{s_iiv}``.
    A zero weight removes that candidate. The loss is the mean of ``L_i`` over anchors with a positive.
    Negative weights may also be given per pair, (N, M, V) over the M keys of all processes in rank
    order (the batch in one process): ``n_ijv``, for negatives chosen per anchor (e.g. ColloSSL's
    time-shuffled negatives); the anchor's own row ``j = i`` is ignored there.
    ``negatives`` (K, D) adds K shared negatives of weight 1 to every anchor's denominator
    (``+ Σ_k e^{s_ik}``, with ``s_ik = cos(query_i, negatives_k) / temperature``): a MoCo-style queue
    (He et al. 2020), or the rest of a catalogue for a contrast against every node (SGL, Wu et al. 2021);
    they are not gathered across processes (pass the same set to every process).
    ``anchor_weights`` (N,) make the loss the weighted mean ``Σ_i w_i L_i / Σ_i w_i`` (accuracy alike),
    e.g. the multiplicity of a distinct node standing for its repeats in a batch.
    """

    def __init__(self, temperature: float = 0.1, normalize: bool = True):
        super().__init__()
        if not temperature > 0:
            raise RecipeError(f"InfoNCE temperature must be positive, got {temperature}.")
        self.temperature = float(temperature)
        self.normalize = bool(normalize)

    def forward(
        self,
        query: torch.Tensor,
        keys: torch.Tensor,
        *,
        positive_weights: torch.Tensor | None = None,
        negative_weights: torch.Tensor | None = None,
        negatives: torch.Tensor | None = None,
        anchor_weights: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        keys = _keys_with_views(query, keys)
        _check_shared_negatives(negatives, query)
        n, views = keys.shape[:2]
        pos_w = _anchor_weights(positive_weights, n, views, "positive_weights", query)
        per_pair = negative_weights is not None and torch.as_tensor(negative_weights).dim() == 3
        neg_w = None if per_pair else _anchor_weights(negative_weights, n, views, "negative_weights", query)
        anchor_w = _loss_weights(anchor_weights, n, query)
        if self.normalize:
            query, keys = F.normalize(query, dim=-1), F.normalize(keys, dim=-1)
            negatives = None if negatives is None else F.normalize(negatives, dim=-1)

        all_keys = gather_with_grad(keys)
        rows = local_slice(n, device=query.device)
        logits = torch.einsum("nd,mvd->nmv", query, all_keys) / self.temperature
        own_row = torch.arange(rows.start, rows.stop, device=query.device)
        is_self = (own_row[:, None] == torch.arange(all_keys.shape[0], device=query.device))[..., None]  # (N, M, 1)
        if per_pair:
            neg_log = _log(_pair_weights(negative_weights, n, all_keys.shape[0], views, query))
        else:
            neg_log = _log(neg_w)[:, None, :]
        log_weights = torch.where(is_self, _log(pos_w)[:, None, :], neg_log)
        weighted = (logits + log_weights).flatten(1)
        positive = (is_self & (pos_w > 0)[:, None, :]).flatten(1)

        has_positive = positive.any(1)
        no_positive = ~has_positive[:, None]  # such rows would give log(0); they are left out
        log_all = weighted.masked_fill(no_positive, 0.0).logsumexp(1)
        shared_max = None
        if negatives is not None and negatives.shape[0] > 0:
            shared_lse, shared_max = product_logsumexp(query / self.temperature, negatives)  # never the (N, K) logits
            log_all = torch.logaddexp(log_all, shared_lse)
        log_pos = weighted.masked_fill(~positive, float("-inf")).masked_fill(no_positive, 0.0).logsumexp(1)
        loss_sum = torch.where(has_positive, (log_all - log_pos) * anchor_w, 0.0).sum()

        with torch.no_grad():
            best, best_at = weighted.max(1)
            top_is_positive = positive.gather(1, best_at[:, None]).squeeze(1) & has_positive
            correct = ((top_is_positive if shared_max is None else top_is_positive & (best > shared_max)) * anchor_w).sum()
            cosine = F.cosine_similarity(query[:, None, :], keys, dim=-1)
            dtype = torch.promote_types(loss_sum.dtype, torch.float32)
            stats = torch.stack([loss_sum, (has_positive * anchor_w).sum(), correct, cosine[pos_w > 0].sum(), (pos_w > 0).sum()])
        total_loss, anchors, total_correct, total_cosine, pairs = all_reduce_sum(stats.to(dtype))
        loss = global_mean(loss_sum, total_loss, anchors)
        logs = {
            "loss": loss.detach(),
            "accuracy": total_correct / anchors.clamp_min(1),
            "positive_cosine": total_cosine / pairs.clamp_min(1),
        }
        return loss, logs


def _keys_with_views(query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """``keys`` as (N, V, D), checked against ``query`` (N, D)."""
    if query.dim() != 2:
        raise InvalidDataError(f"InfoNCE expects query of shape (N, D), got {tuple(query.shape)}.")
    if keys.dim() not in (2, 3) or keys.shape[0] != query.shape[0] or keys.shape[-1] != query.shape[1]:
        raise InvalidDataError(
            f"InfoNCE expects keys of shape (N, D) or (N, V, D) with N={query.shape[0]} and D={query.shape[1]} "
            f"as in query, got {tuple(keys.shape)}."
        )
    return keys if keys.dim() == 3 else keys[:, None, :]


def _check_shared_negatives(negatives: torch.Tensor | None, query: torch.Tensor) -> None:
    if negatives is not None and (negatives.dim() != 2 or negatives.shape[1] != query.shape[1]):
        raise InvalidDataError(
            f"InfoNCE expects negatives of shape (K, D) with D={query.shape[1]} as in query, got {tuple(negatives.shape)}."
        )


def _loss_weights(weights, n: int, like: torch.Tensor) -> torch.Tensor:
    """Per-anchor loss weights as (N,) from None (all ones) or (N,); non-negative and finite."""
    if weights is None:
        return like.new_ones(n)
    weights = torch.as_tensor(weights, dtype=like.dtype, device=like.device)
    if weights.shape != (n,):
        raise InvalidDataError(f"InfoNCE expects anchor_weights of shape (N,)=({n},), got {tuple(weights.shape)}.")
    return _finite_non_negative(weights, "anchor_weights")


def _anchor_weights(weights, n: int, views: int, name: str, like: torch.Tensor) -> torch.Tensor:
    """Weights as (N, V) from None (all ones), (V,) or (N, V); non-negative and finite."""
    if weights is None:
        return like.new_ones(n, views)
    weights = torch.as_tensor(weights, dtype=like.dtype, device=like.device)
    if weights.shape == (views,):
        weights = weights.expand(n, views)
    if weights.shape != (n, views):
        raise InvalidDataError(
            f"InfoNCE expects {name} of shape (V,)=({views},) or (N, V)=({n}, {views}), got {tuple(weights.shape)}."
        )
    return _finite_non_negative(weights, name)


def _pair_weights(weights, n: int, m: int, views: int, like: torch.Tensor) -> torch.Tensor:
    """Per-pair negative weights (N, M, V), non-negative and finite."""
    weights = torch.as_tensor(weights, dtype=like.dtype, device=like.device)
    if weights.shape != (n, m, views):
        raise InvalidDataError(
            f"InfoNCE expects per-pair negative_weights of shape (N, M, V)=({n}, {m}, {views}), M the keys of all "
            f"processes, got {tuple(weights.shape)}."
        )
    return _finite_non_negative(weights, "negative_weights")


def _finite_non_negative(weights: torch.Tensor, name: str) -> torch.Tensor:
    if not torch.isfinite(weights).all() or (weights < 0).any():
        raise InvalidDataError(f"InfoNCE {name} must be finite and non-negative.")
    return weights


def _log(weights: torch.Tensor) -> torch.Tensor:
    """log of non-negative weights: -inf for 0, with a finite gradient everywhere."""
    tiny = torch.finfo(weights.dtype).tiny
    return torch.where(weights > 0, weights.clamp_min(tiny).log(), float("-inf"))
