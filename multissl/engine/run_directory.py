"""The on-disk layout of a saved run, and reading it back with clear errors.

    run.json              format version, versions, modality, method, input spec (written last)
    recipe.yaml           the resolved recipe
    weights.safetensors   the method's weights
    preprocessing.json    the modality's fitted state (arrays in preprocessing.safetensors)
    metrics.json          training and evaluation metrics
    checkpoints/, logs/   Lightning checkpoints (last, best) and CSV logs, when training wrote them
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from safetensors.numpy import load_file as load_arrays
from safetensors.numpy import save_file as save_arrays
from safetensors.torch import load_model, save_model

from multissl.engine.atomic import atomic_write_text
from multissl.errors import RunDirectoryError

FORMAT_VERSION = 1
INFO_FILE = "run.json"
REQUIRED_FILES = (INFO_FILE, "recipe.yaml", "weights.safetensors", "preprocessing.json", "metrics.json")
COPIED_DIRS = ("checkpoints", "logs")


@dataclass
class RunFiles:
    """What :func:`read_run_directory` found: the run's info, recipe, preprocessing state and metrics."""

    path: Path
    info: dict[str, Any]
    recipe: dict[str, Any]
    preprocessing: dict[str, Any]
    metrics: dict[str, Any]

    def load_weights(self, module: torch.nn.Module) -> None:
        """Load ``weights.safetensors`` into ``module`` (strict: every key must match)."""
        missing, unexpected = load_model(module, self.path / "weights.safetensors", strict=False)
        if missing or unexpected:
            raise RunDirectoryError(
                f"The weights in {self.path} do not fit the method rebuilt from its recipe (missing {sorted(missing)[:5]}, "
                f"unexpected {sorted(unexpected)[:5]}). The run was saved by different code; retrain or use that version."
            )


def write_run_directory(
    directory: Path,
    *,
    info: dict[str, Any],
    recipe: dict[str, Any],
    module: torch.nn.Module,
    preprocessing: dict[str, Any],
    metrics: dict[str, Any],
    work_dir: Path | None,
) -> None:
    """Write a complete run into ``directory`` (a staging directory); ``run.json`` goes last."""
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write_text(directory / "recipe.yaml", yaml.safe_dump(recipe, sort_keys=False))
    save_model(module, str(directory / "weights.safetensors"))
    arrays: dict[str, np.ndarray] = {}
    atomic_write_text(directory / "preprocessing.json", json.dumps(_split_arrays(preprocessing, arrays), indent=2))
    if arrays:
        save_arrays(arrays, str(directory / "preprocessing.safetensors"))
    atomic_write_text(directory / "metrics.json", json.dumps(metrics, indent=2, default=float))
    if work_dir is not None and work_dir.resolve() != directory.resolve():
        for name in COPIED_DIRS:
            if (work_dir / name).is_dir():
                shutil.copytree(work_dir / name, directory / name, dirs_exist_ok=True)
    atomic_write_text(directory / INFO_FILE, json.dumps({"format_version": FORMAT_VERSION, **info}, indent=2))


def read_run_directory(path: str | Path) -> RunFiles:
    """Read a run directory, or raise :class:`RunDirectoryError` saying what is missing or too new."""
    path = Path(path)
    if not path.is_dir():
        raise RunDirectoryError(f"Run directory {str(path)!r} does not exist.")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        hint = (
            " It holds checkpoints: training was interrupted; resume it with `resume: last` (or --set resume=last)."
            if (path / "checkpoints" / "last.ckpt").is_file()
            else ""
        )
        raise RunDirectoryError(f"Run directory {path} is incomplete: missing {', '.join(missing)}.{hint}")
    info = json.loads((path / INFO_FILE).read_text())
    version = info.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise RunDirectoryError(
            f"Run directory {path} has format version {version!r}, written by multissl {info.get('multissl_version')}; "
            f"this multissl reads up to version {FORMAT_VERSION}. Upgrade multissl to load it."
        )
    arrays = load_arrays(str(path / "preprocessing.safetensors")) if (path / "preprocessing.safetensors").is_file() else {}
    preprocessing = _join_arrays(json.loads((path / "preprocessing.json").read_text()), arrays)
    return RunFiles(
        path=path,
        info=info,
        recipe=yaml.safe_load((path / "recipe.yaml").read_text()),
        preprocessing=preprocessing,
        metrics=json.loads((path / "metrics.json").read_text()),
    )


def _split_arrays(value: Any, arrays: dict[str, np.ndarray], prefix: str = "state") -> Any:
    """``value`` with arrays/tensors replaced by ``{"__array__": key}`` and collected in ``arrays``."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        arrays[prefix] = np.ascontiguousarray(value)
        return {"__array__": prefix}
    if isinstance(value, dict):
        return {str(k): _split_arrays(v, arrays, f"{prefix}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_split_arrays(v, arrays, f"{prefix}.{i}") for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _join_arrays(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {k: _join_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_join_arrays(v, arrays) for v in value]
    return value
