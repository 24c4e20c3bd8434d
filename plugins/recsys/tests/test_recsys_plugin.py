"""multissl-recsys is installed, found through its entry point, loads without error and registers its names."""

from pathlib import Path

from multissl.plugins import plugin_reports, registry


def test_recsys_plugin_is_discovered_and_loads():
    reports = {r.name: r for r in plugin_reports()}
    assert "recsys" in reports, f"multissl-recsys is not installed: pip install -e plugins/recsys ({sorted(reports)})"
    assert reports["recsys"].error is None
    assert reports["recsys"].module == "multissl_recsys.plugin"
    assert reports["recsys"].version == "0.1.0"


def test_recsys_registers_its_modality_methods_evaluator_and_datasets():
    reg = registry()
    assert "interactions" in reg.names("modality")
    served = {c.name for c in reg.methods_for("interactions")}
    assert {"two_tower_ssl", "lightgcn", "sgl", "simgcl"} <= served
    assert reg.default_method("interactions") == "lightgcn"
    assert reg.default_evaluators("interactions") == ["ranking"]
    assert reg.entry("dataset", "gowalla").details["path"] == "recsys/lightgcn_gowalla"
    movielens = reg.entry("dataset", "movielens_small").details
    assert movielens["path"] == "recsys/ml-latest-small"
    assert movielens["options"] == {"rating_column": "rating", "timestamp_column": "timestamp"}


def test_every_recsys_method_has_a_shipped_recipe():
    import yaml

    from multissl.plugins import host

    recipes = [yaml.safe_load(path.read_text()) for folder in host().recipe_dirs() for path in Path(folder).glob("*.yaml")]
    methods = {recipe["method"]["name"] for recipe in recipes if recipe.get("modality") == "interactions"}
    assert {"two_tower_ssl", "lightgcn", "sgl", "simgcl"} <= methods
