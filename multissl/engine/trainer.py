"""The Lightning trainer factory and the fit loop from a resolved recipe to a trained method.

Progress bar, CSV logging (TensorBoard on request), checkpoints (``last.ckpt`` and ``best.ckpt``,
written atomically), resume, seeding, precision, gradient clipping and accumulation, devices and
strategy all come from Lightning; nothing here re-implements them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, LearningRateMonitor, ModelCheckpoint
from torch.utils.data import IterableDataset, Subset

from multissl.engine import startup_messages
from multissl.engine.checkpoint_io import AtomicCheckpointIO
from multissl.engine.interruption import InterruptionCallback
from multissl.engine.log_progress import LogProgress
from multissl.engine.loggers import build_loggers
from multissl.engine.mid_epoch_checkpoint import mid_epoch_checkpoints
from multissl.engine.model_selection import restore_selected, selection_callbacks
from multissl.engine.random_state import RandomStateCallback
from multissl.engine.resumable_loader import ApplyLoaderState
from multissl.engine.collapse_monitor import CollapseMonitor
from multissl.engine.sync_batchnorm import GlobalBatchNormPlugin
from multissl.errors import InvalidDataError, NonFiniteLossError, RecipeError, RunDirectoryError
from multissl.engine.run_directory import INFO_FILE
from multissl.modalities.base import Modality
from multissl.recipe import Recipe

log = logging.getLogger(__name__)
CHECKPOINT_KEY = "multissl"


class RunStateCallback(Callback):
    """Stores the modality's fitted preprocessing and the recipe in every checkpoint."""

    def __init__(self, preprocessing: dict[str, Any], recipe: dict[str, Any]) -> None:
        self.preprocessing = preprocessing
        self.recipe = recipe

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> None:
        # numpy arrays become tensors: Lightning loads checkpoints with torch.load(weights_only=True)
        checkpoint[CHECKPOINT_KEY] = {"preprocessing": _arrays_to_tensors(self.preprocessing), "recipe": self.recipe}


def build_trainer(
    recipe: Recipe,
    work_dir: Path,
    *,
    has_validation: bool,
    callbacks: list[Callback],
    batches_per_epoch: int | None = None,
    monitor: tuple[str, str] = ("val/loss", "min"),
) -> L.Trainer:
    """A ``lightning.Trainer`` configured by ``recipe.trainer``, logging and checkpointing under ``work_dir``.

    ``log_every_n_steps`` is capped at ``batches_per_epoch`` so short epochs still log. The "best"
    checkpoint follows ``monitor`` (a validation metric and ``"min"``/``"max"``) when there is a
    validation set, else the epoch's training loss.
    """
    options = recipe.trainer
    best = ModelCheckpoint(
        dirpath=work_dir / "checkpoints",
        filename="best",
        monitor=monitor[0] if has_validation else "train/loss_epoch",
        mode=monitor[1] if has_validation else "min",
        save_top_k=1,
        enable_version_counter=False,
    )
    # A separate callback: Lightning's save_last refreshes last.ckpt only when a new best is saved.
    # saved as each training epoch ends, also when validation runs only every few epochs (check_val_every_n_epoch > 1)
    last = ModelCheckpoint(dirpath=work_dir / "checkpoints", filename="last", every_n_epochs=1, enable_version_counter=False,
                           save_on_train_epoch_end=True)
    engine_callbacks = [best, last, *mid_epoch_checkpoints(options, work_dir), RandomStateCallback(), ApplyLoaderState()]
    # a bar redraws in place: on a file or pipe it is unreadable (Lightning's rich bar prints nothing there)
    on_terminal = sys.stdout.isatty()
    if options.enable_progress_bar and not on_terminal:
        engine_callbacks.append(LogProgress())
    startup_messages.silence()
    loggers = build_loggers(list(options.loggers), work_dir, work_dir.name)
    if loggers:  # the learning rate of every parameter group, once an epoch, next to the losses
        engine_callbacks.append(LearningRateMonitor(logging_interval="epoch"))
    return L.Trainer(
        max_epochs=options.max_epochs,
        max_steps=options.max_steps,
        max_time=options.max_time,
        accelerator=options.accelerator,
        devices=options.devices,
        strategy=options.strategy,
        num_nodes=options.num_nodes,
        precision=options.precision,
        gradient_clip_val=options.gradient_clip_val,
        accumulate_grad_batches=options.accumulate_grad_batches,
        log_every_n_steps=max(1, min(options.log_every_n_steps, batches_per_epoch or options.log_every_n_steps)),
        enable_progress_bar=options.enable_progress_bar and on_terminal,
        enable_model_summary=startup_messages.shown(),
        deterministic=options.deterministic,
        limit_train_batches=options.limit_train_batches,
        check_val_every_n_epoch=options.check_val_every_n_epoch,
        default_root_dir=work_dir / "checkpoints",  # where Lightning's SLURM requeue writes hpc_ckpt_N.ckpt
        callbacks=[*engine_callbacks, CollapseMonitor(), *callbacks],
        logger=loggers or False,
        sync_batchnorm=options.sync_batchnorm,
        plugins=[AtomicCheckpointIO(), *([GlobalBatchNormPlugin()] if options.sync_batchnorm else [])],
    )


