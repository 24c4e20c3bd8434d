"""The core's ``probe`` evaluator: linear probe, kNN and RankMe on frozen embeddings against the raw features."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Literal

import numpy as np

from multissl.errors import InvalidDataError, RecipeError
from multissl.eval.evaluator import BASELINE_KEY, Evaluator
from multissl.eval.probe_report import EVALUATORS, check_label_fractions, probe_report


@dataclasses.dataclass
class ProbeOptions:
    """Keys of the ``evaluate:`` block the ``probe`` evaluator reads."""

    labels: Any = None
    """The label column's name (the modality's ``label_column``), or an array with one label per sample;
    default: the labels the data carries."""
    test_fraction: float = 0.2
    """Share of the samples held out for testing (one seeded, stratified split serves every probe)."""
    probes: list[Literal["linear_probe", "knn_probe", "rankme"]] = dataclasses.field(default_factory=lambda: list(EVALUATORS))
    """Which probes to run."""
    label_fractions: list[float] = dataclasses.field(default_factory=lambda: [1.0])
    """Fractions of the training split's labels the linear probe is trained on (seeded, stratified, at least one
    sample per class; e.g. ``[0.01, 0.1, 1.0]``), each scored on the whole test split: ``linear_probe@1%/accuracy``;
    1.0 keeps the plain ``linear_probe/...`` keys."""


class Probe(Evaluator):
    """Linear probe, kNN probe and RankMe on the run's embeddings and, as the baseline, on the modality's raw
    features (:func:`multissl.eval.probe_report.probe_report`)."""

    Options = ProbeOptions

    def check(self, modality: Any) -> None:
        if not 0.0 < self.options.test_fraction < 1.0:
            raise RecipeError(f"evaluate.test_fraction must lie strictly between 0 and 1, got {self.options.test_fraction}.")
        check_label_fractions(self.options.label_fractions)
        if isinstance(self.options.labels, str) and not _reads_label_column(modality):
            raise RecipeError(
                f"evaluate.labels={self.options.labels!r} names a label column, but modality {modality.name!r} reads no "
                "label column; pass the labels as an array (multissl.evaluate(run, labels=...))."
            )

    def __call__(self, run: Any, source: Any) -> dict[str, Any]:
        labels = self.options.labels
        modality = run.modality
        if isinstance(labels, str):
            self.check(modality)
            modality = copy.copy(modality)
            modality.options = dataclasses.replace(modality.options, label_column=labels)
        raw = run.read(source, modality=modality)
        label_values = modality.labels(raw) if isinstance(labels, str) or labels is None else np.asarray(labels)
        if label_values is None:
            raise InvalidDataError(
                "The probe evaluator needs labels: set evaluate.labels to a label column, or pass labels=<array>."
            )
        embeddings = run.embed_loaded(raw, modality=modality)
        if len(label_values) != len(embeddings):
            raise InvalidDataError(f"Got {len(label_values)} labels for {len(embeddings)} samples; pass one label per sample.")
        raw_features = modality.baseline_features(raw)
        report = probe_report(
            embeddings,
            label_values,
            raw_features=raw_features,
            test_fraction=self.options.test_fraction,
            seed=self.seed,
            evaluators=tuple(self.options.probes),
            label_fractions=tuple(self.options.label_fractions),
        )
        return report if raw_features is None else {**report, BASELINE_KEY: "raw features"}


def _reads_label_column(modality: Any) -> bool:
    return any(f.name == "label_column" for f in dataclasses.fields(modality.options))
