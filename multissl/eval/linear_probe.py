"""Linear probe: a regularised linear model on frozen embeddings."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, RidgeCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from multissl.eval.probe_data import check_probe_inputs, classification_metrics, regression_metrics

INVERSE_REGULARISATIONS = np.logspace(-3, 3, 7)
"""Candidate C of the logistic regression, chosen by cross-validation on the training split."""
RIDGE_ALPHAS = np.logspace(-3, 3, 13)
"""Candidate α of the ridge regression, chosen by efficient leave-one-out on the training split."""


def linear_probe(
    train_x: Any, train_y: Any, test_x: Any, test_y: Any, *, task: str = "auto", seed: int = 0
) -> dict[str, float]:
    """Fit on the training split, score on the test split (the standard SSL linear evaluation).

    Classification: standardised features, L2 logistic regression (lbfgs) with C picked by stratified
    k-fold cross-validation of the log-loss on the training split only (C = 1 when a class has a single
    training sample, which no fold split can hold out); returns ``accuracy``, ``macro_f1``.
    Regression: standardised features, ridge with α picked by leave-one-out; returns ``rmse``, ``mae``, ``r2``.
    ``task`` is ``"auto"`` (inferred from the training labels), ``"classification"`` or ``"regression"``.
    """
    data = check_probe_inputs(train_x, train_y, test_x, test_y, task)
    if data.task == "regression":
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS)).fit(data.train_x, data.train_y)
        return regression_metrics(data.test_y, model.predict(data.test_x))
    _, class_counts = np.unique(data.train_y, return_counts=True)
    model = make_pipeline(StandardScaler(), _classifier(int(class_counts.min()), seed)).fit(data.train_x, data.train_y)
    return classification_metrics(data.test_y, model.predict(data.test_x))


def _classifier(smallest_class: int, seed: int) -> LogisticRegression | LogisticRegressionCV:
    if smallest_class < 2:
        return LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000)
    folds = StratifiedKFold(n_splits=min(smallest_class, 5), shuffle=True, random_state=seed)
    return LogisticRegressionCV(
        Cs=INVERSE_REGULARISATIONS,
        cv=folds,
        l1_ratios=(0.0,),
        scoring="neg_log_loss",
        solver="lbfgs",
        max_iter=1000,
        use_legacy_attributes=False,
    )
