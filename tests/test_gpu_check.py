"""benchmarks/gpu/check.py runs on CPU: one ok line per selected method, with its measurements in the JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu" / "check.py"


def load_check():
    spec = importlib.util.spec_from_file_location("gpu_check", CHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_runs_on_cpu_and_reports_each_method(tmp_path, capsys):
    pytest.importorskip("multissl_tabular", reason="needs the tabular plugin (tjepa)")
    check = load_check()
    out = tmp_path / "check.json"
    failures = check.main(
        ["--accelerator", "cpu", "--precision", "32-true", "--quick", "--methods", "vicreg,tjepa", "--json", str(out)]
    )
    lines = [line for line in capsys.readouterr().out.splitlines() if line.split()[:1] in (["vicreg/vectors"], ["tjepa/tabular"])]
    assert failures == 0
    assert [line.split()[:2] for line in lines] == [["tjepa/tabular", "ok"], ["vicreg/vectors", "ok"]]
    results = json.loads(out.read_text())["results"]
    assert results["vicreg/vectors"]["steps_per_second"] > 0 and results["vicreg/vectors"]["samples_per_second"] > 0
    assert results["vicreg/vectors"]["mfu"] is None and results["vicreg/vectors"]["peak_memory_gib"] is None
    assert results["tjepa/tabular"]["flops_per_step"] > 0 and results["tjepa/tabular"]["mfu"] > 0


def test_check_reports_a_failing_method_and_counts_it(monkeypatch, capsys):
    check = load_check()

    def broken(method, modality, args):
        raise ValueError("first line\nthe last line says what broke")

    monkeypatch.setattr(check, "check_method", broken)
    failures = check.main(["--accelerator", "cpu", "--quick", "--methods", "vicreg"])  # vicreg on every data type it serves
    out = capsys.readouterr().out
    assert failures >= 1 and failures == out.count(" error  ValueError: first line the last line says what broke")
    assert "vicreg/vectors                     error  ValueError: first line the last line says what broke" in out


def test_transformer_detection():
    import torch

    check = load_check()
    assert check.has_transformer(torch.nn.TransformerEncoderLayer(8, 2, batch_first=True))
    assert not check.has_transformer(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU()))


def test_check_under_bf16_autocast_on_cpu(capsys):
    pytest.importorskip("multissl_tabular", reason="needs the tabular plugin (tjepa)")
    pytest.importorskip("multissl_graph", reason="needs the graph plugin (attribute_mask)")
    """bf16-mixed on CPU runs the same autocast as on a GPU: dtype surprises (a bf16 tensor cached and reused
    outside autocast, mixed-dtype products) show here without a device. Sparse products are left out: MKL has
    no bf16 sparse kernels."""
    check = load_check()
    assert check.main(["--accelerator", "cpu", "--precision", "bf16-mixed", "--quick", "--methods", "attribute_mask,tjepa"]) == 0
    assert len([line for line in capsys.readouterr().out.splitlines() if " ok " in line]) == 2
