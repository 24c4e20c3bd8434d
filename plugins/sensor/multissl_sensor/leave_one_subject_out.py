"""The ``leave_one_subject_out`` evaluator: activity recognition on an unseen subject with few labels.

ColloSSL's protocol (Jain et al. 2022): each recording (subject) is held out in turn; the encoder is
pretrained without it (the run's recipe again, on the other subjects' unlabelled streams); a stratified
``label_fraction`` of the other subjects' labelled anchor windows trains a classifier on that encoder
(frozen, or fine-tuned), and the held-out subject scores it by macro F1. The baseline is the same
encoder architecture and head trained from scratch on the same labelled windows, with the same budget,
in the same call. Reported: the mean over held-out subjects. Several label fractions (the reference reports
10, 25, 50, 75 and 100%) share each fold's pretraining: the first gives ``loso/macro_f1``, each further
fraction ``f`` gives ``loso/macro_f1@f``.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Literal

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score

import multissl
from multissl.errors import InvalidDataError, RecipeError
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX, Evaluator
from multissl.methods.components import build_encoder
from multissl_sensor.classifier import train_and_predict
from multissl_sensor.label_budget import labelled_subset

BASELINE = "the same encoder trained from scratch on the same labels"


@dataclasses.dataclass
class LeaveOneSubjectOutOptions:
    """Keys of the ``evaluate:`` block the ``leave_one_subject_out`` evaluator reads."""

    label_fraction: float | list[float] = 0.1
    """Share of each class's training windows that carry labels, in (0, 1]; a list scores each share (the first
    under the plain metric names, the others with the suffix ``@<share>``)."""
    mode: Literal["frozen", "fine_tune"] = "frozen"
    """``frozen``: only the head learns on the pretrained embeddings; ``fine_tune``: encoder and head learn."""
    classifier_steps: int = 300
    """Optimisation steps of every classifier (pretrained and baseline alike), whatever the label fraction."""
    pretrain_per_fold: bool = True
    """True: pretrain again without the held-out subject (nothing of it is seen before testing); False: use the
    run's encoder, which may have seen the held-out subject's unlabelled streams."""


class LeaveOneSubjectOut(Evaluator):
    """Leave-one-subject-out macro F1 (``loso/macro_f1``) against the encoder trained from scratch; see the module."""

    Options = LeaveOneSubjectOutOptions

    def check(self, modality: Any) -> None:
        opts = self.options
        fractions = self.fractions()
        if not fractions or len(set(fractions)) != len(fractions) or not all(0.0 < f <= 1.0 for f in fractions):
            raise RecipeError(
                f"evaluate.label_fraction must be in (0, 1], or a list of distinct such values, got {opts.label_fraction}."
            )
        if opts.mode not in ("frozen", "fine_tune"):
            raise RecipeError(f"evaluate.mode must be 'frozen' or 'fine_tune', got {opts.mode!r}.")
        if isinstance(opts.classifier_steps, bool) or not isinstance(opts.classifier_steps, int) or opts.classifier_steps < 1:
            raise RecipeError(f"evaluate.classifier_steps must be a positive integer, got {opts.classifier_steps!r}.")
        if getattr(modality.options, "label_key", None) is None:
            raise RecipeError("leave_one_subject_out needs labels: set data.label_key to the key holding them.")

    def __call__(self, run: Any, source: Any) -> dict[str, Any]:
        self.check(run.modality)
        recordings = run.read(source).recordings(run.modality.options.label_key)
        if len(recordings) < 2:
            raise InvalidDataError(
                f"Leave-one-subject-out needs two recordings (subjects) or more, got {[r.name for r in recordings]}. "
                "Pass a list of recordings, e.g. [Recording('s1', ...), Recording('s2', ...)]."
            )
        folds = [self._fold(run, recordings, held_out) for held_out in range(len(recordings))]
        report = {}
        for i, fraction in enumerate(self.fractions()):
            for key in ("macro_f1", "accuracy"):
                name = key if i == 0 else f"{key}@{fraction:g}"
                report[f"loso/{name}"] = float(np.mean([fold[fraction][key] for fold in folds]))
                report[f"{BASELINE_PREFIX}loso/{name}"] = float(np.mean([fold[fraction][BASELINE_PREFIX + key] for fold in folds]))
        report[BASELINE_KEY] = BASELINE
        report["n_subjects"] = len(recordings)
        return report

    def fractions(self) -> list[float]:
        """The label fractions to score, in the order given."""
        fraction = self.options.label_fraction
        return [float(f) for f in fraction] if isinstance(fraction, list | tuple) else [float(fraction)]

    def _fold(self, run: Any, recordings: list, held_out: int) -> dict[float, dict[str, float]]:
        """Scores per label fraction with recording ``held_out`` as the test subject."""
        training = [r for i, r in enumerate(recordings) if i != held_out]
        fold_run = self._pretrain(run, training) if self.options.pretrain_per_fold else run
        modality = fold_run.modality
        train_raw, test_raw = modality.load(training), modality.load(recordings[held_out])
        train_x, train_labels = modality.anchor_windows(train_raw), modality.labels(train_raw)
        test_x, test_labels = modality.anchor_windows(test_raw), modality.labels(test_raw)
        classes = np.unique(train_labels)
        unseen = np.setdiff1d(np.unique(test_labels), classes)
        if len(unseen):
            raise InvalidDataError(
                f"Subject {recordings[held_out].name!r} has classes {unseen.tolist()} that no other subject has; "
                "leave-one-subject-out needs every class in the training subjects."
            )
        train_y, test_y = np.searchsorted(classes, train_labels), np.searchsorted(classes, test_labels)
        config = fold_run.method.config
        by_fraction = {}
        for fraction in self.fractions():
            chosen = labelled_subset(train_y, fraction, self.seed)
            torch.manual_seed(self.seed)
            fresh = build_encoder(config.encoder, modality.input_spec(), config.encoder_options)
            scores = {}
            for prefix, mode, encoder in (("", self.options.mode, fold_run.method.encoder), (BASELINE_PREFIX, "scratch", fresh)):
                predicted = train_and_predict(
                    mode, encoder, train_x[chosen], train_y[chosen], test_x, classes=len(classes),
                    steps=self.options.classifier_steps, seed=self.seed,
                )
                scores[prefix + "macro_f1"] = float(f1_score(test_y, predicted, average="macro"))
                scores[prefix + "accuracy"] = float(accuracy_score(test_y, predicted))
            by_fraction[fraction] = scores
        return by_fraction

    def _pretrain(self, run: Any, training: list) -> Any:
        """The run's recipe trained again, with the same seed, on ``training`` only (no evaluation, nothing saved)."""
        recipe = copy.deepcopy(run.recipe.to_dict())
        recipe["data"]["source"] = training
        recipe.update(evaluate=None, output_dir=None, resume=None)
        return multissl.pretrain(recipe=recipe)
