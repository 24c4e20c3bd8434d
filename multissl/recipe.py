"""Recipes: the whole description of a pretraining run, in YAML or a dict, validated before training.

    modality: vectors
    data: {source: breast_cancer, label_column: target}   # plus the modality's options
    method: {name: simclr, temperature: 0.2}               # plus the method's options
    trainer: {max_epochs: 100}
    loader: {batch_size: 128}
    optimizer: {lr: 1.0e-3}
    evaluate: {labels: target}                             # optional: probe after pretraining
    seed: 0
    output_dir: runs/breast_cancer

Every key is checked against the dataclasses below, the modality's ``Options`` and the method's
``Config``; an unknown or mistyped key is named with the allowed ones and nothing runs.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import Any, Literal

import yaml

from multissl.config import build_options, options_as_dict
from multissl.errors import MultisslError, RecipeError, did_you_mean
from multissl.method_options import option_default

TOP_LEVEL_KEYS = ("modality", "data", "method", "trainer", "loader", "optimizer", "evaluate", "seed", "output_dir", "resume")


@dataclasses.dataclass
class TrainerOptions:
    """Passed through to ``lightning.Trainer``; see its documentation for each."""

    max_epochs: int = 100
    max_steps: int = -1
    max_time: str | None = None
    """Stop after this much training time, ``"DD:HH:MM:SS"`` (e.g. equal-time comparisons of methods)."""
    accelerator: str = "auto"
    devices: int | str | list[int] = "auto"
    strategy: str = "auto"
    num_nodes: int = 1
    precision: str | int = "32-true"
    gradient_clip_val: float | None = None
    accumulate_grad_batches: int = 1
    log_every_n_steps: int = 10
    enable_progress_bar: bool = True
    deterministic: bool | str = False
    limit_train_batches: int | float = 1.0
    check_val_every_n_epoch: int = 1
    loggers: list[Literal["csv", "tensorboard", "wandb", "mlflow"]] = dataclasses.field(default_factory=lambda: ["csv"])
    """Experiment loggers (:mod:`multissl.engine.loggers`); every one but ``csv`` is an optional extra."""
    restore_best: bool = False
    """After training, give back the weights of the best checkpoint (on the method's monitored validation
    metric) instead of the last epoch's; only with a validation set."""
    select_by: Literal["last", "rankme"] = "last"
    """Which epoch's weights the run keeps: the last, or the one whose embeddings had the highest RankMe on the
    collapse monitor's fixed sample (label-free model selection; :mod:`multissl.engine.model_selection`)."""
    sync_batchnorm: bool = True
    """With several processes, normalise BatchNorm layers over the global batch (as one process would)."""
    checkpoint_every_minutes: float | None = 30.0
    """Also checkpoint inside an epoch after this much training time (``null``: only at epoch ends)."""
    checkpoint_every_n_steps: int | None = None
    """Checkpoint inside an epoch every this many optimisation steps instead of by time."""
    checkpoints_kept: int = 2
    """How many of the newest mid-epoch checkpoints stay (``checkpoints/step=N.ckpt``); ``last.ckpt`` is always the newest."""


@dataclasses.dataclass
class LoaderOptions:
    """How batches are drawn. ``val_fraction`` holds out rows for a validation loss ("best" checkpoint)."""

    batch_size: int = 256
    num_workers: int = 0
    drop_last: bool = True
    val_fraction: float = 0.0


@dataclasses.dataclass
class OptimizerOptions:
    """AdamW (or Adam) with linear warm-up then ``schedule`` decay, stepped every optimisation step."""

    name: Literal["adamw", "adam"] = "adamw"
    """``adamw``: weight decay decoupled from the gradient, ``w ← w − lr·λ·w`` (Loshchilov & Hutter 2019); ``adam``:
    the decay added to the gradient as an L2 penalty, ``g ← g + λ·w``, then scaled by Adam like the rest, as
    ``torch.optim.Adam(weight_decay=λ)`` in the reference code of DGI, GRACE, CCA-SSG and GraphMAE."""
    lr: float = 1e-3
    weight_decay: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    """Adam's ε in ``m / (√v + ε)`` (fairseq's HuBERT uses 1e-6)."""
    warmup_fraction: float = 0.05
    schedule: Literal["cosine", "linear", "constant"] = "cosine"
    min_lr_ratio: float = 0.0


