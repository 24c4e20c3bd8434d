"""The public API: ``pretrain``, ``load``, ``evaluate``, ``register`` and the :class:`Run` they share."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from lightning.pytorch.callbacks import Callback

import multissl
from multissl import distributed
from multissl import recipe as recipes
from multissl.engine import trainer as engine
from multissl.engine.atomic import atomic_directory
from multissl.engine.run_directory import check_replaceable, read_run_directory, write_run_directory
from multissl.errors import InvalidDataError, RecipeError, RunDirectoryError
from multissl.plugins import plugin_reports, registry


def embed_loaded(modality, method, raw: Any, batch_size: int = 1024) -> np.ndarray:
    """(N, D) float32 embeddings of data ``modality`` already loaded, batched as in training, in input order."""
    loader = modality.dataloader(
        modality.dataset(raw), batch_size=batch_size, shuffle=False, drop_last=False, num_workers=0, seed=0
    )
    method.eval()
    device = next(method.parameters(), torch.empty(0)).device
    chunks = []
    with torch.inference_mode():
        for batch in loader:
            batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
            chunks.append(method.embed(batch).float().cpu())
    return torch.cat(chunks).numpy()


def embeddings_frame(embeddings: np.ndarray, ids: Any, modality_name: str = "") -> pd.DataFrame:
    """``embeddings`` as a DataFrame: columns ``e0..e{D-1}``, index ``ids`` (``0..N-1`` when ``None``) named ``id``."""
    if ids is None:
        index = pd.RangeIndex(len(embeddings), name="id")
    else:
        index = pd.Index(ids, name="id") if not isinstance(ids, pd.MultiIndex) else ids
        if len(index) != len(embeddings):
            raise InvalidDataError(
                f"The {modality_name or 'modality'}'s sample_ids gave {len(index)} ids for {len(embeddings)} embeddings. "
                "sample_ids must name every embedded sample in embed order: fix the modality (or its plugin)."
            )
        if not isinstance(index, pd.MultiIndex):
            index = index.rename("id")
    return pd.DataFrame(embeddings, index=index, columns=[f"e{i}" for i in range(embeddings.shape[1])])


class Run:
    """A trained method with the modality preprocessing it was trained with.

    ``embed`` reapplies that preprocessing to new data; ``save`` writes a run directory that
    :func:`load` turns back into a ``Run`` giving identical embeddings.
    """

    def __init__(self, recipe: recipes.Recipe, modality, method, metrics: dict[str, Any], work_dir: Path | None = None):
        self.recipe = recipe
        self.modality = modality
        self.method = method
        self.metrics = metrics
        self.work_dir = work_dir
        self.path: Path | None = None
        self._scratch: tempfile.TemporaryDirectory | None = None

    def embed(self, data: Any, *, batch_size: int = 1024, as_frame: bool = False) -> np.ndarray | pd.DataFrame:
        """(N, D) float32 embeddings of ``data`` (any source the modality loads, or a dataset name), in input order.

        ``as_frame=True``: a DataFrame with columns ``e0..e{D-1}`` indexed by the samples' ids (index name ``id``;
        what :meth:`Modality.sample_ids <multissl.modalities.base.Modality.sample_ids>` gives, else ``0..N-1``)."""
        raw = self.read(data)
        embeddings = self.embed_loaded(raw, batch_size=batch_size)
        return embeddings_frame(embeddings, self.modality.sample_ids(raw), self.recipe.modality) if as_frame else embeddings

    def read(self, source: Any, *, modality=None) -> Any:
        """``source`` (a dataset name, a path, an in-memory object) loaded by the run's modality, or by
        ``modality`` (a copy with other options, e.g. another label column)."""
        from multissl.datasets import materialise

        modality = modality or self.modality
        return modality.load(materialise(source, self.recipe.modality, registry(), self.recipe.data_root))

    def embed_loaded(self, raw: Any, *, modality=None, batch_size: int = 1024) -> np.ndarray:
        """(N, D) embeddings of data already loaded by :meth:`read`."""
        return embed_loaded(modality or self.modality, self.method, raw, batch_size)

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the run directory atomically; an existing run is replaced only with ``overwrite=True``.

        Overwrite replaces only a run directory (nothing but a run's files in it); anything else raises
        :class:`RunDirectoryError` and is left untouched."""
        path = Path(path)
        if path.is_dir() and any(path.iterdir()) and not overwrite:
            raise RunDirectoryError(f"{path} exists and is not empty. Pass overwrite=True to replace it, or pick another path.")
        check_replaceable(path)
        with atomic_directory(path) as staging:
            write_run_directory(
                staging,
                info=self._info(),
                recipe=self.recipe.to_dict(),
                module=self._saved_module(),
                preprocessing=self.modality.state_dict(),
                metrics=self.metrics,
                work_dir=self.work_dir,
            )
        self.path = path
        self.work_dir = path
        return path

    def _saved_module(self) -> torch.nn.Module:
        """The module whose weights ``save`` writes."""
        return self.method

    def _info(self) -> dict[str, Any]:
        return {
            "multissl_version": multissl.__version__,
            "torch_version": torch.__version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "modality": self.recipe.modality,
            "method": self.recipe.method,
            "input_spec": self.method.input_spec,
            "plugins": {r.name: r.version for r in plugin_reports() if r.error is None and not r.disabled},
        }

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path else ""
        return f"Run(modality={self.recipe.modality!r}, method={self.recipe.method!r}{where})"


