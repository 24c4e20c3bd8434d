"""The ``finetune`` evaluator: frozen encoder vs fine-tuned vs trained from scratch, with few labels, in one call.

One seeded, stratified test split; ``label_fraction`` of the remaining samples are labelled (stratified, at least
two per class); each variant trains the same linear head through :func:`multissl.finetune` settings on those
labels (early stopping on a fifth of them) and is scored on the whole test split. Data that fixes its own split (a
graph's Planetoid masks) keeps it instead: training, validation and test samples as given, ``label_fraction`` and
``test_fraction`` unused. The baseline is the same encoder trained from scratch on the same labels.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
from sklearn.model_selection import train_test_split

from multissl.errors import InvalidDataError, RecipeError
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX, Evaluator
from multissl.eval.probe_data import as_labels, classification_metrics, regression_metrics, resolve_task
from multissl.finetuning.run import labelled_targets, read_labelled
from multissl.finetuning.training import FinetuneSettings, decode, predict_outputs, split_train_validation, train_task_model

VARIANTS = {"finetune": {}, "finetune_frozen": {"freeze": True}, BASELINE_PREFIX + "finetune": {"from_scratch": True}}
"""Report prefix -> how the encoder is trained: fine-tuned, frozen (head only), re-initialised (the baseline)."""


@dataclasses.dataclass
class FinetuneOptions:
    """Keys of the ``evaluate:`` block the ``finetune`` evaluator reads."""

    labels: Any = None
    """The label column's name, or an array with one label per sample; default: the labels the data carries."""
    test_fraction: float = 0.2
    """Share of the samples held out for testing (seeded, stratified)."""
    label_fraction: float = 0.1
    """Share of the remaining samples whose labels the three variants train on (at least two per class)."""
    task: Literal["auto", "classification", "regression"] = "auto"
    """The supervised task; ``auto`` infers it from the labels as the probes do."""
    what: str | None = None
    """The table of samples to label where the modality has several (interactions: ``items`` or ``users``)."""
    finetune_epochs: int = 50
    """Most epochs of each variant (early stopping usually ends sooner)."""
    finetune_lr: float = 1e-3
    """AdamW learning rate of each variant."""
    finetune_batch_size: int = 64
    """Batch size of each variant."""
    finetune_patience: int = 5
    """Epochs without a better validation loss before a variant stops (a full-batch graph trains one step an epoch)."""


class Finetune(Evaluator):
    """``finetune/<metric>`` (fine-tuned), ``finetune_frozen/<metric>`` (linear head on the frozen encoder) and, as
    the baseline of both, ``baseline/finetune/<metric>`` (the same encoder trained from scratch on the same labels)."""

    Options = FinetuneOptions

    def check(self, modality: Any) -> None:
        options = self.options
        if not 0.0 < options.test_fraction < 1.0 or not 0.0 < options.label_fraction <= 1.0:
            raise RecipeError(
                f"evaluate.test_fraction must lie in (0, 1) and evaluate.label_fraction in (0, 1]; got "
                f"{options.test_fraction} and {options.label_fraction}."
            )
        self._settings("classification", {}).check()

    def _settings(self, task: str, variant: dict[str, Any]) -> FinetuneSettings:
        return FinetuneSettings(task=task, lr=self.options.finetune_lr, epochs=self.options.finetune_epochs,
                                batch_size=self.options.finetune_batch_size, patience=self.options.finetune_patience,
                                seed=self.seed, **variant)

    def __call__(self, run: Any, source: Any) -> dict[str, Any]:
        samples, labels = read_labelled(run, source, self.options.labels, self.options.what)
        labelled_idx, known = samples.labelled(np.asarray(labels)), np.asarray(labels)
        task = resolve_task(self.options.task, as_labels(known[labelled_idx], "Fine-tuning labels"))
        _, _, targets, decoding = labelled_targets(samples, labels, task)
        given = samples.given_split()
        if given is not None:
            fit_idx, val_idx, test_idx = (np.intersect1d(part, labelled_idx) for part in given)
            labelled = np.union1d(fit_idx, val_idx)
        else:
            train_idx, test_idx = self._split(labelled_idx, known[labelled_idx], task)
            labelled = self._labelled(train_idx, known, task)
            fit_idx, val_idx = split_train_validation(targets, labelled, self._settings(task, {}))
        n_outputs = len(decoding["classes"]) if task == "classification" else 1
        report: dict[str, Any] = {}
        for prefix, variant in VARIANTS.items():
            model, _ = train_task_model(run, samples, targets, fit_idx, val_idx, n_outputs, self._settings(task, variant))
            predicted = decode(predict_outputs(model, samples, test_idx), task, decoding)
            score = classification_metrics if task == "classification" else regression_metrics
            truth = known[test_idx] if task == "classification" else known[test_idx].astype(np.float64)
            report.update({f"{prefix}/{name}": value for name, value in score(truth, predicted).items()})
        for name in [k.split("/", 1)[1] for k in report if k.startswith("finetune/")]:
            report[f"{BASELINE_PREFIX}finetune_frozen/{name}"] = report[f"{BASELINE_PREFIX}finetune/{name}"]
        report.update({"finetune/n_labelled": len(labelled), "finetune/n_test": len(test_idx),
                       BASELINE_KEY: "same encoder from scratch"})
        return report

    def _split(self, indices: np.ndarray, values: np.ndarray, task: str) -> tuple[np.ndarray, np.ndarray]:
        """A seeded, stratified ``(train, test)`` split of the labelled samples ``indices`` (labels ``values``)."""
        stratify = values if task == "classification" and np.unique(values, return_counts=True)[1].min() >= 2 else None
        train, test = train_test_split(indices, test_size=self.options.test_fraction, random_state=self.seed, stratify=stratify)
        return np.sort(train), np.sort(test)

    def _labelled(self, train_idx: np.ndarray, values: np.ndarray, task: str) -> np.ndarray:
        """A seeded ``label_fraction`` of ``train_idx``: stratified, at least two samples per class."""
        if self.options.label_fraction >= 1.0:
            return train_idx
        rng = np.random.default_rng(self.seed)
        if task != "classification":
            count = max(4, int(round(self.options.label_fraction * len(train_idx))))
            return np.sort(rng.choice(train_idx, size=min(count, len(train_idx)), replace=False))
        chosen = []
        for label in np.unique(values[train_idx]):
            members = train_idx[values[train_idx] == label]
            count = min(len(members), max(2, int(round(self.options.label_fraction * len(members)))))
            chosen.append(rng.choice(members, size=count, replace=False))
        labelled = np.sort(np.concatenate(chosen))
        if len(labelled) < 4:
            raise InvalidDataError(f"label_fraction={self.options.label_fraction} leaves {len(labelled)} labelled samples; raise it.")
        return labelled