EVALUATE_KEYS = ("evaluators", "data", "seed")
"""Keys of the ``evaluate:`` block every evaluation reads; the other keys belong to the named evaluators."""


@dataclasses.dataclass
class EvaluatePlan:
    """A validated ``evaluate:`` block: the evaluators to run (each with its options), the data, the seed.

    ``evaluators`` defaults to those the modality names (``registry.add_modality(..., evaluators=...)``);
    ``data`` to the training data. Every other key goes to each named evaluator whose ``Options`` has it.
    """

    evaluators: list[tuple[str, Any]]
    data: Any = None
    seed: int = 0

    def names(self) -> list[str]:
        return [name for name, _ in self.evaluators]

    def build(self, registry) -> list[tuple[str, Any]]:
        """``(name, evaluator instance)`` pairs."""
        return [(name, registry.get("evaluator", name)(options, seed=self.seed)) for name, options in self.evaluators]

    def to_dict(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for _, options in self.evaluators:
            merged.update({k: v for k, v in options_as_dict(options).items() if not _is_array(v)})
        return {"evaluators": self.names(), "data": describe_source(self.data), "seed": self.seed, **merged}


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and not isinstance(value, str)


def resolve_evaluate(block: Any, modality: str, registry) -> EvaluatePlan:
    """Validate an ``evaluate:`` block for ``modality``: evaluator names, which evaluator reads each key, types."""
    from multissl.eval.evaluator import Evaluator

    if block is True:
        block = {}
    if not isinstance(block, dict):
        raise RecipeError(f"evaluate must be a mapping of options (or omitted), got {block!r}.")
    block = dict(block)
    names = block.pop("evaluators", None) or registry.default_evaluators(modality)
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise RecipeError(f"evaluate.evaluators must be a list of evaluator names, got {names!r}.")
    data = block.pop("data", None)
    seed = block.pop("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise RecipeError(f"evaluate.seed must be an integer, got {seed!r}.")
    option_fields: dict[str, set[str]] = {}
    classes = {}
    for name in names:
        entry = registry.entry("evaluator", name)
        if entry.modalities and modality not in entry.modalities:
            usable = [c.name for c in registry.entries("evaluator") if not c.modalities or modality in c.modalities]
            raise RecipeError(
                f"Evaluator {name!r} works on {', '.join(entry.modalities)}, not {modality!r}. "
                f"Evaluators for {modality!r}: {', '.join(usable)}."
            )
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Evaluator)):
            raise RecipeError(
                f"Evaluator {name!r} ({entry.plugin or 'runtime'}) is not a multissl.eval.evaluator.Evaluator subclass; "
                "register an Evaluator class."
            )
        classes[name] = cls
        option_fields[name] = {f.name for f in dataclasses.fields(cls.Options) if f.init}
    known = set().union(*option_fields.values()) if option_fields else set()
    unknown = [k for k in block if k not in known]
    if unknown:
        allowed = sorted(known | set(EVALUATE_KEYS))
        hints = "".join(did_you_mean(k, allowed) for k in unknown)
        raise RecipeError(
            f"Unknown key(s) {unknown} in evaluate (evaluators {', '.join(names)}).{hints} Allowed keys: {', '.join(allowed)}."
        )
    evaluators = [
        (
            name,
            build_options(
                classes[name].Options,
                {k: v for k, v in block.items() if k in option_fields[name]},
                f"evaluate (options of evaluator {name!r})",
            ),
        )
        for name in names
    ]
    return EvaluatePlan(evaluators, data, seed)


