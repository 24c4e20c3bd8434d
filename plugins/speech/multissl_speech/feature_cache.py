"""Opt-in on-disk feature cache: features are computed once per clip and read back every later epoch."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from multissl_speech.clips import Clips
from multissl_speech.features import FeatureConfig, FeatureExtractor


class CachedFeatureDataset(Dataset):
    """Items ``{"features": (T, F) float32}`` read from ``cache_dir``; missing entries are computed on creation.

    An entry's file name is the SHA-1 of the clip's fingerprint (a file's path, size and modification time, or an
    array's samples: :meth:`Clips.fingerprint`) and the feature configuration, so a changed clip or configuration
    never reads stale features. Missing entries are computed one clip at a time (memory does not grow with the
    corpus). Files are written atomically (temporary file + rename).
    ``computed`` counts the clips whose features were computed by this instance (0 when all were cached).
    """

    def __init__(self, waveforms: Sequence[np.ndarray], config: FeatureConfig, cache_dir: str | os.PathLike) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        clips = waveforms if isinstance(waveforms, Clips) else Clips(list(waveforms), config.sample_rate)
        settings = json.dumps(config.to_dict(), sort_keys=True).encode()
        self.paths = [self.cache_dir / f"{hashlib.sha1(clips.fingerprint(i) + settings).hexdigest()}.npy"
                      for i in range(len(clips))]
        self.num_frames = [int(config.num_frames(int(n))) for n in clips.lengths]
        self.durations = clips.lengths / config.sample_rate
        missing = [i for i, p in enumerate(self.paths) if not p.is_file()]
        self.computed = len(missing)
        if missing:
            extractor = FeatureExtractor(config)
            with torch.inference_mode():
                for i in tqdm(missing, desc="caching features", unit="clip", disable=len(missing) < 50):
                    features, _ = extractor(torch.from_numpy(clips[i])[None])
                    _atomic_save(self.paths[i], features[0].numpy())

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"features": torch.from_numpy(np.load(self.paths[index]))}


def _atomic_save(path: Path, array: np.ndarray) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as file:
        np.save(file, array)
    os.replace(temporary, path)
