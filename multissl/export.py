"""Export a run's encoder to ONNX or TorchScript: a module from batch tensors to ``(N, D)`` embeddings.

The exported module reads the tensors of :meth:`Modality.export_batch <multissl.modalities.base.Modality.export_batch>`
as positional inputs (their names are the ONNX input names) and returns what ``method.embed`` returns. Preprocessing
that is a tensor op (:meth:`Modality.export_preprocessing`) is inside; beside the file, ``<name>.json`` holds what is
not: the input names, dtypes and example shapes, the batch's non-tensor entries and the modality's fitted state
(scalers, vocabularies, feature configuration). Every export is checked against the method on a held batch.

ONNX goes through ``torch.onnx.export`` (the ``torch.export`` based exporter, dynamic sizes inferred) and needs the
``onnx`` extra (``pip install multissl[onnx]``: onnx, onnxscript, onnxruntime); TorchScript uses ``torch.jit.trace``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

import multissl
from multissl.errors import ExportError

FORMATS = ("onnx", "torchscript")
TRACE_SAMPLES = 8
"""Samples of the batch the export is traced on; the check runs on up to :data:`CHECK_SAMPLES` (another size)."""
CHECK_SAMPLES = 64
TOLERANCE = 1e-5
"""Largest absolute difference allowed between the exported module's embeddings and the method's."""


class EmbeddingModule(torch.nn.Module):
    """``(*tensors) -> method.embed(preprocessing({names: tensors} | constants))``: a run's encoder as a module over
    positional tensors, for tracing and export."""

    def __init__(self, method: torch.nn.Module, input_names: list[str], constants: dict[str, Any],
                 preprocessing: torch.nn.Module | None) -> None:
        super().__init__()
        self.method = method
        self.input_names = list(input_names)
        self.constants = dict(constants)
        self.preprocessing = preprocessing

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        batch = {**dict(zip(self.input_names, tensors)), **self.constants}
        if self.preprocessing is not None:
            batch = self.preprocessing(batch)
        return self.method.embed(batch).float()


def export(run, path: str | Path, format: str = "onnx", *, data: Any = None) -> Path:  # noqa: A002 - the CLI's word
    """Write ``run``'s encoder to ``path`` (ONNX or TorchScript) and ``path.with_suffix('.json')`` beside it.

    ``data``: a few samples the run's modality reads, to trace the export on (default: the run's training data).
    Raises :class:`~multissl.errors.ExportError` naming the reason when the encoder cannot be exported, the extra
    is missing, or the exported module does not reproduce ``Run.embed`` within :data:`TOLERANCE`."""
    if format not in FORMATS:
        raise ExportError(f"Unknown export format {format!r}; choose one of {', '.join(FORMATS)}.")
    if format == "onnx":
        check_onnx_installed()
    path = Path(path)
    modality, method = run.modality, run.method.eval()
    raw = _read_example(run, data)
    trace_batch = _tensors_first(modality.export_batch(raw, limit=TRACE_SAMPLES))
    names = [k for k, v in trace_batch.items() if torch.is_tensor(v)]
    constants = {k: v for k, v in trace_batch.items() if not torch.is_tensor(v)}
    module = EmbeddingModule(method, names, constants, modality.export_preprocessing()).eval()
    inputs = tuple(trace_batch[name] for name in names)
    where = f"{run.recipe.method!r} on {run.recipe.modality!r}"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with torch.no_grad(), warnings.catch_warnings(), _detached_from_trainer(method):
            warnings.simplefilter("ignore")  # tracer and exporter notes: the check below decides
            if format == "torchscript":
                torch.jit.save(torch.jit.trace(module, inputs, check_trace=False), str(path))
            else:
                _export_onnx(module, inputs, names, path)
    except Exception as exc:  # noqa: BLE001 - tracing fails in many ways; the user needs the method and the reason
        path.unlink(missing_ok=True)
        raise ExportError(
            f"{where} cannot be exported to {format}: {_first_line(exc)} Its embed path does "
            "something the tracer cannot follow (data-dependent Python control flow, sparse tensors, or an operator "
            "without an ONNX mapping); use the saved run (multissl.load) instead."
        ) from exc
    check_batch = _tensors_first(modality.export_batch(raw, limit=CHECK_SAMPLES))
    check_export(path, format, module, tuple(check_batch[name] for name in names), names, where)
    manifest = _manifest(run, format, names, trace_batch, constants, preprocessing_included=module.preprocessing is not None)
    path.with_suffix(".json").write_text(json.dumps(manifest, indent=2, default=_jsonable))
    return path


@contextlib.contextmanager
def _detached_from_trainer(method: torch.nn.Module):
    """Let Lightning modules be traced without a trainer: their ``trainer`` property then returns ``None`` instead
    of raising (the flag ``LightningModule.to_torchscript`` sets for the same reason)."""
    modules = [m for m in method.modules() if hasattr(m, "_jit_is_scripting")]
    for module in modules:
        module._jit_is_scripting = True
    try:
        yield
    finally:
        for module in modules:
            module._jit_is_scripting = False


def check_onnx_installed() -> None:
    """Raise :class:`ExportError` naming the extra when onnx or onnxscript is missing."""
    missing = [name for name in ("onnx", "onnxscript") if importlib.util.find_spec(name) is None]
    if missing:
        raise ExportError(
            f"ONNX export needs {' and '.join(missing)}, which are not installed: pip install 'multissl[onnx]'."
        )


def run_exported(path: str | Path, format: str, inputs: dict[str, torch.Tensor]) -> np.ndarray:  # noqa: A002
    """The embeddings the exported file at ``path`` gives for ``inputs`` (by name): through ``torch.jit.load``, or
    an ``onnxruntime`` session (needs onnxruntime)."""
    if format == "torchscript":
        with torch.no_grad():
            loaded = torch.jit.load(str(path))
            return loaded(*[inputs[name] for name in json.loads(Path(path).with_suffix(".json").read_text())["inputs"]]).numpy()
    if importlib.util.find_spec("onnxruntime") is None:
        raise ExportError("Running an ONNX export needs onnxruntime, which is not installed: pip install 'multissl[onnx]'.")
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {i.name: inputs[i.name].numpy() for i in session.get_inputs()}
    return session.run(None, feed)[0]


def check_export(path: Path, format: str, module: EmbeddingModule, inputs: tuple, names: list[str], where: str) -> None:  # noqa: A002
    """Raise :class:`ExportError` unless the exported file reproduces ``module`` on ``inputs`` within :data:`TOLERANCE`."""
    with torch.no_grad():
        expected = module(*inputs).numpy()
    if format == "torchscript":
        with torch.no_grad():
            got = torch.jit.load(str(path))(*inputs).numpy()
    elif importlib.util.find_spec("onnxruntime") is not None:
        got = run_exported(path, format, dict(zip(names, inputs)))
    else:
        return  # exported without onnxruntime: nothing to run the file with here
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=0, atol=TOLERANCE):
        difference = "shape " + str(got.shape) if got.shape != expected.shape else f"by up to {np.abs(got - expected).max():.3g}"
        path.unlink(missing_ok=True)
        raise ExportError(
            f"The {format} export of {where} differs from the method's embeddings on a batch of another size "
            f"({difference}): its embed path depends on something the trace fixed (e.g. the batch size). Use the saved "
            "run (multissl.load) instead."
        )


def _export_onnx(module: EmbeddingModule, inputs: tuple, names: list[str], path: Path) -> None:
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    dims = tuple({axis: torch.export.Dim.AUTO for axis in range(t.ndim)} for t in inputs)
    # one entry: forward's *tensors, a tuple of per-tensor {axis: Dim}
    program = torch.onnx.export(module, inputs, input_names=names, output_names=["embeddings"], dynamic_shapes=(dims,),
                                dynamo=True, verbose=False)
    program.save(str(path))


def _read_example(run, data: Any) -> Any:
    source = run.recipe.source if data is None else data
    try:
        return run.read(source)
    except Exception as exc:  # noqa: BLE001 - a saved run may describe in-memory data it cannot read back
        raise ExportError(
            f"Cannot read {'the run’s training data' if data is None else 'the data given'} to trace the export "
            f"({type(exc).__name__}: {_first_line(exc)}). Pass a few samples the run's modality reads: "
            "export(run, path, data=...) or multissl export RUN --data PATH."
        ) from exc


def _tensors_first(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v.contiguous() if torch.is_tensor(v) else v for k, v in batch.items()}


def _manifest(run, format: str, names: list[str], batch: dict[str, Any], constants: dict[str, Any], *,  # noqa: A002
              preprocessing_included: bool) -> dict[str, Any]:
    tensors = {name: {"dtype": str(batch[name].dtype).removeprefix("torch."), "example_shape": list(batch[name].shape)}
               for name in names}
    return {
        "format": format,
        "multissl_version": multissl.__version__,
        "modality": run.recipe.modality,
        "method": run.recipe.method,
        "inputs": tensors,
        "output": "embeddings",
        "constants": constants,
        "preprocessing_included": preprocessing_included,
        "preprocessing": run.modality.state_dict(),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _first_line(exc: BaseException) -> str:
    """The first line of the innermost cause (the exporter wraps the reason in several layers)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    text = str(exc).strip().splitlines()
    return (text[0] if text else "")[:300]