@dataclasses.dataclass
class Recipe:
    """A validated recipe: each block is an options dataclass; ``source`` is the data as given."""

    modality: str
    source: Any
    data: Any
    method: str
    method_options: Any
    trainer: TrainerOptions
    loader: LoaderOptions
    optimizer: OptimizerOptions
    evaluate: EvaluatePlan | None
    seed: int = 0
    output_dir: str | None = None
    resume: str | None = None
    data_root: str | None = None
    """Folder that registered dataset names are read under (``data.root``; else ``$MULTISSL_DATA``)."""

    def to_dict(self) -> dict[str, Any]:
        """The resolved recipe (every default filled in), as written to ``recipe.yaml``."""
        return {
            "modality": self.modality,
            "data": {"source": describe_source(self.source), **({"root": self.data_root} if self.data_root else {}),
                     **options_as_dict(self.data)},
            "method": {"name": self.method, **options_as_dict(self.method_options)},
            "trainer": options_as_dict(self.trainer),
            "loader": options_as_dict(self.loader),
            "optimizer": options_as_dict(self.optimizer),
            "evaluate": None if self.evaluate is None else self.evaluate.to_dict(),
            "seed": self.seed,
            "output_dir": self.output_dir,
            "resume": self.resume,
        }


def describe_source(source: Any) -> Any:
    """A recipe-friendly description of a data source: paths and names as they are, objects summarised."""
    if source is None or isinstance(source, str | int | float | bool):
        return source
    if isinstance(source, Path):
        return str(source)
    shape = getattr(source, "shape", None)
    return f"<in-memory {type(source).__name__}{'' if shape is None else ' ' + 'x'.join(map(str, shape))}>"


