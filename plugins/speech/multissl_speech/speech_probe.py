"""The ``speech_probe`` evaluator: the SUPERB-style weighted sum of layers on the data's own split, against
the same probe on mean-pooled log-mel, in one call."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from multissl.errors import InvalidDataError, RecipeError
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX, Evaluator
from multissl_speech.downstream import layer_embeddings, weighted_layer_probe


@dataclasses.dataclass
class SpeechProbeOptions:
    """Keys of the ``evaluate:`` block the ``speech_probe`` evaluator reads."""

    labels: list[str] | str | None = None
    """Manifest column(s) to classify, one probe each (e.g. ``[digit, speaker]``); default: ``data.label_column``."""
    test_fraction: float = 0.2
    """Share of the clips held out (seeded, stratified) when the manifest has no ``split`` column."""
    probe_steps: int = 500
    """Full-batch AdamW steps of each probe."""


class SpeechProbe(Evaluator):
    """Per label ``y``: ``speech_probe/<y>/accuracy`` of :class:`~multissl_speech.downstream.WeightedLayerProbe`
    (``softmax(a)``-weighted sum of every layer's mean-pooled, standardised hidden states, then a linear
    classifier; Yang et al. 2021, SUPERB) trained on the manifest's ``split == "train"`` rows and scored on its
    ``split == "test"`` rows; ``baseline/speech_probe/<y>/accuracy``: the same probe on the clips' mean-pooled
    input features (log-mel by default). Rows of other splits (e.g. ``unlabelled``) are not used."""

    Options = SpeechProbeOptions

    def check(self, modality: Any) -> None:
        o = self.options
        if not 0.0 < o.test_fraction < 1.0:
            raise RecipeError(f"evaluate.test_fraction must lie strictly between 0 and 1, got {o.test_fraction}.")
        if o.probe_steps < 1:
            raise RecipeError(f"evaluate.probe_steps must be at least 1, got {o.probe_steps}.")
        if not self._label_names(modality):
            raise RecipeError(
                "speech_probe needs labels: set evaluate.labels to manifest column(s) (e.g. [digit, speaker]) or "
                "data.label_column (a dataset name such as fsdd sets it)."
            )
        if any(not isinstance(name, str) or not name or name in ("path", "split") for name in self._label_names(modality)):
            raise RecipeError(f"evaluate.labels must name label columns of the manifest, got {self.options.labels!r}.")

    def __call__(self, run: Any, source: Any) -> dict[str, Any]:
        self.check(run.modality)
        names = self._label_names(run.modality)
        modality = copy.copy(run.modality)
        modality.options = dataclasses.replace(modality.options, splits=None, label_column=None)
        raw = run.read(source, modality=modality)
        table = raw.table
        if table is None:
            raise InvalidDataError(
                "speech_probe reads labels from a manifest: evaluate on a DataFrame with 'path' and label columns, "
                "or on a dataset name (fsdd, librispeech_subset)."
            )
        missing = [name for name in names if name not in table.columns]
        if missing:
            raise InvalidDataError(f"evaluate.labels names {missing}, not columns of the manifest {list(table.columns)}.")
        train, test = self._split(table, names[0])
        layers = layer_embeddings(run.method, modality, raw)
        features = modality.baseline_features(raw)[:, None, :]
        report: dict[str, Any] = {}
        for name in names:
            labels = table[name].astype(str).to_numpy()
            for prefix, x in (("", layers), (BASELINE_PREFIX, features)):
                result = weighted_layer_probe(x[train], labels[train], x[test], labels[test], steps=self.options.probe_steps,
                                              seed=self.seed)
                report[f"{prefix}speech_probe/{name}/accuracy"] = result["accuracy"]
        report.update({"n_train_clips": int(train.sum()), "n_test_clips": int(test.sum()),
                       BASELINE_KEY: f"mean-pooled {modality.options.features}"})
        return report

    def _label_names(self, modality: Any) -> list[str]:
        labels = self.options.labels if self.options.labels is not None else modality.options.label_column
        return [] if labels is None else [labels] if isinstance(labels, str) else list(labels)

    def _split(self, table, stratify_by: str) -> tuple[np.ndarray, np.ndarray]:
        """Boolean train and test masks: the manifest's ``split`` column, else a seeded stratified split."""
        if "split" in table.columns:
            train, test = (table["split"] == "train").to_numpy(), (table["split"] == "test").to_numpy()
            if not train.any() or not test.any():
                raise InvalidDataError(
                    f"speech_probe needs manifest rows with split 'train' and 'test'; found {sorted(map(str, table['split'].unique()))}."
                )
            return train, test
        index = np.arange(len(table))
        _, held_out = train_test_split(index, test_size=self.options.test_fraction, random_state=self.seed,
                                       stratify=table[stratify_by].astype(str).to_numpy())
        test = np.isin(index, held_out)
        return ~test, test