def check_output_dir(output_dir: Path, resume: str | None) -> None:
    """Refuse to train into a directory that holds a finished run or unrelated files, or that cannot be written."""
    check_writable(output_dir)
    if not output_dir.exists() or not any(output_dir.iterdir()):
        return
    if resume is not None:
        return
    if (output_dir / INFO_FILE).is_file():
        raise RunDirectoryError(
            f"{output_dir} already holds a finished run. Choose another output_dir, delete it, or continue "
            "training it with resume=last."
        )
    if (output_dir / "checkpoints" / "last.ckpt").is_file():
        raise RunDirectoryError(
            f"{output_dir} holds an interrupted run (checkpoints/last.ckpt). Continue it with resume=last, "
            "or choose another output_dir."
        )
    raise RunDirectoryError(f"{output_dir} exists and is not empty; choose an empty or new output_dir.")


def check_writable(directory: Path) -> None:
    """Create ``directory`` and write a file in it (both undone), or raise :class:`RunDirectoryError` now
    rather than after an epoch of training."""
    directory = Path(directory).absolute()
    created = [parent for parent in (directory, *directory.parents) if not parent.exists()]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".multissl-write-probe-"):
            pass
    except OSError as exc:
        raise RunDirectoryError(
            f"output_dir {directory} cannot be written ({exc.strerror or exc}). Choose a directory you can write to, "
            "or fix its permissions."
        ) from exc
    finally:
        for parent in created:  # deepest first: leave the file system as it was
            with contextlib.suppress(OSError):
                parent.rmdir()


def resolve_checkpoint(resume: str | None, output_dir: Path | None) -> Path | None:
    """The checkpoint to resume from: ``last``/``best`` inside ``output_dir``, or a path."""
    if resume is None:
        return None
    if resume in ("last", "best"):
        if output_dir is None:
            raise RecipeError(f"resume={resume!r} needs output_dir, where the checkpoints of the earlier run are.")
        path = output_dir / "checkpoints" / f"{resume}.ckpt"
    else:
        path = Path(resume)
    if not path.is_file():
        raise RunDirectoryError(f"Cannot resume: checkpoint {path} does not exist.")
    return path


def check_checkpoint_fits(path: Path, method: torch.nn.Module) -> None:
    """Raise :class:`RunDirectoryError` when the checkpoint's weights do not fit ``method`` (the recipe's
    model changed since the checkpoint was written), instead of torch's size-mismatch traceback."""
    saved = torch.load(path, map_location="cpu", weights_only=True, mmap=True).get("state_dict", {})
    expected = method.state_dict()
    differ = sorted(
        [f"{k} (checkpoint {tuple(v.shape)}, recipe {tuple(expected[k].shape)})" for k, v in saved.items()
         if k in expected and tuple(v.shape) != tuple(expected[k].shape)]
        + [f"{k} (only in the checkpoint)" for k in saved if k not in expected]
        + [f"{k} (only in the recipe's model)" for k in expected if k not in saved]
    )
    if differ:
        raise RunDirectoryError(
            f"Checkpoint {path} does not match the recipe's model: {len(differ)} weights differ, e.g. "
            f"{'; '.join(differ[:3])}. The method or encoder options changed since it was written: resume with "
            "the recipe it was trained with, or train into a new output_dir."
        )


def previous_train_metrics(output_dir: Path | None) -> dict[str, Any]:
    """The training metrics a finished run in ``output_dir`` saved, or ``{}``."""
    path = None if output_dir is None else output_dir / "metrics.json"
    if path is None or not path.is_file():
        return {}
    try:
        train = json.loads(path.read_text()).get("train", {})
    except (ValueError, AttributeError) as exc:
        log.warning("Ignoring the unreadable %s while resuming: %s", path, exc)
        return {}
    return dict(train) if isinstance(train, dict) else {}


