"""The recipe catalogue: every shipped recipe (core and plugins) documents itself, names its data by a dataset name,
validates, can be benched; every registered method has one; ``multissl recipes --json`` lists them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import multissl.recipe
from multissl.cli import main
from multissl.plugins import host, registry


def _shipped() -> list[Path]:
    return sorted(p for directory in host().recipe_dirs() for p in Path(directory).glob("*.yaml"))


SHIPPED = _shipped()


def _header(path: Path) -> list[str]:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return lines


def test_recipes_are_shipped():
    assert {"breast_cancer_simclr"} <= {p.stem for p in SHIPPED}
    assert len({p.stem for p in SHIPPED}) == len(SHIPPED), "two shipped recipes share a name"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_recipe_opens_with_what_it_shows_its_data_command_and_figure(path):
    header = _header(path)
    text = " ".join(header)
    assert len(header) >= 3, f"{path} must open with a comment block: what it shows, the data, the command, the figure"
    assert re.search(rf"multissl (pretrain|bench) {re.escape(path.stem)}\b", text), f"{path}: its command is missing"
    assert "FIGURE" not in text and re.search(r"\d\.\d", text), f"{path}: the figure it reaches is missing"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_recipe_names_data_by_dataset_name_validates_and_has_an_evaluation(path):
    raw = yaml.safe_load(path.read_text())
    datasets = registry().names("dataset")
    for where, source in (("data.source", raw["data"]["source"]), ("evaluate.data", (raw.get("evaluate") or {}).get("data"))):
        if source is None and where == "evaluate.data":
            continue
        assert isinstance(source, str) and source in datasets, f"{path}: {where}={source!r} is not a dataset name"
        assert "shared" not in source and "/" not in source
    assert isinstance(raw.get("evaluate"), dict), f"{path}: a recipe needs an evaluate: block (multissl bench reports it)"
    multissl.recipe.resolve(raw, registry())


def test_every_registered_method_has_a_recipe():
    reg = registry()
    covered = set()
    for path in SHIPPED:
        raw = yaml.safe_load(path.read_text())
        method = raw.get("method")
        covered.add(method.get("name") if isinstance(method, dict) else method or reg.default_method(raw["modality"]))
    missing = sorted(set(reg.names("method")) - covered)
    assert not missing, f"methods without a shipped recipe: {missing}"


def test_recipes_json_lists_name_modality_method_plugin_path(capsys):
    assert main(["recipes", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(row["path"] for row in rows) == sorted(str(p) for p in SHIPPED)
    core = next(row for row in rows if row["name"] == "breast_cancer_simclr")
    assert core == {"name": "breast_cancer_simclr", "modality": "vectors", "method": "simclr", "plugin": "core",
                    "path": str(Path(multissl.recipe.__file__).parent / "recipes" / "breast_cancer_simclr.yaml")}
    assert all(set(row) == {"name", "modality", "method", "plugin", "path"} for row in rows)


@pytest.mark.parametrize(
    "component", registry().entries(), ids=[f"{c.kind}:{c.name}" for c in registry().entries()]
)
def test_every_lazily_registered_component_loads(component):
    loaded = component.load()
    assert loaded is not None
    if component.kind in ("modality", "method", "evaluator", "view", "encoder", "objective"):
        assert isinstance(loaded, type), f"{component.kind} {component.name!r} should be a class, got {loaded!r}"
    else:
        assert callable(loaded)


def test_listing_recipes_imports_no_torch():
    code = ("import sys; from multissl.cli import main; main(['recipes', '--json']); main(['recipes']); "
            "print('torch' in sys.modules, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr.strip().splitlines()[-1] == "False"
