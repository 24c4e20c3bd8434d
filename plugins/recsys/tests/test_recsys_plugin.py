"""multissl-recsys is installed, found through its entry point, and loads without error."""

from multissl.plugins import plugin_reports


def test_recsys_plugin_is_discovered_and_loads():
    reports = {r.name: r for r in plugin_reports()}
    assert "recsys" in reports, f"multissl-recsys is not installed: pip install -e plugins/recsys ({sorted(reports)})"
    assert reports["recsys"].error is None
    assert reports["recsys"].module == "multissl_recsys.plugin"
    assert reports["recsys"].version == "0.1.0"