def pretrain(
    modality: str | None = None,
    data: Any = None,
    method: str | None = None,
    *,
    recipe: str | Path | dict[str, Any] | None = None,
    callbacks: Callback | Iterable[Callback] | None = None,
    **overrides: Any,
) -> Run:
    """Pretrain ``method`` on ``data`` of ``modality`` and return the :class:`Run`.

    ``recipe`` (a YAML path or a dict) gives a base; ``modality``, ``data`` and ``method`` replace
    its entries; keyword ``overrides`` go to their section (``max_epochs`` -> trainer,
    ``batch_size`` -> loader, ``lr`` -> optimizer, a method option -> method; ``"trainer.devices"``
    addresses a section explicitly). The recipe is validated before any data is read.
    ``callbacks``: Lightning callbacks added to the trainer (to watch or stop training); they are
    not part of the recipe and are not saved with the run.
    Launched by ``torchrun`` or ``srun`` (each process runs this function), every process returns its trained run;
    only the first process (global rank 0) saves it and evaluates it.
    """
    raw = _recipe_mapping(recipe)
    if modality is not None:
        raw["modality"] = modality
    if data is not None:
        raw.setdefault("data", {})
        raw["data"] = {**(raw["data"] or {}), "source": data}
    if method is not None:
        block = raw.get("method")
        keep = block if isinstance(block, dict) and block.get("name") == method else {}
        raw["method"] = {**keep, "name": method}
    raw = recipes.flat_overrides(raw, overrides, registry())
    return run_recipe(raw, callbacks=callbacks)


def run_recipe(raw: dict[str, Any], *, callbacks: Callback | Iterable[Callback] | None = None) -> Run:
    """Validate a recipe mapping, load the data, train (with extra Lightning ``callbacks``), and save the run
    when ``output_dir`` is set."""
    from multissl.datasets import materialise

    reg = registry()
    recipe = recipes.resolve(raw, reg)
    callbacks = engine.check_callbacks(callbacks)
    modality = reg.get("modality", recipe.modality)(recipe.data)
    method_cls = reg.get("method", recipe.method)
    evaluators = [] if recipe.evaluate is None else recipe.evaluate.build(reg)
    for _, evaluator in evaluators:
        evaluator.check(modality)
    output_dir = Path(recipe.output_dir) if recipe.output_dir else None
    if output_dir is not None:
        engine.check_output_dir(output_dir, recipe.resume)
    loaded = modality.load(materialise(recipe.source, recipe.modality, reg, recipe.data_root))
    # without output_dir, checkpoints and logs live in a scratch directory removed with the Run
    scratch = None if output_dir else tempfile.TemporaryDirectory(prefix="multissl-run-")
    work_dir = output_dir or Path(scratch.name)
    trained, metrics = engine.fit(recipe, method_cls, modality, loaded, work_dir, callbacks)
    run = Run(recipe, modality, trained, {"train": metrics}, work_dir=work_dir)
    run._scratch = scratch
    if not distributed.is_main_process():
        return run  # under torchrun / srun every process gets here: the first one saves and evaluates
    if output_dir is not None:
        run.save(output_dir, overwrite=True)  # the trained run is kept even when evaluation fails
    if recipe.evaluate is not None:
        source = recipe.evaluate.data if recipe.evaluate.data is not None else recipe.source
        run.metrics["evaluation"] = run_evaluators(run, evaluators, source)
    if output_dir is not None and recipe.evaluate is not None:
        run.save(output_dir, overwrite=True)  # again, with the evaluation's metrics
    return run


