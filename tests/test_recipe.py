"""Recipes are validated before any work: unknown keys named with the allowed ones, types checked."""

from __future__ import annotations

import pytest

from multissl import recipe as recipes
from multissl.errors import RecipeError, UnknownComponentError
from multissl.plugins import registry

BASE = {"modality": "vectors", "data": {"source": "breast_cancer", "label_column": "target"}, "method": {"name": "simclr"}}


def test_a_valid_recipe_resolves_with_defaults_filled_in():
    recipe = recipes.resolve(BASE, registry())
    assert recipe.method == "simclr" and recipe.trainer.max_epochs == 100
    written = recipe.to_dict()
    assert written["data"] == {"source": "breast_cancer", "label_column": "target", "columns": None, "standardize": True}
    assert written["method"]["encoder"] == "mlp"
    assert recipes.resolve(written, registry()).to_dict() == written


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"trainr": {}}, r"Unknown recipe key\(s\) \['trainr'\]. Did you mean 'trainer'\?"),
        ({"trainer": {"max_epoch": 3}}, r"Unknown key 'max_epoch' in trainer. Did you mean 'max_epochs'.*Allowed keys:"),
        ({"trainer": {"max_epochs": "ten"}}, r"trainer.max_epochs: expected an integer"),
        ({"loader": {"batch_size": 0}}, r"batch_size must be at least 1"),
        ({"optimizer": {"schedule": "cosin"}}, r"not one of 'cosine', 'linear', 'constant'"),
        ({"optimizer": {"lr": 0.0}}, r"optimizer.lr and optimizer.eps must be positive.*lr=0.0"),
        ({"optimizer": {"eps": -1e-8}}, r"optimizer.lr and optimizer.eps must be positive.*eps=-1e-08"),
        ({"optimizer": {"weight_decay": -0.1}}, r"weight_decay non-negative.*weight_decay=-0.1"),
        ({"optimizer": {"betas": [0.9, 1.0]}}, r"optimizer.betas must be two numbers in \[0, 1\)"),
        ({"optimizer": {"betas": [0.9]}}, r"optimizer.betas must be two numbers"),
        ({"optimizer": {"warmup_fraction": 1.0}}, r"optimizer.warmup_fraction must be in \[0, 1\)"),
        ({"method": {"name": "simclr", "temprature": 0.1}}, r"Unknown key 'temprature' in method \(options of 'simclr'\)"),
        ({"data": {"source": "x", "label_colum": "y"}}, r"Did you mean 'label_column'\?"),
        ({"data": {"label_column": "y"}}, r"needs `data: \{source: ...\}`"),
        ({"seed": "zero"}, r"seed must be an integer"),
        ({"modality": None}, r"needs `modality:`"),
    ],
)
def test_bad_recipes_fail_with_a_message_naming_the_problem(patch, message):
    with pytest.raises(RecipeError, match=message):
        recipes.resolve({**BASE, **patch}, registry())


def test_unknown_components_are_named_with_close_matches():
    with pytest.raises(UnknownComponentError, match=r"No method named 'simclrr'.*Did you mean 'simclr'"):
        recipes.resolve({**BASE, "method": {"name": "simclrr"}}, registry())
    with pytest.raises(UnknownComponentError, match=r"No modality named 'vector'.*Did you mean 'vectors'"):
        recipes.resolve({**BASE, "modality": "vector"}, registry())


def test_a_method_for_another_modality_is_refused(fresh_plugins):
    fresh_plugins.registry().add_modality("other", "multissl.modalities.vectors:Vectors")
    with pytest.raises(RecipeError, match="does not work on modality 'other'"):
        recipes.resolve({**BASE, "modality": "other", "data": {"source": [[1.0]]}}, fresh_plugins.registry())


def test_set_overrides_parse_yaml_values_and_reach_nested_sections():
    raw = recipes.apply_overrides(BASE, ["trainer.devices=2", "trainer.strategy=ddp_spawn", "method.projector_dims=[32, 16]", "seed=3"])
    recipe = recipes.resolve(raw, registry())
    assert recipe.trainer.devices == 2 and recipe.trainer.strategy == "ddp_spawn"
    assert recipe.method_options.projector_dims == [32, 16] and recipe.seed == 3
    assert BASE["method"] == {"name": "simclr"}, "overrides must not mutate the input"
    with pytest.raises(RecipeError, match="section.key=value"):
        recipes.apply_overrides(BASE, ["trainer.max_epochs"])


