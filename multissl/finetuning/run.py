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
from multissl.finetuning.labelled_data import aligned_labels, check_labels, encode_targets
from multissl.finetuning.samples import Samples, samples_of
from multissl.finetuning.task_model import TaskModel
from multissl.finetuning.training import FinetuneSettings, decode, predict_outputs, split_train_validation, train_task_model


class FineTunedRun(Run):
    """A run whose encoder was fine-tuned with a task head. ``embed`` gives the fine-tuned embeddings,
    ``predict`` the task's labels (``predict_proba`` class probabilities); ``save`` and :func:`multissl.load`
    keep both. ``what``: the table of samples it labels where the modality has several (interactions: ``items``)."""

    def __init__(self, recipe, modality, model: TaskModel, task: str, decoding: dict[str, Any], metrics: dict[str, Any],
                 work_dir: Path | None = None, what: str | None = None) -> None:
        super().__init__(recipe, modality, model.encoder, metrics, work_dir=work_dir)
        self.model = model
        self.task = task
        self.decoding = decoding
        self.what = what

    def predict(self, data: Any, *, batch_size: int = 1024) -> np.ndarray:
        """One label per sample of ``data`` (a class, or a value for regression), in input order (a graph's nodes,
        the ``what`` table's rows)."""
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
        return predict_outputs(self.model, samples_of(self.modality, self.read(data), self.what), batch_size=batch_size)

    def _saved_module(self) -> torch.nn.Module:
        return self.model

    def _info(self) -> dict[str, Any]:
        head = self.model.head
        return {**super()._info(), "finetune": {
            "task": self.task, "decoding": self.decoding, "embedding_dim": head.in_features, "n_outputs": head.out_features,
            "freeze": self.model.freeze, "what": self.what,
        }}

    def __repr__(self) -> str:
        return super().__repr__().replace("Run(", f"FineTunedRun(task={self.task!r}, ", 1)


def finetune(
    run: Run,
    data: Any = None,
    labels: Any = None,
    *,
    task: str = "classification",
    what: str | None = None,
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

    ``labels``: one label per sample (array-like, in data order; a pandas Series indexed by sample id is aligned by
    id) or the name of a label column; default: the labels the data carries. ``task``: ``"classification"``
    (cross-entropy) or ``"regression"`` (mean squared error on standardised targets). The samples are the data's
    own (rows, clips, windows; a graph's nodes), or the table ``what`` names where the modality has several
    (interactions: ``"items"`` or ``"users"``). Training runs through the run's Lightning engine with AdamW at
    ``lr`` for at most ``epochs``, stopping when the loss on a seeded ``val_fraction`` of the labelled samples (a
    graph's ``val_mask`` nodes when it has them) has not improved for ``patience`` epochs; the best epoch is kept.
    ``freeze=True`` trains the head only (a linear probe); ``from_scratch=True`` re-initialises the encoder first
    (the supervised baseline). ``output_dir``: save the fine-tuned run there.
    """
    settings = FinetuneSettings(task=task, lr=lr, epochs=epochs, batch_size=batch_size, freeze=freeze,
                                from_scratch=from_scratch, val_fraction=val_fraction, patience=patience, seed=seed,
                                progress_bar=progress_bar)
    settings.check()
    samples, values = read_labelled(run, run.recipe.source if data is None else data, labels, what)
    labelled, values, targets, decoding = labelled_targets(samples, values, task)
    given = samples.given_split()
    if given is not None and len(given[0]) >= 2 and len(given[1]) >= 1:
        train_idx, val_idx = np.intersect1d(given[0], labelled), np.intersect1d(given[1], labelled)
    else:
        train_idx, val_idx = split_train_validation(targets, labelled, settings)
    n_outputs = len(decoding["classes"]) if task == "classification" else 1
    model, metrics = train_task_model(run, samples, targets, train_idx, val_idx, n_outputs, settings)
    tuned = FineTunedRun(run.recipe, run.modality, model, task, decoding,
                         {"finetune": {**metrics, "n_train": len(train_idx), "n_val": len(val_idx), "what": what,
                                       **{k: v for k, v in dataclasses.asdict(settings).items() if k != "progress_bar"}},
                          "pretraining": run.metrics}, what=what)
    if output_dir is not None:
        tuned.save(output_dir)
    return tuned


def read_labelled(run: Run, source: Any, labels: Any, what: str | None = None) -> tuple[Samples, Any]:
    """``(samples, labels)``: ``source`` read by the run's modality (a copy reading ``labels`` as its label column
    when it is a column name the modality reads), as fine-tuning's samples, and one label per sample."""
    modality = run.modality
    reads_column = any(f.name == "label_column" for f in dataclasses.fields(modality.options))
    if isinstance(labels, str) and reads_column and what is None:
        modality = copy.copy(modality)
        modality.options = dataclasses.replace(modality.options, label_column=labels)
    samples = samples_of(modality, run.read(source, modality=modality), what)
    if labels is None or isinstance(labels, str):
        values = samples.labels(labels)
        if values is None and isinstance(labels, str):
            where = "this data" if reads_column or what is not None else f"data the {modality.name!r} modality reads (it reads no label column)"
            raise InvalidDataError(
                f"Label column {labels!r} is not in {where}. Pass data (a DataFrame or file) holding "
                "that column, or the labels themselves as an array with one label per sample."
            )
    else:
        values = aligned_labels(labels, samples.sample_ids(), len(samples))
    if values is None:
        raise InvalidDataError(
            "Fine-tuning needs labels: pass labels=<array with one label per sample> or the name of a label column "
            "(the data carries none)."
        )
    return samples, values


def labelled_targets(samples: Samples, labels: Any, task: str) -> tuple[np.ndarray, np.ndarray, torch.Tensor, dict[str, Any]]:
    """``(labelled, values, targets, decoding)``: the indices of the labelled samples, their checked labels, the
    encoded targets of every sample (0 where unlabelled, never read) and what turns outputs back into labels."""
    n_samples = len(samples)
    if not hasattr(labels, "__len__") or len(labels) != n_samples:
        count = len(labels) if hasattr(labels, "__len__") else 1
        raise InvalidDataError(f"Got {count} labels for {n_samples} samples; pass one label per sample, in data order.")
    labels = np.asarray(labels)
    labelled = samples.labelled(labels)
    values = check_labels(labels[labelled], len(labelled), task)
    encoded, decoding = encode_targets(values, task)
    targets = torch.zeros(n_samples, dtype=encoded.dtype)
    targets[torch.as_tensor(labelled)] = encoded
    return labelled, values, targets, decoding


def load_finetuned(files, recipe, modality, method) -> FineTunedRun:
    """The :class:`FineTunedRun` of a run directory whose ``run.json`` holds a ``finetune`` entry."""
    info = files.info["finetune"]
    model = TaskModel(method, int(info["embedding_dim"]), int(info["n_outputs"]), info["task"], freeze=bool(info["freeze"]))
    files.load_weights(model)
    run = FineTunedRun(recipe, modality, model.eval(), info["task"], info["decoding"], files.metrics, work_dir=files.path,
                       what=info.get("what"))
    run.path = files.path
    return run
