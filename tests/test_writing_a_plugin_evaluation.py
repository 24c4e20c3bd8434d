"""Section 5 and 6 of docs/writing-a-plugin.md work as written: the fuller hook (default method, evaluator,
dataset under the data root), the evaluator with its baseline, and the recipe with its header."""

from __future__ import annotations

import re
import types
from pathlib import Path

import numpy as np
import pytest
import yaml

import multissl
from multissl.errors import RecipeError

DOC = Path(__file__).resolve().parents[1] / "docs" / "writing-a-plugin.md"


def _block(language: str, first_line: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)
    return next(block for block in blocks if block.startswith(first_line))


@pytest.fixture
def signals_plugin(tmp_path, monkeypatch, fresh_plugins):
    """The documented signals plugin with the fuller hook, registered at runtime; the demo data under a data root."""
    for name in ("signals_plugin", "signals_evaluation"):
        (tmp_path / f"{name}.py").write_text(_block("python", f"# {name}.py\n"))
    monkeypatch.syspath_prepend(str(tmp_path))
    import signals_plugin as documented

    namespace = dict(vars(documented))
    exec(compile(_block("python", "# signals_plugin.py: the hook"), "writing-a-plugin.md", "exec"), namespace)  # noqa: S102
    multissl.register(types.SimpleNamespace(multissl_register=namespace["multissl_register"]), name="signals")
    folder = tmp_path / "data" / "signals" / "demo"
    folder.mkdir(parents=True)
    np.save(folder / "signals.npy", documented.Signals().example().astype(np.float32))
    monkeypatch.setenv("MULTISSL_DATA", str(tmp_path / "data"))
    return fresh_plugins.registry()


def test_the_fuller_hook_registers_a_default_method_an_evaluator_and_a_dataset(signals_plugin):
    assert signals_plugin.default_method("signals") == "simclr"
    assert signals_plugin.default_evaluators("signals") == ["dominant_frequency"]
    assert signals_plugin.entry("dataset", "signals_demo").details["path"] == "signals/demo"


def test_the_documented_recipe_runs_its_evaluator_with_the_baseline(signals_plugin, tmp_path):
    recipe = yaml.safe_load(_block("yaml", "# SimCLR on demo signals"))
    recipe["trainer"] = {"max_epochs": 1, "enable_progress_bar": False}
    recipe["loader"] = {"batch_size": 16}
    report = multissl.pretrain(recipe=recipe).metrics["evaluation"]
    assert set(report) == {"frequency/accuracy", "baseline/frequency/accuracy", "baseline"}
    assert report["baseline"] == "raw signals"
    assert report["baseline/frequency/accuracy"] == 1.0  # 3 Hz and 7 Hz sines: linearly separable raw
    assert 0.0 <= report["frequency/accuracy"] <= 1.0


def test_the_documented_check_refuses_a_bad_option_before_training(signals_plugin):
    with pytest.raises(RecipeError, match="test_fraction"):
        multissl.pretrain("signals", "signals_demo", evaluate={"test_fraction": 1.5})
