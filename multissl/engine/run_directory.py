"""The on-disk layout of a saved run, and reading it back with clear errors.

    run.json              format version, versions, modality, method, input spec (written last)
    recipe.yaml           the resolved recipe
    weights.safetensors   the method's weights
    preprocessing.json    the modality's fitted state (arrays in preprocessing.safetensors)
    metrics.json          training and evaluation metrics
    checkpoints/, logs/   Lightning checkpoints (last, best) and CSV logs, when training wrote them
    tensorboard/, wandb/, mlruns/
                          TensorBoard events, an offline W&B run, an MLflow file store: when ``trainer.loggers`` asked

Only a directory that holds nothing but these entries may be replaced (``overwrite=True``).
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

from multissl.engine.atomic import atomic_write_text, recover_directory
from multissl.errors import RunDirectoryError

FORMAT_VERSION = 1
INFO_FILE = "run.json"
REQUIRED_FILES = (INFO_FILE, "recipe.yaml", "weights.safetensors", "preprocessing.json", "metrics.json")
COPIED_DIRS = ("checkpoints", "logs", "tensorboard", "wandb", "mlruns")
RUN_ENTRIES = frozenset({*REQUIRED_FILES, "preprocessing.safetensors", *COPIED_DIRS})


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
        missing, unexpected = _read_file(
            self.path / "weights.safetensors", lambda file: load_model(module, file, strict=False), dict_expected=False
        )
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


def check_replaceable(path: Path) -> None:
    """Raise :class:`RunDirectoryError` unless ``path`` is absent, empty, or a run directory (its entries
    are all ones a run holds): overwriting never deletes anything else."""
    path = Path(path).absolute()
    cwd = Path.cwd().resolve()
    if path.exists() and (path.resolve() == cwd or path.resolve() in cwd.parents):
        raise RunDirectoryError(
            f"{path} is the current directory or one above it; a run is never saved over it. Save into a new "
            "subdirectory, e.g. runs/my-run."
        )
    if not path.exists():
        return
    if not path.is_dir():
        raise RunDirectoryError(f"{path} is a file, not a run directory; pick another path for the run.")
    foreign = sorted(entry.name for entry in path.iterdir() if entry.name not in RUN_ENTRIES)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise RunDirectoryError(
            f"{path} is not a run directory (it holds {shown}); overwrite only ever replaces a saved run. "
            "Pick another path, or move those files away first."
        )


def read_run_directory(path: str | Path) -> RunFiles:
    """Read a run directory, or raise :class:`RunDirectoryError` saying what is missing or too new."""
    path = Path(path)
    recover_directory(path)
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
    info = _read_file(path / INFO_FILE, lambda file: json.loads(file.read_text()))
    version = info.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise RunDirectoryError(
            f"Run directory {path} has format version {version!r}, written by multissl {info.get('multissl_version')}; "
            f"this multissl reads up to version {FORMAT_VERSION}. Upgrade multissl to load it."
        )
    arrays_file = path / "preprocessing.safetensors"
    arrays = _read_file(arrays_file, lambda file: load_arrays(str(file))) if arrays_file.is_file() else {}
    preprocessing = _read_file(path / "preprocessing.json", lambda file: _join_arrays(json.loads(file.read_text()), arrays))
    return RunFiles(
        path=path,
        info=info,
        recipe=_read_file(path / "recipe.yaml", lambda file: yaml.safe_load(file.read_text())),
        preprocessing=preprocessing,
        metrics=_read_file(path / "metrics.json", lambda file: json.loads(file.read_text())),
    )


def _read_file(file: Path, parse, *, dict_expected: bool = True) -> Any:
    """``parse(file)``, with any failure (truncated, not JSON/YAML/safetensors, wrong layout) turned into a
    :class:`RunDirectoryError` that names the file."""
    try:
        value = parse(file)
    except RunDirectoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - every parser has its own errors; the user needs the file name
        raise RunDirectoryError(
            f"{file} is corrupt or not what multissl wrote ({type(exc).__name__}: {str(exc)[:200]}). "
            "Restore the run directory from a copy, or retrain."
        ) from exc
    if dict_expected and not isinstance(value, dict):
        raise RunDirectoryError(
            f"{file} is corrupt: it holds a {type(value).__name__}, not a mapping. Restore the run directory "
            "from a copy, or retrain."
        )
    return value


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
