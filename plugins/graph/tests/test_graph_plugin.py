"""multissl-graph is installed, found through its entry point, and loads without error."""

from multissl.plugins import plugin_reports


def test_graph_plugin_is_discovered_and_loads():
    reports = {r.name: r for r in plugin_reports()}
    assert "graph" in reports, f"multissl-graph is not installed: pip install -e plugins/graph ({sorted(reports)})"
    assert reports["graph"].error is None
    assert reports["graph"].module == "multissl_graph.plugin"
    assert reports["graph"].version == "0.1.0"
