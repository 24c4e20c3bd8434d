"""multissl-tabular is installed, found through its entry point, and loads without error."""

from multissl.plugins import plugin_reports


def test_tabular_plugin_is_discovered_and_loads():
    reports = {r.name: r for r in plugin_reports()}
    assert "tabular" in reports, f"multissl-tabular is not installed: pip install -e plugins/tabular ({sorted(reports)})"
    assert reports["tabular"].error is None
    assert reports["tabular"].module == "multissl_tabular.plugin"
    assert reports["tabular"].version == "0.1.0"