def read_recipe(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML recipe file."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"Recipe file {str(path)!r} does not exist.")
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise RecipeError(f"Recipe {path} is not valid YAML: {exc}") from exc
    if not isinstance(loaded, dict):
        raise RecipeError(f"Recipe {path} must be a mapping at the top level, got {type(loaded).__name__}.")
    return loaded


_EXPONENT_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def parse_assignment(assignment: str) -> tuple[str, Any]:
    """``"section.key=value"`` -> ``(key, value)``, the value parsed as YAML (``2``, ``true``, ``[1, 2]``); a number
    in exponent form without a dot (``1e-4``, which YAML 1.1 leaves a string) is a float."""
    key, sep, text = assignment.partition("=")
    if not sep or not key:
        raise RecipeError(f"Override {assignment!r} must look like section.key=value, e.g. trainer.max_epochs=5.")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RecipeError(f"Override {assignment!r}: the value is not valid YAML ({exc}).") from exc
    if isinstance(value, str) and _EXPONENT_NUMBER.fullmatch(value.strip()):
        value = float(value)
    return key, value


def apply_overrides(raw: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    """``raw`` with ``section.key=value`` assignments applied (values parsed as YAML: 2, true, [1, 2]).

    A path into a mapping option the recipe leaves at its default edits that default:
    ``method.encoder_options.hidden_dims=[256, 128]`` keeps the method's other encoder options (its BatchNorm, its
    activation) instead of replacing them all. ``method.encoder_options={...}`` still replaces the whole option.
    """
    raw = copy.deepcopy(raw)
    for assignment in assignments:
        key, value = parse_assignment(assignment)
        assign(raw, key, value, f"Override {assignment!r}")
    return raw


def assign(raw: dict[str, Any], key: str, value: Any, where: str) -> None:
    """Set the dotted ``key`` of ``raw`` in place, as :func:`apply_overrides` does; ``where`` names it in errors."""
    *parents, leaf = key.split(".")
    node = raw
    for depth, part in enumerate(parents):
        if depth == 1 and parents[0] == "method" and part not in node:
            default = method_option_default(raw, part)
            if isinstance(default, dict):
                node[part] = copy.deepcopy(default)
        child = node.setdefault(part, {})
        if isinstance(child, str) and part == "method":
            child = node[part] = {"name": child}
        if not isinstance(child, dict):
            raise RecipeError(f"{where}: {part!r} is not a section.")
        node = child
    node[leaf] = value


def method_option_default(raw: dict[str, Any], option: str) -> Any:
    """What ``raw`` resolves ``method.option`` to when its method block does not set it: the modality's
    ``method_defaults`` for the method, else the method's ``Config`` default. ``None`` where the recipe names an
    unknown modality or method (:func:`resolve` reports those)."""
    from multissl.plugins import registry

    block = raw.get("method")
    method_name = block if isinstance(block, str) else (block or {}).get("name")
    modality_name = raw.get("modality")
    if not isinstance(modality_name, str):
        return None
    try:
        modality_cls = registry().get("modality", modality_name)
        method_name = method_name or registry().default_method(modality_name)
        if not isinstance(method_name, str):
            return None
        config = registry().get("method", method_name).Config
    except MultisslError:
        return None
    return option_default(config, modality_cls.method_defaults.get(method_name, {}), option)


def resolve(raw: dict[str, Any], registry) -> Recipe:
    """Validate ``raw`` against every schema it touches; raise :class:`RecipeError` before any work."""
    if not isinstance(raw, dict):
        raise RecipeError(f"A recipe is a mapping, got {type(raw).__name__}.")
    unknown = [k for k in raw if k not in TOP_LEVEL_KEYS]
    if unknown:
        hints = "".join(did_you_mean(k, TOP_LEVEL_KEYS) for k in unknown)
        raise RecipeError(f"Unknown recipe key(s) {unknown}.{hints} Allowed keys: {', '.join(TOP_LEVEL_KEYS)}.")
    modality_name = raw.get("modality")
    if not isinstance(modality_name, str):
        raise RecipeError("The recipe needs `modality:` naming a registered modality, e.g. `modality: vectors`.")
    modality_cls = registry.get("modality", modality_name)

    data = dict(raw.get("data") or {})
    if "source" not in data:
        raise RecipeError("The recipe needs `data: {source: ...}`: a path, a dataset name, or an in-memory object.")
    source = data.pop("source")
    data_root = data.pop("root", None)
    if data_root is not None and not isinstance(data_root, str | Path):
        raise RecipeError(f"data.root must be a folder path, got {data_root!r}.")
    from multissl.datasets import check_dataset_modality, dataset_options

    check_dataset_modality(source, modality_name, registry)
    data = {**dataset_options(source, registry), **data}
    data_options = build_options(modality_cls.Options, data, f"data (options of modality {modality_name!r})")

    method_block = raw.get("method")
    if isinstance(method_block, str):
        method_block = {"name": method_block}
    if method_block is None or (isinstance(method_block, dict) and "name" not in method_block):
        default = registry.default_method(modality_name)
        if default is None:
            raise RecipeError(
                f"Modality {modality_name!r} names no default method; the recipe needs `method: {{name: ...}}` "
                f"(see `multissl methods --modality {modality_name}`)."
            )
        method_block = {**(method_block or {}), "name": default}
    if not isinstance(method_block, dict):
        raise RecipeError("The recipe needs `method: {name: ...}` naming a method registered for the modality.")
    method_block = dict(method_block)
    method_name = method_block.pop("name")
    entry = registry.entry("method", method_name)
    if modality_name not in entry.modalities:
        allowed = ", ".join(c.name for c in registry.methods_for(modality_name)) or "none"
        raise RecipeError(
            f"Method {method_name!r} does not work on modality {modality_name!r} (it serves "
            f"{', '.join(entry.modalities) or 'no modality'}). Methods for {modality_name!r}: {allowed}."
        )
    method_block = {**modality_cls.method_defaults.get(method_name, {}), **method_block}
    method_options = build_options(entry.load().Config, method_block, f"method (options of {method_name!r})")

    evaluate_block = raw.get("evaluate")
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise RecipeError(f"seed must be an integer, got {seed!r}.")
    for key in ("output_dir", "resume"):
        if raw.get(key) is not None and not isinstance(raw[key], str | Path):
            raise RecipeError(f"{key} must be a path, got {raw[key]!r}.")
    recipe = Recipe(
        modality=modality_name,
        source=source,
        data=data_options,
        method=method_name,
        method_options=method_options,
        trainer=build_options(TrainerOptions, {**entry.load().trainer_defaults, **(raw.get("trainer") or {})}, "trainer"),
        loader=build_options(LoaderOptions, raw.get("loader"), "loader"),
        optimizer=build_options(
            OptimizerOptions, {**entry.load().optimizer_defaults, **(raw.get("optimizer") or {})}, "optimizer"
        ),
        evaluate=None if evaluate_block is None else resolve_evaluate(evaluate_block, modality_name, registry),
        seed=seed,
        output_dir=None if raw.get("output_dir") is None else str(raw["output_dir"]),
        resume=None if raw.get("resume") is None else str(raw["resume"]),
        data_root=None if data_root is None else str(data_root),
    )
    if recipe.loader.batch_size < 1:
        raise RecipeError(f"loader.batch_size must be at least 1, got {recipe.loader.batch_size}.")
    if not 0.0 <= recipe.loader.val_fraction < 1.0:
        raise RecipeError(f"loader.val_fraction must be in [0, 1), got {recipe.loader.val_fraction}.")
    _check_optimizer(recipe.optimizer)
    _check_trainer(recipe.trainer)
    return recipe


def _check_optimizer(options: OptimizerOptions) -> None:
    """Values AdamW and the schedule accept: lr, ε > 0; weight decay >= 0; each β and fraction in [0, 1)."""
    if not (options.lr > 0 and options.eps > 0 and options.weight_decay >= 0):
        raise RecipeError(
            f"optimizer.lr and optimizer.eps must be positive and optimizer.weight_decay non-negative, "
            f"got lr={options.lr}, eps={options.eps}, weight_decay={options.weight_decay}."
        )
    betas = tuple(options.betas)
    if len(betas) != 2 or not all(0.0 <= beta < 1.0 for beta in betas):
        raise RecipeError(f"optimizer.betas must be two numbers in [0, 1), e.g. [0.9, 0.999], got {options.betas!r}.")
    if not (0.0 <= options.warmup_fraction < 1.0 and 0.0 <= options.min_lr_ratio <= 1.0):
        raise RecipeError(
            f"optimizer.warmup_fraction must be in [0, 1) and optimizer.min_lr_ratio in [0, 1], "
            f"got {options.warmup_fraction} and {options.min_lr_ratio}."
        )


PRECISIONS = ("64-true", "32-true", "16-true", "bf16-true", "16-mixed", "bf16-mixed", "64", "32", "16", "bf16", 64, 32, 16)
_MAX_TIME = re.compile(r"\d+:\d{1,2}:\d{1,2}:\d{1,2}")


def _check_trainer(options: TrainerOptions) -> None:
    """Values ``lightning.Trainer`` accepts, checked before any data is read (Lightning fails late and obscurely)."""
    problems = []
    if options.max_epochs == -1:
        if options.max_steps < 1 and options.max_time is None:
            problems.append("max_epochs=-1 (no epoch limit) needs max_steps or max_time to stop training")
    elif options.max_epochs < 1:
        problems.append(f"max_epochs must be at least 1 (or -1 with max_steps/max_time), got {options.max_epochs}")
    if options.max_steps != -1 and options.max_steps < 1:
        problems.append(f"max_steps must be at least 1, or -1 for no step limit, got {options.max_steps}")
    if isinstance(options.limit_train_batches, float) and not 0.0 < options.limit_train_batches <= 1.0:
        problems.append(f"limit_train_batches as a fraction must be in (0, 1], got {options.limit_train_batches}")
    if isinstance(options.limit_train_batches, int) and options.limit_train_batches < 1:
        problems.append(f"limit_train_batches as a count must be at least 1, got {options.limit_train_batches}")
    for name in ("accumulate_grad_batches", "num_nodes", "log_every_n_steps", "check_val_every_n_epoch"):
        if getattr(options, name) < 1:
            problems.append(f"{name} must be at least 1, got {getattr(options, name)}")
    if options.gradient_clip_val is not None and options.gradient_clip_val < 0:
        problems.append(f"gradient_clip_val must be non-negative, got {options.gradient_clip_val}")
    devices = options.devices
    if isinstance(devices, int) and devices != -1 and devices < 1:
        problems.append(f"devices must be at least 1, -1 (all), 'auto' or a list of device indices, got {devices}")
    if isinstance(devices, list) and (not devices or any(d < 0 for d in devices)):
        problems.append(f"devices as a list must name device indices (0, 1, ...), got {devices}")
    if isinstance(devices, str) and devices != "auto" and not re.fullmatch(r"-1|[1-9]\d*|\d+\s*,[\d\s,]*", devices.strip()):
        problems.append(f"devices must be 'auto', a count, -1 or indices like '0,1', got {devices!r}")
    if options.precision not in PRECISIONS:
        problems.append(f"precision must be one of {', '.join(map(str, PRECISIONS[:6]))} (or 64, 32, 16), got {options.precision!r}")
    if options.checkpoint_every_minutes is not None and not options.checkpoint_every_minutes > 0:
        problems.append(f"checkpoint_every_minutes must be positive, or null for none, got {options.checkpoint_every_minutes}")
    if options.checkpoint_every_n_steps is not None and options.checkpoint_every_n_steps < 1:
        problems.append(f"checkpoint_every_n_steps must be at least 1, or null to checkpoint by time, got {options.checkpoint_every_n_steps}")
    if options.checkpoints_kept < 1:
        problems.append(f"checkpoints_kept must be at least 1, got {options.checkpoints_kept}")
    if options.max_time is not None and not _MAX_TIME.fullmatch(str(options.max_time).strip()):
        problems.append(f"max_time must look like DD:HH:MM:SS (e.g. 00:02:30:00 for two and a half hours), got {options.max_time!r}")
    if problems:
        raise RecipeError("Invalid trainer settings: " + "; ".join(problems) + ". Fix them in the recipe's trainer block.")


def flat_overrides(raw: dict[str, Any], overrides: dict[str, Any], registry) -> dict[str, Any]:
    """``raw`` with keyword overrides of :func:`multissl.pretrain` placed in their sections.

    ``max_epochs=5`` goes to ``trainer``, ``batch_size`` to ``loader``, ``lr`` to ``optimizer``,
    ``seed``/``output_dir``/``resume`` to the top level, a method option to ``method`` and a modality
    option (``label_column``) to ``data``.
    Dotted keys (``trainer__devices`` or ``{"trainer.devices": 2}``) address a section explicitly; a deeper one
    edits one key of a mapping option (``method.encoder_options.hidden_dims``), as :func:`apply_overrides` does.
    """
    raw = copy.deepcopy(raw)
    sections = {
        "trainer": {f.name for f in dataclasses.fields(TrainerOptions)},
        "loader": {f.name for f in dataclasses.fields(LoaderOptions)},
        "optimizer": {f.name for f in dataclasses.fields(OptimizerOptions)},
    }
    method_block = raw.setdefault("method", {})
    if isinstance(method_block, str):
        method_block = raw["method"] = {"name": method_block}
    method_fields: set[str] = set()
    method_name = method_block.get("name")
    if method_name is None and isinstance(raw.get("modality"), str):
        method_name = registry.default_method(raw["modality"])
    if isinstance(method_name, str):
        config = registry.get("method", method_name).Config
        method_fields = {f.name for f in dataclasses.fields(config)}
    data_fields: set[str] = set()
    if isinstance(raw.get("modality"), str):
        data_fields = {f.name for f in dataclasses.fields(registry.get("modality", raw["modality"]).Options)}
    top_level = ("seed", "output_dir", "resume", "evaluate")
    for key, value in overrides.items():
        dotted = key.replace("__", ".")
        if "." in dotted:
            assign(raw, dotted, value, f"Keyword override {key!r}")
        elif key in top_level:
            raw[key] = value
        elif key in method_fields:
            method_block[key] = value
        elif key in data_fields:
            raw.setdefault("data", {})[key] = value
        else:
            section = next((s for s, names in sections.items() if key in names), None)
            if section is None:
                allowed = sorted(set().union(*sections.values(), method_fields, data_fields, top_level))
                raise RecipeError(
                    f"Unknown option {key!r}.{did_you_mean(key, allowed)} Options of this method, this modality's "
                    f"data and the trainer, loader and optimizer: {', '.join(allowed)}. Use 'section.key' for anything else."
                )
            raw.setdefault(section, {})[key] = value
    return raw
