"""k-means pseudo-labels: one codebook fitted once on a sample of features, applied to every split alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from sklearn.cluster import MiniBatchKMeans

from multissl._validation import check_finite_array, check_finite_tensor
from multissl.errors import EmptyDataError, InvalidDataError, RecipeError

_SETTINGS = ("n_clusters", "batch_size", "n_init", "max_no_improvement", "max_iter", "fit_fraction", "min_fit_samples", "seed")


class KMeansTargets:
    """Discrete targets of HuBERT (Hsu et al. 2021; fairseq ``examples/hubert/simple_kmeans``).

    ``fit`` draws a seeded uniform sample of about ``fit_fraction`` of the feature rows (at least
    ``min_fit_samples``, default ``10 · n_clusters``, at most all rows) and fits
    ``MiniBatchKMeans(init="k-means++")`` on it. ``predict`` assigns each row its nearest centre,
    ``code = argmin_k ‖x − c_k‖²``, with the same codebook for every split (separate codebooks per split
    are a known failure, fairseq#5453). After ``fit``: ``inertia_``, the sum of squared distances of the
    fitted sample to its centres, and ``kmeans_``, the fitted scikit-learn model (None after
    ``load_state_dict``, which restores the centres only).
    """

    def __init__(
        self,
        n_clusters: int,
        batch_size: int = 10000,
        n_init: int = 20,
        max_no_improvement: int = 100,
        max_iter: int = 100,
        fit_fraction: float = 0.1,
        min_fit_samples: int | None = None,
        seed: int = 0,
    ):
        for name, value in (("n_clusters", n_clusters), ("batch_size", batch_size), ("n_init", n_init),
                            ("max_no_improvement", max_no_improvement), ("max_iter", max_iter)):
            if int(value) != value or value < 1:
                raise RecipeError(f"KMeansTargets {name} must be a positive integer, got {value!r}.")
        if not 0.0 < fit_fraction <= 1.0:
            raise RecipeError(f"KMeansTargets fit_fraction must lie in (0, 1], got {fit_fraction}.")
        if min_fit_samples is not None and (int(min_fit_samples) != min_fit_samples or min_fit_samples < 1):
            raise RecipeError(f"KMeansTargets min_fit_samples must be a positive integer or None, got {min_fit_samples!r}.")
        self.n_clusters = int(n_clusters)
        self.batch_size = int(batch_size)
        self.n_init = int(n_init)
        self.max_no_improvement = int(max_no_improvement)
        self.max_iter = int(max_iter)
        self.fit_fraction = float(fit_fraction)
        self.min_fit_samples = None if min_fit_samples is None else int(min_fit_samples)
        self.seed = int(seed)
        self._centers: torch.Tensor | None = None
        self._centers_on: dict[tuple[torch.device, torch.dtype], torch.Tensor] = {}
        self.inertia_: float | None = None
        self.kmeans_: MiniBatchKMeans | None = None

    def fit(self, features: Any) -> KMeansTargets:
        """Fit the codebook on a sample of ``features``: an (M, D) array or tensor, or an iterable of such chunks."""
        min_rows = max(self.n_clusters, self.min_fit_samples if self.min_fit_samples is not None else 10 * self.n_clusters)
        sample, total_rows = _sample_rows(features, self.fit_fraction, min_rows, np.random.default_rng(self.seed))
        if len(sample) < self.n_clusters:
            raise InvalidDataError(
                f"KMeansTargets got {total_rows} feature rows for {self.n_clusters} clusters; "
                "pass at least as many rows as clusters, or fewer clusters."
            )
        kmeans = MiniBatchKMeans(
            n_clusters=self.n_clusters,
            init="k-means++",
            batch_size=self.batch_size,
            n_init=self.n_init,
            max_no_improvement=self.max_no_improvement,
            max_iter=self.max_iter,
            random_state=self.seed,
        ).fit(sample)
        self._set_centers(torch.from_numpy(kmeans.cluster_centers_.astype(np.float32)))
        self.inertia_ = float(kmeans.inertia_)
        self.kmeans_ = kmeans
        return self

    def predict(self, features: np.ndarray | torch.Tensor, chunk_size: int = 16384) -> np.ndarray | torch.Tensor:
        """Codes (int64) of shape ``features.shape[:-1]``, as numpy or as a tensor on the features' device.

        ``argmin_k (‖c_k‖² − 2 x·c_k)`` in chunks of ``chunk_size`` rows (memory ``chunk_size × n_clusters``),
        in torch so that it runs on the training device; ``‖x‖²`` is the same for every k and is dropped,
        as scikit-learn does.
        """
        if self._centers is None:
            raise InvalidDataError("KMeansTargets.predict was called before fit; call fit(features) or load_state_dict(state) first.")
        if int(chunk_size) != chunk_size or chunk_size < 1:
            raise RecipeError(f"KMeansTargets.predict chunk_size must be a positive integer, got {chunk_size!r}.")
        is_numpy = not isinstance(features, torch.Tensor)
        if is_numpy:
            features = np.asarray(features)
            if not features.flags.writeable:  # torch.from_numpy warns on read-only arrays (pandas 3 returns them)
                features = features.copy()
            if features.size:
                check_finite_array(features, "KMeansTargets features")
            values = torch.from_numpy(features)
        else:
            values = features.detach()
            check_finite_tensor(values, "KMeansTargets features")
        dim = self._centers.shape[1]
        if values.dim() < 1 or values.shape[-1] != dim:
            raise InvalidDataError(
                f"KMeansTargets was fitted on {dim}-dimensional features, got shape {tuple(values.shape)}; "
                f"pass features of shape (..., {dim})."
            )
        dtype = torch.promote_types(values.dtype, torch.float32) if values.is_floating_point() else torch.float32
        rows = values.reshape(-1, dim).to(dtype)
        centers = self._centers_for(rows.device, dtype)
        squared_norms = (centers * centers).sum(1)
        codes = torch.empty(rows.shape[0], dtype=torch.int64, device=rows.device)
        for start in range(0, rows.shape[0], chunk_size):
            chunk = rows[start:start + chunk_size]
            codes[start:start + chunk_size] = torch.addmm(squared_norms, chunk, centers.T, alpha=-2.0).argmin(1)
        codes = codes.reshape(values.shape[:-1])
        return codes.numpy() if is_numpy else codes

    @property
    def cluster_centers(self) -> np.ndarray:
        """The (n_clusters, D) float32 codebook."""
        if self._centers is None:
            raise InvalidDataError("KMeansTargets has no cluster centres yet; call fit(features) first.")
        return self._centers.numpy().copy()

    def state_dict(self) -> dict[str, Any]:
        """Centres (a CPU tensor), inertia and the settings: what a saved run needs to reapply the codebook."""
        if self._centers is None:
            raise InvalidDataError("KMeansTargets has nothing to save before fit; call fit(features) first.")
        return {"cluster_centers": self._centers.clone(), "inertia": self.inertia_,
                **{name: getattr(self, name) for name in _SETTINGS}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the codebook and the settings (which replace this instance's) from :meth:`state_dict`."""
        missing = [name for name in ("cluster_centers", *_SETTINGS) if name not in state]
        if missing:
            raise InvalidDataError(f"KMeansTargets state lacks {missing}; pass the dict returned by state_dict().")
        centers = torch.as_tensor(state["cluster_centers"]).detach().to("cpu", torch.float32)
        if centers.dim() != 2 or centers.shape[0] != state["n_clusters"]:
            raise InvalidDataError(
                f"KMeansTargets state holds centres of shape {tuple(centers.shape)} for n_clusters={state['n_clusters']}."
            )
        self.__init__(**{name: state[name] for name in _SETTINGS})
        self._set_centers(centers)
        self.inertia_ = state.get("inertia")

    def _set_centers(self, centers: torch.Tensor) -> None:
        self._centers = centers.contiguous()
        self._centers_on = {}

    def _centers_for(self, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """The centres on ``device`` in ``dtype``, cached so training steps do not copy them each time."""
        key = (device, dtype)
        if key not in self._centers_on:
            self._centers_on[key] = self._centers.to(device=device, dtype=dtype)
        return self._centers_on[key]


def _sample_rows(features: Any, fraction: float, min_rows: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """A uniform random subset of the rows of ``features`` (one array or an iterable of chunks), and the row count.

    Each row gets a uniform key u. The subset is {u < fraction} (about ``fraction · M`` rows) when that holds
    at least ``min_rows`` rows, else the ``min(min_rows, M)`` rows with the smallest keys — a superset of
    {u < fraction}, so both cases are the same uniform draw. Written by hand because neither scikit-learn nor
    numpy samples from a stream: chunks are read once and memory stays near ``fraction · M + 2 · min_rows``
    rows, never the whole feature set (k-means memory is a known HuBERT pain point).
    """
    chunks = [features] if isinstance(features, np.ndarray | torch.Tensor) else features
    if not isinstance(chunks, Iterable):
        raise InvalidDataError(
            f"KMeansTargets.fit expects an (M, D) array or tensor or an iterable of them, got {type(features).__name__}."
        )
    sampled: list[np.ndarray] = []
    n_sampled = 0
    reserve_rows: list[np.ndarray] = []
    reserve_keys: list[np.ndarray] = []
    n_reserve = 0
    total_rows = 0
    dim = None
    for index, chunk in enumerate(chunks):
        values = _as_float32_rows(chunk, index)
        if dim is not None and values.shape[1] != dim:
            raise InvalidDataError(f"KMeansTargets feature chunk {index} has {values.shape[1]} columns, earlier chunks {dim}.")
        dim = values.shape[1]
        total_rows += len(values)
        keys = rng.random(len(values))
        chosen = keys < fraction
        sampled.append(values[chosen])
        n_sampled += int(chosen.sum())
        if n_sampled >= min_rows:
            reserve_rows, reserve_keys = [], []
            continue
        reserve_rows.append(values[~chosen])
        reserve_keys.append(keys[~chosen])
        n_reserve += len(reserve_keys[-1])
        if n_reserve > 2 * min_rows:
            reserve_rows, reserve_keys = _smallest_keys(reserve_rows, reserve_keys, min_rows)
            n_reserve = min_rows
    if total_rows == 0:
        raise EmptyDataError("KMeansTargets.fit got no feature rows; pass at least n_clusters rows.")
    if n_sampled < min_rows and reserve_rows:
        top_up, _ = _smallest_keys(reserve_rows, reserve_keys, min_rows - n_sampled)
        sampled.extend(top_up)
    return np.concatenate(sampled), total_rows


def _smallest_keys(rows: list[np.ndarray], keys: list[np.ndarray], count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The ``count`` rows with the smallest keys, as one-element lists."""
    all_rows, all_keys = np.concatenate(rows), np.concatenate(keys)
    if len(all_keys) > count:
        keep = np.argpartition(all_keys, count - 1)[:count]
        all_rows, all_keys = all_rows[keep], all_keys[keep]
    return [all_rows], [all_keys]


def _as_float32_rows(chunk: Any, index: int) -> np.ndarray:
    if isinstance(chunk, torch.Tensor):
        chunk = chunk.detach().to("cpu", torch.float32).numpy()
    values = np.asarray(chunk, dtype=np.float32)
    if values.ndim != 2:
        raise InvalidDataError(f"KMeansTargets feature chunk {index} has shape {values.shape}; pass (rows, D) arrays.")
    if values.size:
        check_finite_array(values, f"KMeansTargets feature chunk {index}")
    return values
