"""The ``finetune_samples`` hook on a core-level fake: a modality whose one dataset item holds every sample (as a
full-batch graph does) fine-tunes on the rows its batches name, keeps the split its data fixes, and predicts each."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import multissl
from multissl.finetuning.samples import ROWS_KEY, Samples, samples_of
from multissl.finetuning.task_model import TARGET_KEY
from multissl.modalities.vectors import Vectors

sys.path.insert(0, str(Path(__file__).parents[1]))
import tiny  # noqa: E402

SPLIT = (np.arange(0, 60), np.arange(60, 90), np.arange(90, 120))


def clusters(rows: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated Gaussian clusters in 6 dimensions and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, rows)
    return (rng.normal(size=(3, 6))[labels] * 4 + rng.normal(size=(rows, 6))).astype("float32"), labels


class WholeTable(Vectors):
    """Vectors batched as one item: the whole table each step (its samples told by :class:`WholeTableRows`)."""

    def dataset(self, raw):
        return [self.transform(raw)]

    def collate(self, items):
        return {"x": items[0]}

    def finetune_samples(self, raw, what=None):
        return WholeTableRows(self, raw)


class WholeTableRows(Samples):
    def __init__(self, modality, raw):
        self.modality, self.raw, self.table = modality, raw, modality.transform(raw)

    def __len__(self):
        return len(self.table)

    def loader(self, indices, targets, *, batch_size, shuffle, seed):
        rows = torch.arange(len(self)) if indices is None else torch.as_tensor(indices)
        batch = {"x": self.table, ROWS_KEY: rows}
        return torch.utils.data.DataLoader([batch if targets is None else {**batch, TARGET_KEY: targets[rows]}],
                                           batch_size=None, collate_fn=lambda b: b)

    def given_split(self):
        return SPLIT


@pytest.fixture(scope="module")
def run():
    x, _ = clusters()
    run = multissl.pretrain("vectors", x, method="simclr", max_epochs=1, batch_size=32, **tiny.OVERRIDES)
    run = copy.copy(run)
    run.modality = copy.copy(run.modality)
    run.modality.__class__ = WholeTable
    return run


def test_the_rows_of_one_item_fine_tune_on_the_given_split_and_predict_each(run):
    x, y = clusters()
    assert isinstance(samples_of(run.modality, run.read(x)), WholeTableRows)
    tuned = multissl.finetune(run, x, y, epochs=150, lr=0.05, patience=150)
    assert (tuned.metrics["finetune"]["n_train"], tuned.metrics["finetune"]["n_val"]) == (60, 30)
    predicted = tuned.predict(x)
    assert predicted.shape == (120,)
    assert (predicted[SPLIT[2]] == y[SPLIT[2]]).mean() > 0.8


def test_the_evaluator_scores_the_given_test_samples(run):
    x, y = clusters()
    report = multissl.evaluate(run, data=x, labels=y, evaluators="finetune", finetune_epochs=2)
    assert report["finetune/n_test"] == 30 and report["finetune/n_labelled"] == 90


def test_without_the_hook_one_item_is_one_sample(run):
    x, y = clusters()
    plain = copy.copy(run.modality)
    plain.finetune_samples = lambda raw, what=None: None
    with pytest.raises(multissl.errors.InvalidDataError, match="120 labels for 1 samples"):
        samples = samples_of(plain, run.read(x))
        from multissl.finetuning.run import labelled_targets

        labelled_targets(samples, y, "classification")
    with pytest.raises(multissl.errors.InvalidDataError, match="has none"):
        samples_of(plain, run.read(x), what="items")
