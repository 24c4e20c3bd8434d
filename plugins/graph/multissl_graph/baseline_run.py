"""The baseline a graph evaluator trains in its own call: the run's recipe with other method options."""

from __future__ import annotations

from typing import Any


def train_variant(run: Any, source: Any, method: str, method_options: dict[str, Any], *, own_schedule: bool = False):
    """A new :class:`multissl.Run` trained on ``source`` with the run's recipe (data options, trainer, optimizer,
    loader, seed) but ``method`` with ``method_options``; no evaluation, nothing saved. With ``own_schedule`` the
    variant trains with its method's own optimizer and epochs (``optimizer_defaults``, ``trainer_defaults``)."""
    from multissl.api import run_recipe

    recipe = run.recipe.to_dict()
    recipe["data"]["source"] = source
    recipe["method"] = {"name": method, **method_options}
    if own_schedule:
        recipe["optimizer"] = {}
        for key in ("max_epochs", "max_steps", "max_time", "restore_best"):
            recipe["trainer"].pop(key, None)
    recipe.update(evaluate=None, output_dir=None, resume=None)
    return run_recipe(recipe)