def read_checkpoint_state(path: Path) -> dict[str, Any]:
    """The preprocessing state and recipe stored in a checkpoint by :class:`RunStateCallback`."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    if CHECKPOINT_KEY not in checkpoint:
        raise RunDirectoryError(f"{path} is not a multissl checkpoint (no {CHECKPOINT_KEY!r} entry).")
    state = checkpoint[CHECKPOINT_KEY]
    return {**state, "preprocessing": _tensors_to_arrays(state["preprocessing"])}


def _arrays_to_tensors(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, dict):
        return {k: _arrays_to_tensors(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_arrays_to_tensors(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _tensors_to_arrays(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.numpy().copy()  # own memory: the checkpoint may be memory-mapped
    if isinstance(value, dict):
        return {k: _tensors_to_arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tensors_to_arrays(v) for v in value]
    return value


def check_callbacks(callbacks: Any) -> list[Callback]:
    """The user's Lightning callbacks as a list; anything that is not a ``Callback`` is refused by name."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if isinstance(callbacks, str | bytes) or not hasattr(callbacks, "__iter__"):
        raise RecipeError(f"callbacks must be a list of lightning.pytorch.callbacks.Callback, got {type(callbacks).__name__}.")
    callbacks = list(callbacks)
    for position, callback in enumerate(callbacks):
        if not isinstance(callback, Callback):
            raise RecipeError(
                f"callbacks[{position}] is a {type(callback).__name__}, not a lightning.pytorch.callbacks.Callback; "
                "subclass Callback and override the hooks you need (on_train_batch_end, on_train_epoch_end, ...)."
            )
    return callbacks


def fit(
    recipe: Recipe, method_cls: type, modality, raw, work_dir: Path, callbacks: list[Callback] = ()
) -> tuple[Any, dict[str, Any]]:
    """Train a method on ``raw`` (loaded by ``modality``); return the method and the training metrics.

    ``callbacks`` (Lightning callbacks) run after the engine's own (checkpoints, run state)."""
    L.seed_everything(recipe.seed, workers=True, verbose=False)
    output_dir = Path(recipe.output_dir) if recipe.output_dir else None
    checkpoint_path = resolve_checkpoint(recipe.resume, output_dir)
    if checkpoint_path is not None:
        modality.load_state_dict(read_checkpoint_state(checkpoint_path)["preprocessing"])
    else:
        modality.fit(raw)
    dataset = modality.dataset(raw)
    own_split = modality.validation_split(dataset, recipe.loader.val_fraction, recipe.seed)
    train_set, val_set = own_split if own_split is not None else _split(dataset, recipe.loader.val_fraction, recipe.seed)
    loader_options = recipe.loader
    own_batching = type(modality).dataloader is not Modality.dataloader  # graphs, audio by duration: not by count
    if not own_batching:
        _check_sample_counts(train_set, val_set, recipe)
    batch_size = min(loader_options.batch_size, len(train_set))
    if batch_size < loader_options.batch_size:
        log.info("loader.batch_size %d exceeds the %d training samples; using %d.", loader_options.batch_size, len(train_set), batch_size)
    train_loader = modality.dataloader(
        train_set, batch_size=batch_size, shuffle=True, drop_last=loader_options.drop_last,
        num_workers=loader_options.num_workers, seed=recipe.seed,
    )
    val_loader = None
    if val_set is not None:
        val_batch = min(loader_options.batch_size, len(val_set))
        # a last validation batch of one row cannot make views of other rows or batch statistics: leave it out
        val_loader = modality.dataloader(
            val_set, batch_size=val_batch, shuffle=False, drop_last=not own_batching and len(val_set) % val_batch == 1,
            num_workers=loader_options.num_workers, seed=recipe.seed,
        )
    method = method_cls(recipe.method_options, modality.input_spec(), recipe.optimizer, recipe.seed)
    method.check_batches(train_loader)
    previous = {}
    if checkpoint_path is not None:
        check_checkpoint_fits(checkpoint_path, method)
        previous = previous_train_metrics(output_dir)
    trainer = build_trainer(
        recipe, work_dir, has_validation=val_loader is not None, batches_per_epoch=len(train_loader),
        callbacks=[
            RunStateCallback(modality.state_dict(), recipe.to_dict()),
            InterruptionCallback(work_dir / "checkpoints" / "last.ckpt", keeps_checkpoint=output_dir is not None),
            *selection_callbacks(recipe.trainer.select_by, work_dir, method, recipe.trainer.restore_best),
            *callbacks,
        ],
        monitor=method.checkpoint_monitor(),
    )
    if "spawn" in str(recipe.trainer.strategy):
        # Processes started by spawn receive tensors through shared memory; the default
        # file-descriptor strategy fails in containers ("unable to resize file"), files do not.
        torch.multiprocessing.set_sharing_strategy("file_system")
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # every Method defines validation_step; without a held-out split that is expected, not a problem
            warnings.filterwarnings("ignore", message=".*validation_step.*but have no `val_dataloader`.*")
            trainer.fit(method, train_loader, val_loader, ckpt_path=checkpoint_path)
    except NonFiniteLossError as exc:
        last = work_dir / "checkpoints" / "last.ckpt"
        kept = f"The last good checkpoint is kept at {last}" if last.is_file() else "No checkpoint was written before it"
        raise NonFiniteLossError(
            f"{exc} {kept}. Lower optimizer.lr, set trainer.gradient_clip_val, or look for extreme values in the "
            "data; then start again or resume from that checkpoint."
        ) from exc
    seconds = time.perf_counter() - started
    # a resumed run that had nothing left to train logs nothing: keep the metrics its training saved
    metrics = {**previous, **{k: float(v) for k, v in trainer.callback_metrics.items() if torch.is_tensor(v) and v.numel() == 1}}
    # read progress from the last checkpoint (memory-mapped: the weights are not read), because
    # after ddp_spawn the main process's trainer has none
    last = torch.load(work_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True, mmap=True)
    metrics.update({"epochs": last["epoch"] + 1, "steps": last["global_step"], "fit_seconds": round(seconds, 3)})
    best_path = work_dir / "checkpoints" / "best.ckpt"
    if recipe.trainer.restore_best and val_loader is not None and best_path.is_file():
        best = torch.load(best_path, map_location="cpu", weights_only=True)
        method.load_state_dict(best["state_dict"])
        metrics["restored_epoch"] = best["epoch"] + 1
    restore_selected(recipe.trainer.select_by, work_dir, method, metrics)
    return method.cpu().eval(), metrics


