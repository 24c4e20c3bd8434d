"""The ``speech`` modality: audio clips in, padded waveform (or cached feature) batches out."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm.auto import tqdm

from multissl.engine.resumable_loader import ResumableDataLoader
from multissl.errors import EmptyDataError, InvalidDataError, RecipeError
from multissl.modalities.base import Modality, PreprocessingState
from multissl_speech.audio import AUDIO_EXTENSIONS, STRICT_HINT, AudioCollection, load_audio
from multissl_speech.batching import BatchItems, DurationBatchSampler
from multissl_speech.clips import clip_lengths
from multissl_speech.feature_cache import CachedFeatureDataset
from multissl_speech.features import FeatureConfig, FeatureExtractor, frame_mask
from multissl_speech.frame_statistics import FrameStatistics
from multissl_speech.generic_defaults import SPEECH_METHOD_DEFAULTS


@dataclasses.dataclass
class SpeechOptions:
    """Recipe keys under ``data`` for the ``speech`` modality."""

    sample_rate: int = 16000
    """Every clip is resampled to this rate (TERA and HuBERT: 16 kHz)."""
    features: Literal["logmel", "fbank", "mfcc"] = "logmel"
    n_mels: int = 80
    n_mfcc: int = 13
    deltas: int = 0
    cmvn: Literal["utterance", "global", "none"] = "utterance"
    target_db: float | None = -25.0
    """Scale each waveform to this RMS level (dB) before features (TERA's -25 dB); None keeps it."""
    max_seconds: float | None = 15.0
    """Longer clips are cropped to this: a random window in training, the leading one otherwise (TERA: 1500 frames)."""
    max_batch_seconds: float | None = None
    """Bound batches by total padded duration (seconds); loader.batch_size then caps the count. None: by count."""
    feature_cache: str | None = None
    """Directory of an on-disk feature cache (features computed once, read every epoch). None: computed per batch."""
    strict: bool = False
    """Undecodable, empty or non-finite training inputs raise instead of being skipped and counted (data to embed
    or evaluate with a trained run always raises: its rows must match the inputs)."""
    label_column: str | None = None
    """The manifest column holding the labels evaluation reads by default (a registered dataset sets it)."""
    splits: list[str] | None = None
    """Keep only the manifest rows whose ``split`` column is one of these (``[train]``: pretrain without test clips)."""
    extensions: list[str] = dataclasses.field(default_factory=lambda: list(AUDIO_EXTENSIONS))


class WaveformDataset(Dataset):
    """Items ``{"waveform": (S,) float32}``; files are decoded when an item is read."""

    def __init__(self, waveforms: Sequence[np.ndarray], sample_rate: int) -> None:
        self.waveforms = waveforms
        self.durations = clip_lengths(waveforms) / sample_rate

    def __len__(self) -> int:
        return len(self.waveforms)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"waveform": torch.from_numpy(self.waveforms[index])}


