"""multissl-tabular is installed, found through its entry point, and loads without error."""

from multissl.plugins import plugin_reports


def test_tabular_plugin_is_discovered_and_loads():
    reports = {r.name: r for r in plugin_reports()}
    assert "tabular" in reports, f"multissl-tabular is not installed: pip install -e plugins/tabular ({sorted(reports)})"
    assert reports["tabular"].error is None
    assert reports["tabular"].module == "multissl_tabular.plugin"
    assert reports["tabular"].version == "0.1.0"


def test_registers_its_components_without_importing_torch():
    import subprocess
    import sys

    code = (
        "import sys; from multissl.plugins import registry; r = registry();"
        "print(r.names('modality'), [c.name for c in r.methods_for('tabular')], 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'tabular'" in out and "['barlow_twins', 'byol', 'mae', 'scarf', 'simclr', 'tjepa', 'vicreg']" in out, out
    assert out.strip().endswith("False"), out


def test_shipped_recipe_is_valid():
    from multissl import recipe
    from multissl.api import resolve_recipe_path
    from multissl.plugins import registry

    resolved = recipe.resolve(recipe.read_recipe(resolve_recipe_path("adult_tjepa")), registry())
    assert resolved.method == "tjepa" and resolved.optimizer.lr == 3.66e-4
