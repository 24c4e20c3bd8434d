"""multissl-speech is installed, found through its entry point, and registers its components lazily."""

from multissl.plugins import plugin_reports, registry


def test_speech_plugin_is_discovered_and_loads():
    reports = {r.name: r for r in plugin_reports()}
    assert "speech" in reports, f"multissl-speech is not installed: pip install -e plugins/speech ({sorted(reports)})"
    assert reports["speech"].error is None
    assert reports["speech"].module == "multissl_speech.plugin"
    assert reports["speech"].version == "0.1.0"


def test_speech_registers_its_modality_and_methods_lazily():
    assert "speech" in registry().names("modality")
    assert {c.name for c in registry().methods_for("speech")} >= {"tera", "hubert"}
    assert all(isinstance(registry().entry("method", name).target, str) for name in ("tera", "hubert"))


def test_speech_names_its_default_method_evaluator_and_datasets():
    assert registry().default_method("speech") == "tera"
    assert registry().default_evaluators("speech") == ["speech_probe"]
    datasets = {c.name: c for c in registry().entries("dataset") if "speech" in c.modalities}
    assert {name: c.details["path"] for name, c in datasets.items()} == {
        "fsdd": "speech/fsdd", "librispeech_subset": "speech/librispeech_subset"}
    assert datasets["fsdd"].details["options"] == {"label_column": "digit"}
