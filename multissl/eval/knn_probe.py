"""k-nearest-neighbour probe on frozen embeddings."""

from __future__ import annotations

from typing import Any

from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from multissl.errors import RecipeError
from multissl.eval.probe_data import check_probe_inputs, classification_metrics, regression_metrics


def knn_probe(
    train_x: Any,
    train_y: Any,
    test_x: Any,
    test_y: Any,
    *,
    k: int = 20,
    metric: str = "cosine",
    task: str = "auto",
    standardize: bool = False,
) -> dict[str, float]:
    """Majority vote (classification; ``accuracy``, ``macro_f1``) or mean (regression; ``rmse``, ``mae``,
    ``r2``) of the ``k`` training neighbours nearest under ``metric`` (Wu et al. 2018; DINO's kNN protocol).

    ``k`` is clipped to the training size. ``standardize`` scales features with training statistics first:
    off for embeddings (their geometry is what is judged), on for raw features in arbitrary units.
    """
    if int(k) != k or k < 1:
        raise RecipeError(f"knn_probe k must be a positive integer, got {k!r}.")
    data = check_probe_inputs(train_x, train_y, test_x, test_y, task)
    neighbours = min(int(k), len(data.train_x))
    if data.task == "classification":
        estimator = KNeighborsClassifier(n_neighbors=neighbours, metric=metric)
    else:
        estimator = KNeighborsRegressor(n_neighbors=neighbours, metric=metric)
    model = make_pipeline(StandardScaler(), estimator) if standardize else estimator
    predicted = model.fit(data.train_x, data.train_y).predict(data.test_x)
    if data.task == "classification":
        return classification_metrics(data.test_y, predicted)
    return regression_metrics(data.test_y, predicted)
