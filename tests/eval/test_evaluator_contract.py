"""The evaluator contract: registered per modality, options validated before training, baselines, defaults."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import multissl
from multissl import recipe as recipes
from multissl.errors import RecipeError, UnknownComponentError
from multissl.eval.evaluator import Evaluator


@dataclasses.dataclass
class MeanOptions:
    scale: float = 1.0


class MeanNorm(Evaluator):
    """Mean embedding norm times ``scale``; baseline: the same on the raw features."""

    Options = MeanOptions

    def check(self, modality):
        if self.options.scale <= 0:
            raise RecipeError("scale must be positive")

    def __call__(self, run, source):
        raw = run.read(source)
        embeddings = run.embed_loaded(raw)
        baseline = run.modality.baseline_features(raw)
        return {
            "mean_norm": float(np.linalg.norm(embeddings, axis=1).mean() * self.options.scale),
            "baseline/mean_norm": float(np.linalg.norm(baseline, axis=1).mean() * self.options.scale),
            "baseline": "raw features",
        }


class MeanNormPlugin:
    @multissl.hookimpl
    def multissl_register(self, registry):
        registry.add_evaluator("mean_norm", MeanNorm, modalities=["vectors"])
        registry.add_evaluator("not_a_class", lambda run, source: {}, modalities=["vectors"])


QUICK = {"max_epochs": 1, "batch_size": 64, "enable_progress_bar": False}


def test_a_registered_evaluator_runs_from_the_recipe_with_its_baseline(fresh_plugins):
    fresh_plugins.host().add_plugin(MeanNormPlugin(), "mean")
    run = multissl.pretrain("vectors", "wine", evaluate={"evaluators": ["mean_norm"], "scale": 2.0}, **QUICK)
    report = run.metrics["evaluation"]
    assert set(report) == {"mean_norm", "baseline/mean_norm", "baseline"} and report["mean_norm"] > 0
    again = multissl.evaluate(run)  # the run's own settings by default
    assert again == report
    assert multissl.evaluate(run, scale=1.0)["mean_norm"] == pytest.approx(report["mean_norm"] / 2)


def test_evaluate_options_are_checked_before_any_data_is_read(fresh_plugins):
    fresh_plugins.host().add_plugin(MeanNormPlugin(), "mean")
    reg = fresh_plugins.registry()
    base = {"modality": "vectors", "method": "simclr", "data": {"source": "wine"}}
    with pytest.raises(RecipeError, match=r"Unknown key\(s\) \['scal'\].*Did you mean 'scale'"):
        recipes.resolve({**base, "evaluate": {"evaluators": ["mean_norm"], "scal": 2}}, reg)
    with pytest.raises(RecipeError, match="evaluate.*scale: 'big' is not|expected a number"):
        recipes.resolve({**base, "evaluate": {"evaluators": ["mean_norm"], "scale": "big"}}, reg)
    with pytest.raises(UnknownComponentError, match="Did you mean 'mean_norm'"):
        recipes.resolve({**base, "evaluate": {"evaluators": ["mean_nrm"]}}, reg)
    with pytest.raises(RecipeError, match="not a multissl.eval.evaluator.Evaluator subclass"):
        recipes.resolve({**base, "evaluate": {"evaluators": ["not_a_class"]}}, reg)
    with pytest.raises(RecipeError, match="test_fraction must lie strictly between 0 and 1"):
        multissl.pretrain(recipe={**base, "evaluate": {"test_fraction": 1.5}}, **QUICK)
    with pytest.raises(RecipeError, match="scale must be positive"):
        multissl.pretrain(recipe={**base, "evaluate": {"evaluators": ["mean_norm"], "scale": -1}}, **QUICK)


def test_an_evaluator_of_another_modality_is_refused(fresh_plugins):
    fresh_plugins.host().add_plugin(MeanNormPlugin(), "mean")
    reg = fresh_plugins.registry()
    reg.add_modality("other", "multissl.modalities.vectors:Vectors", default_method="simclr")
    reg.serve("simclr", "other")
    with pytest.raises(RecipeError, match="Evaluator 'mean_norm' works on vectors, not 'other'"):
        recipes.resolve({"modality": "other", "data": {"source": [[1.0]]}, "evaluate": {"evaluators": ["mean_norm"]}}, reg)


def test_the_modality_s_default_method_and_evaluators_are_used_when_none_is_named():
    run = multissl.pretrain("vectors", "breast_cancer", evaluate={}, **QUICK)
    assert run.recipe.method == "simclr"
    assert {"linear_probe/accuracy", "baseline/linear_probe/accuracy", "rankme"} <= set(run.metrics["evaluation"])
    assert run.metrics["evaluation"]["baseline"] == "raw features"


def test_a_modality_without_a_default_method_says_so(fresh_plugins):
    fresh_plugins.registry().add_modality("bare", "multissl.modalities.vectors:Vectors")
    with pytest.raises(RecipeError, match="names no default method"):
        recipes.resolve({"modality": "bare", "data": {"source": [[1.0]]}}, fresh_plugins.registry())
