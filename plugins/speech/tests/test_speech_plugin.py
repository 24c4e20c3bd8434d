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


def test_shipped_base_recipes_are_valid():
    from pathlib import Path

    import multissl_speech

    from multissl.recipe import read_recipe, resolve

    recipes = sorted((Path(multissl_speech.__file__).parent / "recipes").glob("*.yaml"))
    assert [p.stem for p in recipes] == ["speech_hubert_base", "speech_tera_base"]
    for path in recipes:
        recipe = resolve(read_recipe(path), registry())
        assert recipe.modality == "speech" and recipe.method_options.num_layers in (3, 12)
