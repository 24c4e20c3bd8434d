"""The experiment loggers a recipe names in ``trainer.loggers``: Lightning's own, each behind an optional extra.

``csv`` (always available) writes ``logs/version_N/metrics.csv``; ``tensorboard`` writes ``tensorboard/``;
``wandb`` runs in offline mode into ``wandb/`` (sync later with ``wandb sync``; it never needs a network);
``mlflow`` writes a local file store ``mlruns/`` (browse with ``mlflow ui --backend-store-uri mlruns``). All
of them sit in the run's working directory and are copied into the saved run directory.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from pathlib import Path

from lightning.pytorch.loggers import CSVLogger, Logger

from multissl.errors import RecipeError

LOGGER_NAMES = ("csv", "tensorboard", "wandb", "mlflow")
LOGGER_DIRS = ("logs", "tensorboard", "wandb", "mlruns")
"""The folders the loggers write under the working directory, in the order of :data:`LOGGER_NAMES`."""
_EXTRA_MODULES = {"tensorboard": ("tensorboard",), "wandb": ("wandb",), "mlflow": ("mlflow",)}


def build_loggers(names: list[str], work_dir: Path, run_name: str) -> list[Logger]:
    """The loggers named in ``names`` (see :data:`LOGGER_NAMES`), writing under ``work_dir``. A logger whose
    package is missing raises :class:`RecipeError` naming the extra that installs it."""
    loggers: list[Logger] = []
    for name in names:
        if name not in LOGGER_NAMES:
            raise RecipeError(f"trainer.loggers has {name!r}; choose from {', '.join(LOGGER_NAMES)}.")
        _require(name)
        if name == "csv":
            loggers.append(CSVLogger(work_dir, name="logs"))  # version_N: a resumed run never overwrites logs
        elif name == "tensorboard":
            from lightning.pytorch.loggers import TensorBoardLogger

            loggers.append(TensorBoardLogger(work_dir, name="tensorboard"))
        elif name == "wandb":
            from lightning.pytorch.loggers import WandbLogger

            (work_dir / "wandb").mkdir(parents=True, exist_ok=True)
            loggers.append(WandbLogger(name=run_name, project="multissl", save_dir=str(work_dir), offline=True))
        else:
            from lightning.pytorch.loggers import MLFlowLogger

            store = (work_dir / "mlruns").resolve()
            # MLflow 3 keeps its file store working but refuses it unless asked: a local folder needs no database
            # server, and it is what a run directory can carry.
            with _environment(MLFLOW_ALLOW_FILE_STORE="true"):
                loggers.append(MLFlowLogger(experiment_name="multissl", run_name=run_name, tracking_uri=store.as_uri()))
    return loggers


@contextlib.contextmanager
def _environment(**values: str):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _require(name: str) -> None:
    for module in _EXTRA_MODULES.get(name, ()):
        if importlib.util.find_spec(module) is None:
            raise RecipeError(
                f"trainer.loggers asks for {name}, which is not installed: pip install 'multissl[{name}]'."
            )
