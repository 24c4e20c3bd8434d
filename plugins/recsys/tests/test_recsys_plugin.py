"""multissl-recsys is installed, found through its entry point, loads without error and registers its names."""

from multissl.plugins import plugin_reports, registry


def test_recsys_plugin_is_discovered_and_loads():
    reports = {r.name: r for r in plugin_reports()}
    assert "recsys" in reports, f"multissl-recsys is not installed: pip install -e plugins/recsys ({sorted(reports)})"
    assert reports["recsys"].error is None
    assert reports["recsys"].module == "multissl_recsys.plugin"
    assert reports["recsys"].version == "0.1.0"


def test_recsys_registers_the_issue_names():
    assert "interactions" in registry().names("modality")
    served = {c.name for c in registry().methods_for("interactions")}
    assert {"two_tower_ssl", "lightgcn", "sgl", "simgcl"} <= served
    assert {"movielens_small", "gowalla"} <= set(registry().names("dataset"))
