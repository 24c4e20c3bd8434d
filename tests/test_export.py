"""Export: every registered method to ONNX and TorchScript, reproducing ``Run.embed`` within 1e-5 through
onnxruntime and ``torch.jit.load``; a method whose encoder cannot export raises ExportError naming why."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import multissl
from multissl import export as exporting
from multissl.cli import main
from multissl.conformance import example_data, method_modality_pairs
from multissl.errors import ExportError

sys.path.insert(0, str(Path(__file__).parent))
import tiny  # noqa: E402

PAIRS = method_modality_pairs()
HAS_ONNX = all(importlib.util.find_spec(name) for name in ("onnx", "onnxscript", "onnxruntime"))
FORMATS = ["torchscript", pytest.param("onnx", marks=pytest.mark.skipif(not HAS_ONNX, reason="pip install multissl[onnx]"))]
SUFFIX = {"onnx": ".onnx", "torchscript": ".pt"}
MUST_EXPORT = {"vectors"}
"""Modalities whose every method must export in both formats (the core's MLP encoders)."""


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize(("method", "modality"), PAIRS, ids=[f"{m}-{mod}" for m, mod in PAIRS])
def test_every_method_exports_and_reproduces_embed_or_says_why_not(method, modality, format, tmp_path):
    """An export reproduces ``Run.embed`` on the whole example within 1e-5; an encoder that cannot be traced (sparse
    products, data-dependent sizes) raises ExportError naming the method, the format and the tracer's reason."""
    source = example_data(modality)
    run = multissl.pretrain(modality, source, method=method, max_epochs=1, batch_size=16,
                            **{"trainer.limit_train_batches": 1, "trainer.enable_progress_bar": False})
    path = tmp_path / f"encoder{SUFFIX[format]}"
    try:
        exporting.export(run, path, format, data=source)
    except ExportError as exc:
        assert modality not in MUST_EXPORT, str(exc)
        message = str(exc)
        assert f"{method!r} on {modality!r}" in message and format in message and "use the saved run" in message.lower()
        assert not path.exists()
        return
    batch = run.modality.export_batch(run.read(source))
    got = exporting.run_exported(path, format, {k: v for k, v in batch.items() if hasattr(v, "numpy")})
    np.testing.assert_allclose(got, run.embed(source), rtol=0, atol=1e-5)


def test_the_manifest_names_inputs_and_what_preprocessing_is_not_inside(tmp_path):
    run = multissl.pretrain("vectors", tiny.data(), method="simclr", max_epochs=1, batch_size=16, **tiny.OVERRIDES)
    exporting.export(run, tmp_path / "encoder.pt", "torchscript", data=tiny.data(5, seed=1))
    manifest = json.loads((tmp_path / "encoder.json").read_text())
    assert manifest["inputs"] == {"x": {"dtype": "float32", "example_shape": [5, 6]}}
    assert manifest["preprocessing_included"] is True and manifest["preprocessing"]["columns"] == [f"f{i}" for i in range(6)]
    raw_rows = tiny.data(3, seed=2)  # the export standardises raw features itself
    got = exporting.run_exported(tmp_path / "encoder.pt", "torchscript", {"x": __import__("torch").from_numpy(raw_rows)})
    np.testing.assert_allclose(got, run.embed(raw_rows), atol=1e-5)


def test_bad_format_and_missing_extra_are_clear_errors(tmp_path, monkeypatch):
    run = multissl.pretrain("vectors", tiny.data(), method="simclr", max_epochs=1, batch_size=16, **tiny.OVERRIDES)
    with pytest.raises(ExportError, match="choose one of onnx, torchscript"):
        exporting.export(run, tmp_path / "e.x", "tflite")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxscript" else real(name, *a))
    with pytest.raises(ExportError, match=r"pip install 'multissl\[onnx\]'"):
        exporting.export(run, tmp_path / "e.onnx", "onnx")


def test_multissl_export_writes_the_file_and_its_manifest(tmp_path):
    run = multissl.pretrain("vectors", tiny.data(), method="simclr", max_epochs=1, batch_size=16, **tiny.OVERRIDES)
    run.save(tmp_path / "run")
    np.save(tmp_path / "rows.npy", tiny.data(4, seed=3))
    argv = ["export", str(tmp_path / "run"), "--format", "torchscript", "--data", str(tmp_path / "rows.npy"),
            "-o", str(tmp_path / "out" / "encoder.pt")]
    assert main(argv) == 0
    assert (tmp_path / "out" / "encoder.pt").is_file() and (tmp_path / "out" / "encoder.json").is_file()
    assert main(argv[:2] + ["-o", str(tmp_path / "e.pt"), "--format", "torchscript"]) == 2  # in-memory training data
