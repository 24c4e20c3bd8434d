"""multissl-sensor is installed, found through its entry point, and loads without error."""

from multissl.plugins import plugin_reports


def test_sensor_plugin_is_discovered_and_loads():
    reports = {r.name: r for r in plugin_reports()}
    assert "sensor" in reports, f"multissl-sensor is not installed: pip install -e plugins/sensor ({sorted(reports)})"
    assert reports["sensor"].error is None
    assert reports["sensor"].module == "multissl_sensor.plugin"
    assert reports["sensor"].version == "0.1.0"
