"""Collapse signal: the spread and effective rank of a method's embeddings on a fixed sample, every epoch."""

from __future__ import annotations

import logging
from typing import Any

import torch
from lightning.fabric.utilities.apply_func import move_data_to_device
from lightning.pytorch.callbacks import Callback

from multissl.eval.rankme import rankme
from multissl.methods.base import Method

log = logging.getLogger(__name__)

SAMPLE_ROWS = 512
"""Rows of the fixed sample (the first training batches seen), embedded once per epoch without gradients."""
COLLAPSED_RELATIVE_STD = 0.01
"""Below this ``std / rms`` every row has nearly the same embedding (complete collapse)."""
COLLAPSED_RANKME = 1.5
"""Below this RankMe (of embeddings at least 2 wide) the rows lie along about one direction (dimensional collapse)."""


def collapse_signal(embeddings: torch.Tensor) -> dict[str, float]:
    """For (N, D) embeddings ``z``: ``std`` = mean over dimensions of the per-dimension std, ``relative_std``
    = ``std / sqrt(mean(z²))`` (scale-free: 0 when every row is the same), ``rankme`` = RankMe (Garrido et al.
    2023, eq. 1) of ``z`` as it is, between 1 and min(N, D)."""
    values = embeddings.detach().to(torch.float64)
    std = float(values.std(dim=0).mean())
    rms = float(values.square().mean().sqrt())
    return {"std": std, "relative_std": std / rms if rms > 0 else 0.0, "rankme": rankme(values)}


def is_collapsed(signal: dict[str, float], width: int) -> bool:
    """Complete collapse (``relative_std`` below :data:`COLLAPSED_RELATIVE_STD`) or, for ``width >= 2``,
    dimensional collapse (``rankme`` below :data:`COLLAPSED_RANKME`)."""
    return signal["relative_std"] < COLLAPSED_RELATIVE_STD or (width >= 2 and signal["rankme"] < COLLAPSED_RANKME)


class CollapseMonitor(Callback):
    """Logs ``collapse/std``, ``collapse/relative_std`` and ``collapse/rankme`` of ``method.embed`` on a fixed
    sample of at most :data:`SAMPLE_ROWS` training rows at the end of every training epoch, and warns when
    they fall to collapse levels (:func:`is_collapsed`). The sample is the run's first training batches, kept
    as training hands them out (the loaders are never iterated here); the method is embedded in eval mode
    under ``no_grad``. A method without ``embed`` is not watched. Under data parallelism rank 0's sample is
    measured (the others keep no sample) and every rank logs its values."""

    def __init__(self, sample_rows: int = SAMPLE_ROWS) -> None:
        self.sample_rows = sample_rows
        self.sample: list[Any] = []
        self.sample_size = 0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.sample_size < self.sample_rows and type(pl_module).embed is not Method.embed and trainer.is_global_zero:
            self.sample.append(batch)
            self.sample_size += len(self._embed(pl_module, [batch]))

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if type(pl_module).embed is Method.embed:
            return
        # Rank 0's signal, on every rank: a checkpoint monitoring it (trainer.select_by: rankme) then takes the same
        # decision in every process, where each rank's own sample would give each its own RankMe.
        signal = self._signal(pl_module) if trainer.is_global_zero else None
        signal = trainer.strategy.broadcast(signal, src=0)
        if signal is None:
            return
        rows, width = signal.pop("rows"), signal.pop("width")
        for name, value in signal.items():
            pl_module.log(f"collapse/{name}", value, on_epoch=True, sync_dist=False)
        if is_collapsed(signal, width) and trainer.is_global_zero:
            log.warning(
                "Epoch %d: the embeddings look collapsed on %d training rows (per-dimension std %.3g, %.3g of their "
                "magnitude; RankMe %.2f). Evaluation will see nearly constant features: check the input scaling, "
                "lower optimizer.lr, or change the method's options.",
                trainer.current_epoch, rows, signal["std"], signal["relative_std"], signal["rankme"],
            )

    def _signal(self, pl_module) -> dict[str, float] | None:
        """:func:`collapse_signal` of the sample's finite embeddings with their ``rows`` and ``width``; None with
        fewer than 2 rows."""
        if not self.sample:
            return None
        embeddings = self._embed(pl_module, self.sample)[: self.sample_rows].flatten(1)
        embeddings = embeddings[torch.isfinite(embeddings).all(dim=1)]  # rows a method marks unknown (NaN) say nothing
        if len(embeddings) < 2:
            return None
        return {**collapse_signal(embeddings), "rows": len(embeddings), "width": embeddings.shape[1]}

    @staticmethod
    def _embed(pl_module, batches: list[Any]) -> torch.Tensor:
        modes = {module: module.training for module in pl_module.modules()}  # restored module by module
        pl_module.eval()
        try:
            with torch.no_grad():
                return torch.cat([pl_module.embed(move_data_to_device(b, pl_module.device)).float() for b in batches])
        finally:
            for module, training in modes.items():
                module.training = training