class Speech(Modality):
    """Audio clips (see :func:`multissl_speech.audio.load_audio` for the sources it reads).

    Batches: ``{"waveform": (N, S), "num_samples": (N,)}``, zero-padded, or with ``feature_cache``
    ``{"features": (N, T, F), "num_frames": (N,)}``. Methods compute features on the batch's device from the
    configuration in ``input_spec()["features"]``; ``cmvn: global`` fits the mean and standard deviation of
    the training features (the preprocessing state saved with a run).
    """

    name = "speech"
    Options = SpeechOptions
    method_defaults: ClassVar[dict[str, dict[str, Any]]] = SPEECH_METHOD_DEFAULTS

    def __init__(self, options: SpeechOptions | None = None) -> None:
        super().__init__(options)
        o = self.options
        if o.sample_rate <= 0 or (o.max_seconds is not None and o.max_seconds <= 0):
            raise RecipeError(f"speech sample_rate and max_seconds must be positive, got {o.sample_rate} and {o.max_seconds}.")
        self.global_mean: np.ndarray | None = None
        self.global_std: np.ndarray | None = None
        self.feature_config(unfitted_ok=True)  # validates the feature options now

    def feature_config(self, *, unfitted_ok: bool = False, cmvn: str | None = None) -> FeatureConfig:
        o = self.options
        cmvn = cmvn or o.cmvn
        fitted_global = cmvn == "global" and self.global_mean is not None
        if cmvn == "global" and not fitted_global and not unfitted_ok:
            raise InvalidDataError("cmvn='global' needs the training statistics: call fit(raw) first.")
        return FeatureConfig(
            kind=o.features, sample_rate=o.sample_rate, n_mels=o.n_mels, n_mfcc=o.n_mfcc, deltas=o.deltas,
            cmvn=cmvn if cmvn != "global" or fitted_global else "none", target_db=o.target_db,
            global_mean=tuple(map(float, self.global_mean)) if fitted_global else None,
            global_std=tuple(map(float, self.global_std)) if fitted_global else None,
        )

    def load(self, source: Any) -> AudioCollection:
        """Read ``source`` (:func:`~multissl_speech.audio.load_audio`). Before ``fit`` (training data) unusable
        inputs are skipped and counted unless ``strict``; once fitted (data a trained run embeds or evaluates)
        they raise :class:`InvalidDataError` naming every one, so that embeddings keep one row per input."""
        o = self.options
        if isinstance(source, pd.DataFrame):
            source = self._manifest_rows(source)
        elif o.label_column is not None or o.splits is not None:
            raise InvalidDataError(
                f"data.label_column / data.splits read a manifest's columns, but the speech source is a "
                f"{type(source).__name__}; pass a DataFrame with a 'path' column (or a dataset name such as fsdd)."
            )
        win = FeatureConfig(sample_rate=o.sample_rate).win_length
        hint = ("a trained run gives one row per input, so every input must decode: remove or repair these files"
                if self.fitted else STRICT_HINT)
        return load_audio(source, o.sample_rate, min_samples=win, strict=o.strict or self.fitted, strict_hint=hint,
                          extensions=o.extensions)

    def _manifest_rows(self, table: pd.DataFrame) -> pd.DataFrame:
        o = self.options
        for option, column in (("label_column", o.label_column), ("splits", "split" if o.splits is not None else None)):
            if column is not None and column not in table.columns:
                raise InvalidDataError(
                    f"data.{option} needs the manifest column {column!r}; the manifest has {list(table.columns)}."
                )
        if o.splits is None:
            return table
        kept = table[table["split"].isin(o.splits)]
        if kept.empty:
            raise EmptyDataError(
                f"No manifest row has a split in data.splits={o.splits}; the splits present are "
                f"{sorted(map(str, table['split'].unique()))}."
            )
        return kept

    def fit(self, raw: AudioCollection) -> None:
        if self.options.cmvn == "global":
            statistics = self.frame_statistics(raw, cmvn="none")
            self.global_mean = statistics.mean.astype(np.float32)
            self.global_std = np.maximum(np.sqrt(statistics.variance), 1e-5).astype(np.float32)
        self.fitted = True

    def pooled_features(self, raw: AudioCollection, *, cmvn: str | None = None) -> np.ndarray:
        """Mean over frames of every clip's features (cropped as in evaluation), ``(N, F)``."""
        out = []
        for features, valid in self._feature_batches(raw, cmvn):
            valid = valid[..., None]
            out.append((features * valid).sum(1) / valid.sum(1).clamp(min=1))
        return torch.cat(out).numpy()

    def frame_statistics(self, raw: AudioCollection, *, cmvn: str | None = None) -> FrameStatistics:
        """Mean and variance over all frames of every clip, accumulated a batch at a time."""
        statistics = FrameStatistics(self.feature_config(cmvn=cmvn).dim)
        for features, valid in self._feature_batches(raw, cmvn):
            statistics.update(features[valid].double().numpy())
        return statistics

    def _feature_batches(self, raw: AudioCollection, cmvn: str | None,
                         batch_size: int = 32) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """``(features (N, T, F), valid frames (N, T))`` per batch of clips in input order."""
        extractor = FeatureExtractor(self.feature_config(cmvn=cmvn))
        loader = self.dataloader(WaveformDataset(raw.waveforms, raw.sample_rate), batch_size=batch_size, shuffle=False,
                                 drop_last=False, num_workers=0, seed=0)
        with torch.inference_mode():
            for batch in tqdm(loader, desc="features", unit="batch", disable=len(loader) < 20):
                features, num_frames = extractor(batch["waveform"], batch["num_samples"])
                yield features, frame_mask(num_frames, features.shape[1])

    def dataset(self, raw: AudioCollection) -> Dataset:
        if not self.fitted:
            raise InvalidDataError("The speech preprocessing is not fitted yet: call fit(raw) on training data first.")
        if self.options.feature_cache:
            return CachedFeatureDataset(raw.waveforms, self.feature_config(), self.options.feature_cache)
        return WaveformDataset(raw.waveforms, raw.sample_rate)

    def collate(self, items: list[dict[str, torch.Tensor]], generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Crop to ``max_seconds`` (a random window when ``generator`` is given, else the leading one) and zero-pad."""
        key, count_key = ("features", "num_frames") if "features" in items[0] else ("waveform", "num_samples")
        limit = None
        if self.options.max_seconds is not None:
            config = self.feature_config(unfitted_ok=True)
            limit = (int(self.options.max_seconds * 1000 / config.hop_ms) if key == "features"
                     else int(self.options.max_seconds * self.options.sample_rate))
        values = []
        for item in items:
            value = item[key]
            if limit is not None and len(value) > limit:
                start = 0 if generator is None else int(torch.randint(len(value) - limit + 1, (1,), generator=generator))
                value = value[start:start + limit]
            values.append(value)
        lengths = torch.tensor([len(v) for v in values], dtype=torch.long)
        padded = torch.nn.utils.rnn.pad_sequence(values, batch_first=True)
        return {key: padded, count_key: lengths}

    def dataloader(self, dataset: Dataset, *, batch_size: int, shuffle: bool, drop_last: bool, num_workers: int,
                   seed: int) -> DataLoader:
        """Batches by count, or by total duration with ``max_batch_seconds``; random crops when shuffling (training).
        Training batches come from a :class:`~multissl.engine.resumable_loader.ResumableDataLoader`: the epoch's order
        is drawn from ``(seed, epoch)``, and a run resumed inside an epoch goes on with the batches it had not reached
        (their crops drawn afresh)."""
        collate = functools.partial(self.collate, generator=torch.Generator().manual_seed(seed) if shuffle else None)
        if self.options.max_batch_seconds is None:
            return super().dataloader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                                      num_workers=num_workers, seed=seed, collate_fn=collate)
        durations = np.asarray(_durations(dataset))
        if self.options.max_seconds is not None:
            durations = np.minimum(durations, self.options.max_seconds)
        sampler = DurationBatchSampler(durations, self.options.max_batch_seconds, batch_size, shuffle=shuffle, seed=seed,
                                       drop_last=drop_last)
        # the sampler yields whole batches (it shards them between processes itself), so the loader does not batch
        loader = ResumableDataLoader if shuffle else DataLoader
        return loader(BatchItems(dataset), sampler=sampler, batch_size=None, num_workers=num_workers,
                      collate_fn=collate, persistent_workers=num_workers > 0)

    def input_spec(self) -> dict[str, Any]:
        config = self.feature_config()
        return {"input_dim": config.dim, "sample_rate": self.options.sample_rate, "features": config.to_dict()}

    def state_dict(self) -> PreprocessingState:
        state: PreprocessingState = {"sample_rate": self.options.sample_rate}
        if self.global_mean is not None:
            state.update(global_mean=self.global_mean, global_std=self.global_std)
        return state

    def load_state_dict(self, state: PreprocessingState) -> None:
        if int(state["sample_rate"]) != self.options.sample_rate:
            raise InvalidDataError(f"The run was trained at {state['sample_rate']} Hz, the recipe says {self.options.sample_rate}.")
        if "global_mean" in state:
            self.global_mean = np.asarray(state["global_mean"], dtype=np.float32)
            self.global_std = np.asarray(state["global_std"], dtype=np.float32)
        self.fitted = True

    def example(self) -> dict[str, Any]:
        """24 synthetic clips (0.3-0.8 s at 16 kHz) of two kinds: low and high harmonic tones in noise."""
        rng = np.random.default_rng(0)
        audio, labels = [], []
        for i in range(24):
            t = np.arange(int(rng.uniform(0.3, 0.8) * 16000)) / 16000
            f0 = 150.0 if i % 2 else 400.0
            wave = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 4)) + 0.05 * rng.normal(size=t.size)
            audio.append((0.3 * wave).astype(np.float32))
            labels.append(i % 2)
        return {"audio": audio, "sample_rate": 16000, "labels": np.array(labels)}

    def labels(self, raw: AudioCollection) -> np.ndarray | None:
        """The manifest's ``label_column``, else the labels passed with arrays."""
        if self.options.label_column is not None and raw.table is not None:
            return raw.table[self.options.label_column].to_numpy()
        return raw.labels

    def sample_ids(self, raw: AudioCollection) -> list[str]:
        """The inputs' file paths, or ``utt<i>`` for the ``i``-th in-memory array (skipped inputs keep their
        numbers out), in ``embed`` order."""
        return list(raw.names)

    def baseline_features(self, raw: AudioCollection) -> np.ndarray:
        """Mean over frames of the configured features without per-utterance CMVN (whose mean is 0): e.g. log-mel."""
        return self.pooled_features(raw, cmvn="none" if self.options.cmvn == "utterance" else None)


def _durations(dataset: Dataset) -> list[float]:
    if isinstance(dataset, Subset):
        parent = _durations(dataset.dataset)
        return [parent[i] for i in dataset.indices]
    if not hasattr(dataset, "durations"):
        raise InvalidDataError(f"max_batch_seconds needs a speech dataset with durations, got {type(dataset).__name__}.")
    return list(dataset.durations)
