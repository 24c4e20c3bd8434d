"""``multissl.finetune``: train a pretrained run's encoder with a task head; the :class:`FineTunedRun` that predicts."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from multissl.api import Run
from multissl.errors import InvalidDataError, RecipeError
from multissl.finetuning.labelled_data import check_labels, check_one_sample_per_item, encode_targets
from multissl.finetuning.task_model import TaskModel
from multissl.finetuning.training import FinetuneSettings, decode, predict_outputs, split_train_validation, train_task_model


class FineTunedRun(Run):
    """A run whose encoder was fine-tuned with a task head. ``embed`` gives the fine-tuned embeddings,
    ``predict`` the task's labels (``predict_proba`` class probabilities); ``save`` and :func:`multissl.load`
    keep both."""

    def __init__(self, recipe, modality, model: TaskModel, task: str, decoding: dict[str, Any], metrics: dict[str, Any],
                 work_dir: Path | None = None) -> None:
        super().__init__(recipe, modality, model.encoder, metrics, work_dir=work_dir)
        self.model = model
        self.task = task
        self.decoding = decoding

    def predict(self, data: Any, *, batch_size: int = 1024) -> np.ndarray:
        """One label per sample of ``data`` (a class, or a value for regression), in input order."""
        return decode(self._outputs(data, batch_size), self.task, self.decoding)

    def predict_proba(self, data: Any, *, batch_size: int = 1024) -> np.ndarray:
        """(N, classes) probabilities, columns in the order of ``classes``."""
        if self.task != "classification":
            raise RecipeError("predict_proba needs a classification run; this one was fine-tuned for regression.")
        return torch.softmax(torch.from_numpy(self._outputs(data, batch_size)), dim=1).numpy()

    @property
    def classes(self) -> list[Any] | None:
        """The class labels (classification), in the order of ``predict_proba``'s columns."""
        return self.decoding.get("classes")

    def _outputs(self, data: Any, batch_size: int) -> np.ndarray:
        return predict_outputs(self.model, self.modality, self.modality.dataset(self.read(data)), batch_size)

    def _saved_module(self) -> torch.nn.Module:
        return self.model

    def _info(self) -> dict[str, Any]:
        head = self.model.head
        return {**super()._info(), "finetune": {
            "task": self.task, "decoding": self.decoding, "embedding_dim": head.in_features, "n_outputs": head.out_features,
            "freeze": self.model.freeze,
        }}

    def __repr__(self) -> str:
        return super().__repr__().replace("Run(", f"FineTunedRun(task={self.task!r}, ", 1)


def finetune(
    run: Run,
    data: Any = None,
    labels: Any = None,
    *,
    task: str = "classification",
    lr: float = 1e-3,
    epochs: int = 50,
    batch_size: int = 64,
    freeze: bool = False,
    from_scratch: bool = False,
    val_fraction: float = 0.2,
    patience: int = 5,
    seed: int = 0,
    progress_bar: bool = False,
    output_dir: str | Path | None = None,
) -> FineTunedRun:
    """Fine-tune ``run``'s encoder (its ``embed`` path) with a linear task head on labelled ``data``.

    ``labels``: one label per sample (array-like, in data order) or the name of a label column; default: the
    labels the data carries. ``task``: ``"classification"`` (cross-entropy) or ``"regression"`` (mean squared
    error on standardised targets). Training runs through the run's Lightning engine with AdamW at ``lr`` for at
    most ``epochs``, stopping when the loss on a seeded ``val_fraction`` of the samples has not improved for
    ``patience`` epochs; the best epoch is kept. ``freeze=True`` trains the head only (a linear probe);
    ``from_scratch=True`` re-initialises the encoder first (the supervised baseline). ``output_dir``: save the
    fine-tuned run there. Works for modalities that batch one sample per label (not a full-batch graph).
    """
    settings = FinetuneSettings(task=task, lr=lr, epochs=epochs, batch_size=batch_size, freeze=freeze,
                                from_scratch=from_scratch, val_fraction=val_fraction, patience=patience, seed=seed,
                                progress_bar=progress_bar)
    settings.check()
    modality, raw, values = read_labelled(run, run.recipe.source if data is None else data, labels)
    dataset = modality.dataset(raw)
    check_one_sample_per_item(run, modality, raw, dataset, len(values))
    values = check_labels(values, len(values), task)
    targets, decoding = encode_targets(values, task)
    train_idx, val_idx = split_train_validation(targets, np.arange(len(values)), settings)
    n_outputs = len(decoding["classes"]) if task == "classification" else 1
    model, metrics = train_task_model(run, modality, dataset, targets, train_idx, val_idx, n_outputs, settings)
    tuned = FineTunedRun(run.recipe, run.modality, model, task, decoding,
                         {"finetune": {**metrics, "n_train": len(train_idx), "n_val": len(val_idx),
                                       **{k: v for k, v in dataclasses.asdict(settings).items() if k != "progress_bar"}},
                          "pretraining": run.metrics})
    if output_dir is not None:
        tuned.save(output_dir)
    return tuned


def read_labelled(run: Run, source: Any, labels: Any) -> tuple[Any, Any, Any]:
    """``(modality, raw, labels)``: ``source`` read by the run's modality (a copy reading ``labels`` as its label
    column when it is a column name), and the labels (``None`` when there are none)."""
    modality = run.modality
    if isinstance(labels, str):
        if not any(f.name == "label_column" for f in dataclasses.fields(modality.options)):
            raise InvalidDataError(
                f"labels={labels!r} names a label column, but modality {modality.name!r} reads no label column; "
                "pass the labels as an array with one label per sample."
            )
        modality = copy.copy(modality)
        modality.options = dataclasses.replace(modality.options, label_column=labels)
    raw = run.read(source, modality=modality)
    values = modality.labels(raw) if labels is None or isinstance(labels, str) else labels
    if values is None and isinstance(labels, str):
        raise InvalidDataError(
            f"Label column {labels!r} is not in this data. Pass data (a DataFrame or file) holding "
            "that column, or the labels themselves as an array."
        )
    if values is None:
        raise InvalidDataError(
            "Fine-tuning needs labels: pass labels=<array with one label per sample> or the name of a label column "
            "(the data carries none)."
        )
    return modality, raw, values


def load_finetuned(files, recipe, modality, method) -> FineTunedRun:
    """The :class:`FineTunedRun` of a run directory whose ``run.json`` holds a ``finetune`` entry."""
    info = files.info["finetune"]
    model = TaskModel(method, int(info["embedding_dim"]), int(info["n_outputs"]), info["task"], freeze=bool(info["freeze"]))
    files.load_weights(model)
    run = FineTunedRun(recipe, modality, model.eval(), info["task"], info["decoding"], files.metrics, work_dir=files.path)
    run.path = files.path
    return run
