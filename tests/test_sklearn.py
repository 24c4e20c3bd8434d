"""The scikit-learn interface: parameters, Pipeline, GridSearchCV, pickling and scikit-learn's own estimator checks."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import check_estimator

from multissl.sklearn import SelfSupervisedEmbedder

TINY = {"max_epochs": 1, "batch_size": 32, "enable_progress_bar": False,
        "method.encoder_options": {"hidden_dims": [16], "output_dim": 8}, "method.projector_dims": [8]}


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    return x[:300], y[:300]


def test_overrides_are_parameters_that_clone_and_set_params_keep():
    embedder = SelfSupervisedEmbedder("vectors", "simclr", lr=1e-3, **TINY)
    params = embedder.get_params()
    assert params["lr"] == 1e-3 and params["method.projector_dims"] == [8] and params["modality"] == "vectors"
    assert clone(embedder).set_params(max_epochs=3).get_params()["max_epochs"] == 3
    with pytest.raises(ValueError, match="Invalid parameter 'epochs'"):
        embedder.set_params(epochs=3)


def test_pipeline_embeds_then_classifies_and_pickles(digits):
    x, y = digits
    pipeline = make_pipeline(SelfSupervisedEmbedder("vectors", "simclr", **TINY), LogisticRegression(max_iter=500))
    pipeline.fit(x, y)
    embedded = pipeline[0].transform(x)
    assert embedded.shape == (300, 8) and embedded.dtype == np.float32
    np.testing.assert_array_equal(pipeline[0].fit_transform(x), embedded)  # same seed, same embeddings
    assert list(pipeline[0].get_feature_names_out()) == [f"e{i}" for i in range(8)]
    assert pipeline.score(x, y) > 0.5
    restored = pickle.loads(pickle.dumps(pipeline))
    np.testing.assert_array_equal(restored[0].transform(x), embedded)


def test_grid_search_tries_each_override(digits):
    x, y = digits
    pipeline = make_pipeline(SelfSupervisedEmbedder("vectors", "simclr", lr=1e-3, **TINY), LogisticRegression(max_iter=300))
    search = GridSearchCV(pipeline, {"selfsupervisedembedder__lr": [1e-3, 1e-2]}, cv=2).fit(x, y)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_estimator_[0].get_params()["lr"] in (1e-3, 1e-2)


def test_scikit_learn_estimator_checks_pass_for_vectors():
    embedder = SelfSupervisedEmbedder("vectors", "simclr", max_epochs=1, batch_size=16, enable_progress_bar=False,
                                      **{"method.encoder_options": {"hidden_dims": [8], "output_dim": 4}, "method.projector_dims": [4]})
    check_estimator(embedder, expected_failed_checks={
        "check_no_attributes_set_in_init": "multissl.pretrain's keyword overrides are parameters passed as **overrides, "
                                           "so they are set in __init__ without appearing in its signature",
    })