def test_set_overrides_read_exponent_numbers_as_floats():
    raw = recipes.apply_overrides(BASE, ["optimizer.lr=1e-4", "optimizer.weight_decay=5E-6", "optimizer.eps=1.0e-6", "output_dir=1e4x"])
    assert raw["optimizer"] == {"lr": 1e-4, "weight_decay": 5e-6, "eps": 1e-6} and raw["output_dir"] == "1e4x"
    assert recipes.resolve(raw, registry()).optimizer.lr == 1e-4
    assert recipes.parse_assignment("method.name=simclr") == ("method.name", "simclr")


def test_flat_keyword_overrides_find_their_section():
    raw = recipes.flat_overrides(BASE, {"max_epochs": 2, "batch_size": 8, "lr": 0.1, "projector_dims": [8], "seed": 5}, registry())
    assert raw["trainer"] == {"max_epochs": 2} and raw["loader"] == {"batch_size": 8}
    assert raw["optimizer"] == {"lr": 0.1} and raw["seed"] == 5
    assert raw["method"] == {"name": "simclr", "projector_dims": [8]}
    assert recipes.flat_overrides(BASE, {"standardize": False}, registry())["data"]["standardize"] is False
    with pytest.raises(RecipeError, match=r"Unknown option 'max_epoch'. Did you mean 'max_epochs'"):
        recipes.flat_overrides(BASE, {"max_epoch": 2}, registry())


def test_recipe_files_are_read_and_bad_yaml_is_explained(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("modality: vectors\ndata: {source: wine}\nmethod: vicreg\n")
    assert recipes.resolve(recipes.read_recipe(good), registry()).method == "vicreg"
    bad = tmp_path / "bad.yaml"
    bad.write_text("modality: [unclosed\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        recipes.read_recipe(bad)
    with pytest.raises(RecipeError, match="does not exist"):
        recipes.read_recipe(tmp_path / "missing.yaml")


def test_method_optimizer_defaults_sit_under_the_recipe(fresh_plugins):
    from multissl.methods.two_view import SimCLR

    class SlowSimCLR(SimCLR):
        optimizer_defaults = {"lr": 3.66e-4, "warmup_fraction": 0.1}

    fresh_plugins.registry().add_method("slow_simclr", SlowSimCLR, modalities=["vectors"])
    recipe = recipes.resolve({**BASE, "method": "slow_simclr"}, fresh_plugins.registry())
    assert recipe.optimizer.lr == 3.66e-4 and recipe.optimizer.warmup_fraction == 0.1
    recipe = recipes.resolve({**BASE, "method": "slow_simclr", "optimizer": {"lr": 0.01}}, fresh_plugins.registry())
    assert recipe.optimizer.lr == 0.01 and recipe.optimizer.warmup_fraction == 0.1



def test_a_dotted_override_into_a_default_mapping_edits_that_default(monkeypatch):
    """``method.encoder_options.hidden_dims=...`` keeps the other encoder options the method's defaults give; a
    whole mapping still replaces them."""
    vectors = registry().get("modality", "vectors")
    byol = {**vectors.method_defaults["byol"], "encoder_options": {"hidden_dims": [64], "norm": "layer"}}
    monkeypatch.setitem(vectors.method_defaults, "byol", byol)
    raw = {**BASE, "method": "byol"}
    edited = recipes.resolve(recipes.apply_overrides(raw, ["method.encoder_options.hidden_dims=[32, 16]"]), registry())
    replaced = recipes.resolve(recipes.apply_overrides(raw, ["method.encoder_options={hidden_dims: [32, 16]}"]), registry())
    assert edited.method_options.encoder_options == {"hidden_dims": [32, 16], "norm": "layer"}
    assert replaced.method_options.encoder_options == {"hidden_dims": [32, 16]}
    assert byol["encoder_options"] == {"hidden_dims": [64], "norm": "layer"}, "the default must not be edited in place"
    keyword = recipes.flat_overrides(raw, {"method__encoder_options__hidden_dims": [8]}, registry())
    assert recipes.resolve(keyword, registry()).method_options.encoder_options == {"hidden_dims": [8], "norm": "layer"}
