"""multissl-speech is installed, found through its entry point, and loads without error."""

from multissl.plugins import plugin_reports


def test_speech_plugin_is_discovered_and_loads():
    reports = {r.name: r for r in plugin_reports()}
    assert "speech" in reports, f"multissl-speech is not installed: pip install -e plugins/speech ({sorted(reports)})"
    assert reports["speech"].error is None
    assert reports["speech"].module == "multissl_speech.plugin"
    assert reports["speech"].version == "0.1.0"
