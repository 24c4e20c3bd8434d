"""Label-free model selection: keep the epoch whose embeddings have the highest RankMe instead of the last.

RankMe (Garrido et al. 2023) is the effective rank of the embeddings; the paper shows it tracks downstream
accuracy across hyper-parameters of joint-embedding methods without any label. The
:class:`~multissl.engine.collapse_monitor.CollapseMonitor` logs it every epoch on a fixed sample of training
rows (``collapse/rankme``); with ``trainer.select_by: rankme`` a Lightning ``ModelCheckpoint`` keeps the epoch
where it peaked, and the run's weights are that checkpoint's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

from multissl.errors import RecipeError, RunDirectoryError
from multissl.methods.base import Method

RANKME_METRIC = "collapse/rankme"
SELECTED_CHECKPOINT = "rankme"
"""``checkpoints/rankme.ckpt``: the epoch with the highest RankMe so far."""


def selection_callbacks(select_by: str, work_dir: Path, method: Method, restore_best: bool = False) -> list[Callback]:
    """The checkpoint callback ``select_by`` needs (none for ``"last"``); refuses, before training, a method
    whose embeddings the collapse monitor cannot read, and ``restore_best`` asked for at the same time."""
    if select_by == "last":
        return []
    if select_by != "rankme":
        raise RecipeError(f"trainer.select_by must be 'last' or 'rankme', got {select_by!r}.")
    if type(method).embed is Method.embed:
        raise RecipeError(
            f"trainer.select_by=rankme reads the embeddings of every epoch, but {type(method).__name__} has no embed(); "
            "use select_by=last."
        )
    if restore_best:
        raise RecipeError(
            "trainer.select_by=rankme and trainer.restore_best=true each choose which epoch's weights to keep; set one."
        )
    return [rankme_checkpoint(work_dir / "checkpoints")]


def rankme_checkpoint(directory: Path) -> ModelCheckpoint:
    """A ``ModelCheckpoint`` keeping ``directory/rankme.ckpt``: the training epoch with the highest RankMe so far."""
    return ModelCheckpoint(
        dirpath=directory, filename=SELECTED_CHECKPOINT, monitor=RANKME_METRIC, mode="max",
        save_top_k=1, save_on_train_epoch_end=True, enable_version_counter=False,
    )


def read_rankme_checkpoint(path: Path) -> tuple[dict[str, Any], int, float | None]:
    """The weights of a :func:`rankme_checkpoint` file, its epoch (1-based) and its RankMe (None when not recorded)."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    score = None
    for state in checkpoint.get("callbacks", {}).values():
        if isinstance(state, dict) and state.get("monitor") == RANKME_METRIC and state.get("best_model_score") is not None:
            score = float(state["best_model_score"])
    return checkpoint["state_dict"], checkpoint["epoch"] + 1, score


def restore_selected(select_by: str, work_dir: Path, method: Method, metrics: dict[str, Any]) -> None:
    """Load the selected checkpoint's weights into ``method`` and record ``selected_epoch`` (1-based) and
    ``selected_rankme`` in ``metrics``; nothing for ``select_by="last"``."""
    if select_by == "last":
        return
    path = work_dir / "checkpoints" / f"{SELECTED_CHECKPOINT}.ckpt"
    if not path.is_file():
        raise RunDirectoryError(
            f"trainer.select_by=rankme found no {path}: RankMe was never logged (fewer than 2 embedded rows, or "
            "every embedding non-finite). Train on more data, or use select_by=last."
        )
    state_dict, epoch, score = read_rankme_checkpoint(path)
    method.load_state_dict(state_dict)
    metrics["selected_epoch"] = epoch
    if score is not None:
        metrics["selected_rankme"] = score