def _check_sample_counts(train_set, val_set, recipe: Recipe) -> None:
    """Batches of at least two rows: contrastive views and BatchNorm need them (a one-row batch fails mid-epoch)."""
    if len(train_set) < 2:
        held = f" after holding out {len(val_set)} for validation (loader.val_fraction)" if val_set is not None else ""
        raise InvalidDataError(
            f"Only {len(train_set)} training sample(s){held}; self-supervised training needs batches of at least 2. "
            "Pass more data" + (", or lower loader.val_fraction." if val_set is not None else ".")
        )
    if val_set is not None and len(val_set) < 2:
        raise RecipeError(
            f"loader.val_fraction={recipe.loader.val_fraction} holds out {len(val_set)} sample; a validation batch needs "
            "at least 2. Raise loader.val_fraction, or set it to 0."
        )
    if not recipe.loader.drop_last and len(train_set) % min(recipe.loader.batch_size, len(train_set)) == 1:
        log.warning(
            "The last training batch of each epoch holds one row (%d samples, batch size %d); set loader.drop_last=true "
            "or change loader.batch_size.", len(train_set), recipe.loader.batch_size,
        )


def _split(dataset, val_fraction: float, seed: int):
    """A seeded train/validation split of ``dataset`` (no validation set when the fraction is 0).

    An ``IterableDataset`` (data streamed from disk) has no random access to split: it trains whole and
    asks for ``val_fraction=0``."""
    if val_fraction <= 0:
        return dataset, None
    if isinstance(dataset, IterableDataset):
        raise RecipeError(
            f"loader.val_fraction={val_fraction} cannot split streamed data (an IterableDataset); set "
            "loader.val_fraction=0, or load the data in memory."
        )
    n = len(dataset)
    n_val = max(1, int(round(n * val_fraction)))
    if n - n_val < 1:
        raise RecipeError(f"loader.val_fraction={val_fraction} leaves no training samples out of {n}.")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return Subset(dataset, order[n_val:]), Subset(dataset, order[:n_val])
