"""A scikit-learn transformer over multissl: ``SelfSupervisedEmbedder`` pretrains on ``fit`` and embeds on ``transform``.

    from multissl.sklearn import SelfSupervisedEmbedder
    pipeline = make_pipeline(SelfSupervisedEmbedder("vectors", "simclr", max_epochs=50), LogisticRegression())

Keyword overrides are what :func:`multissl.pretrain` takes (``max_epochs``, ``batch_size``, ``lr``, a method option,
``"trainer.devices"``); each is a constructor parameter that ``get_params``/``set_params`` read and write, so
``GridSearchCV`` can search over them. For the ``vectors`` modality, inputs are validated as scikit-learn does
(``n_features_in_``, ``feature_names_in_``); other modalities receive ``X`` as their ``load`` accepts it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from multissl.errors import InvalidDataError

BASE_PARAMS = ("modality", "method", "recipe", "seed")
SAVED_FILES = ("run.json", "recipe.yaml", "weights.safetensors", "preprocessing.json", "preprocessing.safetensors", "metrics.json")
"""The run-directory files a pickled embedder carries (checkpoints and logs stay behind)."""


class SelfSupervisedEmbedder(TransformerMixin, BaseEstimator):
    """Pretrain ``method`` on ``X`` of ``modality`` (``fit``), then map samples to ``(N, D)`` embeddings (``transform``).

    ``recipe``: a recipe (YAML path, shipped name or dict) giving the base; ``seed``: the training seed (fitting twice
    on the same data gives the same embeddings); ``**overrides``: keyword overrides of :func:`multissl.pretrain`.
    ``run_`` is the fitted :class:`multissl.Run` (``run_.save(path)`` keeps it)."""

    def __init__(self, modality: str = "vectors", method: str | None = None, *, recipe: Any = None, seed: int = 0,
                 **overrides: Any) -> None:
        self.modality = modality
        self.method = method
        self.recipe = recipe
        self.seed = seed
        self._override_names = sorted(overrides)
        for name, value in overrides.items():
            setattr(self, name, value)

    # -- parameters --------------------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters and every override (``{"max_epochs": 5, ...}``)."""
        return {**{name: getattr(self, name) for name in BASE_PARAMS},
                **{name: getattr(self, name) for name in self._override_names}}

    def set_params(self, **params: Any) -> SelfSupervisedEmbedder:
        """Set constructor parameters or overrides given at construction; another name is an error, as in scikit-learn."""
        for name, value in params.items():
            if name not in BASE_PARAMS and name not in self._override_names:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}: valid are "
                    f"{sorted([*BASE_PARAMS, *self._override_names])}. Pass a new override to the constructor."
                )
            setattr(self, name, value)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # embeddings are float32 whatever the input
        tags.non_deterministic = False
        tags.input_tags.two_d_array = self.modality == "vectors"
        return tags

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> SelfSupervisedEmbedder:  # noqa: N803 - scikit-learn's names
        """Pretrain on ``X`` (``y`` is ignored: the training is self-supervised)."""
        from multissl.api import _recipe_mapping, pretrain

        data = validate_data(self, X, dtype=[np.float32, np.float64]) if self.modality == "vectors" else X
        if self.modality == "vectors" and len(data) < 2:
            raise InvalidDataError(f"Self-supervised training needs at least 2 samples, got n_samples = {len(data)}.")
        overrides = {name: getattr(self, name) for name in self._override_names}
        base = {**_recipe_mapping(self.recipe), "seed": self.seed}
        self.run_ = pretrain(self.modality, data, self.method, recipe=base, **overrides)
        if self.modality == "vectors":  # other modalities learn the width on their first transform
            self.n_embedding_dims_ = self.run_.embed(data[:2]).shape[1]
        return self

    def transform(self, X: Any) -> np.ndarray:  # noqa: N803
        """``(N, D)`` float32 embeddings of ``X``, with the preprocessing fitted on the training data."""
        check_is_fitted(self, "run_")
        data = validate_data(self, X, dtype=[np.float32, np.float64], reset=False) if self.modality == "vectors" else X
        embeddings = self.run_.embed(data)
        self.n_embedding_dims_ = embeddings.shape[1]
        return embeddings

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``e0 .. e{D-1}``, the embedding columns (the names ``multissl embed`` writes)."""
        check_is_fitted(self, "n_embedding_dims_")
        return np.asarray([f"e{i}" for i in range(self.n_embedding_dims_)], dtype=object)

    # -- pickling: the run travels as its run-directory files ------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if "run_" in state:
            with tempfile.TemporaryDirectory(prefix="multissl-pickle-") as scratch:
                directory = Path(scratch) / "run"
                self.run_.save(directory)
                state["run_"] = {name: (directory / name).read_bytes() for name in SAVED_FILES if (directory / name).is_file()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        files = state.get("run_")
        if isinstance(files, dict):
            from multissl.api import load

            with tempfile.TemporaryDirectory(prefix="multissl-unpickle-") as scratch:
                for name, content in files.items():
                    (Path(scratch) / name).write_bytes(content)
                state["run_"] = load(scratch)
                state["run_"].path = state["run_"].work_dir = None
        self.__dict__.update(state)
