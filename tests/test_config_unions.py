"""Union-typed options keep the type they were given, so a resolved recipe resolves to the same options."""

import multissl.recipe as recipes
from multissl.api import registry
from multissl.config import check_type


def test_a_float_in_an_int_or_float_option_stays_a_float():
    assert type(check_type(1.0, int | float, "x")) is float
    assert type(check_type(1, int | float, "x")) is int
    assert type(check_type(2.0, int | None, "x")) is int


def test_a_resolved_recipe_resolves_to_the_same_trainer_options():
    recipe = recipes.resolve({"modality": "vectors", "data": {"source": "breast_cancer"}, "method": {"name": "simclr"}}, registry())
    again = recipes.resolve(recipe.to_dict(), registry())
    assert again.trainer == recipe.trainer
    assert type(again.trainer.limit_train_batches) is float  # 1.0 is every batch; the count 1 would be one batch
