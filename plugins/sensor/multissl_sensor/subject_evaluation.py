"""Leave-one-subject-out evaluation with a label budget: pretrained encoders (frozen or fine-tuned)
against the same encoder trained from scratch on the same labels, in the same run.

For each held-out subject: every pretraining recipe runs on the other subjects' unlabelled streams;
then, for each label fraction, a stratified subset of the other subjects' labelled anchor windows
trains a classifier (:mod:`multissl_sensor.classifier`) and the held-out subject's windows score it
by macro F1 (Jain et al. 2022, ColloSSL's protocol: 10/25/50/100% of the labels, leave-subjects-out).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score
from tqdm.auto import tqdm

import multissl
from multissl.errors import InvalidDataError, RecipeError
from multissl.methods.components import build_encoder
from multissl_sensor.classifier import MODES, train_and_predict
from multissl_sensor.label_budget import labelled_subset
from multissl_sensor.modality import Sensor, SensorOptions

SUPERVISED = "supervised"
"""The representation name of the encoder trained from scratch on the labelled subset."""


@dataclasses.dataclass
class ClassifierSettings:
    """How every classifier of the evaluation is trained (the same for all representations)."""

    steps: int = 300
    """Optimisation steps of every classifier, whatever the label fraction."""
    batch_size: int = 64
    lr: float = 1e-3
    hidden: int = 1024
    fractions: tuple[float, ...] = (0.1, 0.25, 1.0)
    modes: tuple[str, ...] = ("frozen", "fine_tune")
    """Modes for the pretrained encoders; the supervised baseline always trains from scratch."""
    scratch_encoder: str = "cnn1d"
    scratch_encoder_options: dict[str, Any] = dataclasses.field(default_factory=dict)


def anchor_windows(modality: Sensor, raw) -> tuple[torch.Tensor, np.ndarray]:
    """The anchor device's standardised windows (N, T, C) and their majority labels."""
    labels = modality.labels(raw)
    if labels is None:
        raise InvalidDataError("Leave-one-subject-out evaluation needs labels in every subject (data.label_key).")
    dataset = modality.dataset(raw)
    anchor = dataset.values[modality.anchor_index()]  # (T, C): only the anchor device is cut into windows
    windows = anchor.unfold(0, dataset.window, 1)[torch.from_numpy(dataset.starts)].transpose(1, 2).contiguous()
    return windows, labels


def leave_one_subject_out(
    subjects: dict[str, Any],
    pretraining: dict[str, dict[str, Any]],
    data: dict[str, Any],
    settings: ClassifierSettings | None = None,
    *,
    seed: int = 0,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Rows ``{held_out, representation, mode, fraction, seed, macro_f1, accuracy}``.

    ``subjects`` maps a subject to a source ``sensor`` loads; ``pretraining`` maps a representation name
    to a recipe (its ``method``, ``trainer``, ``loader``, ``optimizer`` blocks; ``data`` and ``seed`` are set
    here); ``data`` holds the ``sensor`` options shared by all (window, stride, anchor, ...).
    """
    settings = settings or ClassifierSettings()
    if len(subjects) < 2:
        raise InvalidDataError(f"Leave-one-subject-out needs at least two subjects, got {list(subjects)}.")
    unknown = set(settings.modes) - set(MODES)
    if unknown or SUPERVISED in pretraining:
        raise RecipeError(f"Modes must be among {MODES} (got {sorted(unknown)}); {SUPERVISED!r} is reserved.")
    rows: list[dict[str, Any]] = []
    steps = len(subjects) * (len(pretraining) + len(settings.fractions) * (1 + len(pretraining) * len(settings.modes)))
    bar = tqdm(total=steps, desc="leave-one-subject-out", disable=not progress)
    for held_out in subjects:
        train_sources = [source for name, source in subjects.items() if name != held_out]
        encoders = {}
        for name, recipe in pretraining.items():
            bar.set_postfix_str(f"held out {held_out}: pretrain {name}")
            run = multissl.pretrain(recipe=_with_data(recipe, data, train_sources, seed))
            encoders[name] = run.method.encoder
            bar.update()
        modality = Sensor(SensorOptions(**data))
        train_raw = modality.load(train_sources)
        modality.fit(train_raw)
        train_x, train_labels = anchor_windows(modality, train_raw)
        test_x, test_labels = anchor_windows(modality, modality.load(subjects[held_out]))
        classes = np.unique(train_labels)
        unseen = np.setdiff1d(np.unique(test_labels), classes)
        if len(unseen):
            raise InvalidDataError(f"Subject {held_out!r} has classes {unseen.tolist()} that no training subject has.")
        train_y, test_y = np.searchsorted(classes, train_labels), np.searchsorted(classes, test_labels)
        for fraction in settings.fractions:
            chosen = labelled_subset(train_y, fraction, seed)
            torch.manual_seed(seed)
            fresh = build_encoder(settings.scratch_encoder, modality.input_spec(), settings.scratch_encoder_options)
            jobs = [(SUPERVISED, "scratch", fresh)] + [
                (name, mode, encoder) for name, encoder in encoders.items() for mode in settings.modes
            ]
            for name, mode, encoder in jobs:
                bar.set_postfix_str(f"held out {held_out}: {name} {mode} {fraction:.0%}")
                predicted = train_and_predict(
                    mode, encoder, train_x[chosen], train_y[chosen], test_x, classes=len(classes),
                    steps=settings.steps, batch_size=settings.batch_size, lr=settings.lr, seed=seed,
                    hidden=settings.hidden,
                )
                rows.append({
                    "held_out": held_out, "representation": name, "mode": mode, "fraction": fraction, "seed": seed,
                    "labelled_windows": len(chosen),
                    "macro_f1": float(f1_score(test_y, predicted, average="macro")),
                    "accuracy": float(accuracy_score(test_y, predicted)),
                })
                bar.update()
    bar.close()
    return rows


def _with_data(recipe: dict[str, Any], data: dict[str, Any], sources: list[Any], seed: int) -> dict[str, Any]:
    recipe = copy.deepcopy(recipe)
    recipe["modality"] = "sensor"
    recipe["data"] = {**data, **(recipe.get("data") or {}), "source": sources}
    recipe["seed"] = seed
    return recipe