def load(path: str | Path) -> Run:
    """The :class:`Run` saved in ``path``; it embeds exactly as the original did."""
    files = read_run_directory(path)
    reg = registry()
    try:
        recipe = recipes.resolve(files.recipe, reg)
    except RecipeError as exc:
        raise RunDirectoryError(
            f"The recipe saved in {files.path / 'recipe.yaml'} (written by multissl {files.info.get('multissl_version')}) "
            f"does not validate with this multissl {multissl.__version__}: {exc} A newer multissl or a plugin option "
            "this installation lacks wrote it: upgrade multissl and the plugins, or load it where it was saved."
        ) from exc
    modality = reg.get("modality", recipe.modality)(recipe.data)
    try:
        modality.load_state_dict(files.preprocessing)
    except Exception as exc:  # noqa: BLE001 - each modality reads its own state; the user needs the file name
        raise RunDirectoryError(
            f"{files.path / 'preprocessing.json'} does not hold the {recipe.modality!r} preprocessing state "
            f"({type(exc).__name__}: {exc}). Restore the run directory from a copy, or retrain."
        ) from exc
    method = reg.get("method", recipe.method)(recipe.method_options, files.info["input_spec"], recipe.optimizer, recipe.seed)
    if "finetune" in files.info:
        from multissl.finetuning.run import load_finetuned

        return load_finetuned(files, recipe, modality, method)
    files.load_weights(method)
    run = Run(recipe, modality, method.eval(), files.metrics, work_dir=files.path)
    run.path = files.path
    return run


def evaluate(
    run: Run,
    data: Any = None,
    labels: Any = None,
    *,
    evaluators: str | list[str] | tuple[str, ...] | None = None,
    seed: int | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Evaluate ``run`` with its field's evaluators; every metric comes with its baseline from the same call.

    Defaults are the run's own ``evaluate:`` settings (its recipe), else the evaluators its modality names
    (``multissl evaluate`` reads the same). ``data``: what to evaluate on (default: the run's evaluation data,
    else its training data). ``labels`` and ``options`` (``test_fraction``, ``k``, ...) go to the evaluators that
    read them. Returns a flat dict: ``<evaluator>/<metric>``, ``baseline/<evaluator>/<metric>``, ``baseline``.
    """
    reg = registry()
    saved = run.recipe.evaluate
    names = [evaluators] if isinstance(evaluators, str) else list(evaluators or (saved.names() if saved else []))
    names = names or reg.default_evaluators(run.recipe.modality)
    block: dict[str, Any] = {"evaluators": names}
    if saved is not None:
        own = {k: v for k, v in saved.to_dict().items() if k not in recipes.EVALUATE_KEYS}
        readable = recipes.resolve_evaluate({"evaluators": names}, run.recipe.modality, reg)
        fields = {f.name for _, opts in readable.evaluators for f in dataclasses.fields(opts)}
        block.update({k: v for k, v in own.items() if k in fields})
    if labels is not None:
        block["labels"] = labels
    block.update(options)
    block["seed"] = seed if seed is not None else (saved.seed if saved is not None else 0)
    plan = recipes.resolve_evaluate(block, run.recipe.modality, reg)
    built = plan.build(reg)
    for _, evaluator in built:
        evaluator.check(run.modality)
    if data is None:
        data = saved.data if saved is not None and saved.data is not None else run.recipe.source
    return run_evaluators(run, built, data)


def run_evaluators(run: Run, evaluators: list[tuple[str, Any]], source: Any) -> dict[str, Any]:
    """One report from several evaluators; two evaluators writing the same metric key is an error."""
    report: dict[str, Any] = {}
    for name, evaluator in evaluators:
        for key, value in evaluator(run, source).items():
            if key in report and report[key] != value:
                raise RecipeError(f"Evaluators disagree on {key!r} ({name} wrote {value!r}, another {report[key]!r}).")
            report[key] = value
    return report


def register(obj: Any, *, name: str | None = None) -> Any:
    """Register at runtime a modality class, or a plugin (module or object with hook implementations).

    A :class:`~multissl.modalities.base.Modality` subclass is added under its ``name``; anything
    else is treated as a plugin and its ``multissl_register`` hook runs now. Returns ``obj``.
    """
    from multissl.modalities.base import Modality
    from multissl.plugins import host

    if isinstance(obj, type) and issubclass(obj, Modality):
        registry().add_modality(name or obj.name, obj, summary=(obj.__doc__ or "").strip().split("\n")[0])
        return obj
    plugin_name = name or getattr(obj, "__name__", None) or type(obj).__name__
    report = host().add_plugin(obj, plugin_name)
    if report.error is not None:
        raise RecipeError(f"Registering {plugin_name!r} failed: {report.error}")
    return obj


def _recipe_mapping(recipe: str | Path | dict[str, Any] | None) -> dict[str, Any]:
    if recipe is None:
        return {}
    if isinstance(recipe, dict):
        return copy.deepcopy(recipe)
    return recipes.read_recipe(resolve_recipe_path(recipe))


def resolve_recipe_path(name_or_path: str | Path) -> Path:
    """A recipe file path, or the recipe a plugin ships under that file stem (``multissl recipes``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    from multissl.plugins import host

    shipped = {p.stem: p for d in host().recipe_dirs() for p in sorted(Path(d).glob("*.yaml"))}
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    from multissl.errors import did_you_mean

    raise RecipeError(
        f"No recipe file {str(name_or_path)!r} and no shipped recipe of that name.{did_you_mean(str(name_or_path), shipped)} "
        f"Shipped recipes: {', '.join(sorted(shipped)) or 'none'}."
    )
