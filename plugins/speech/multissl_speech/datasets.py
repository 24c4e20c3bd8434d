"""The shared speech datasets as manifests: one row per clip with its path, labels and split.

Registered as ``fsdd`` and ``librispeech_subset`` (``multissl datasets``); each function receives the dataset's
folder under the data root and returns the DataFrame the ``speech`` modality loads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from multissl.errors import DatasetNotFoundError


def fsdd(folder: Path) -> pd.DataFrame:
    """Free Spoken Digit Dataset: ``recordings/{digit}_{speaker}_{index}.wav``; columns ``path``, ``digit``,
    ``speaker``, ``index`` and ``split`` (FSDD's official split: index 0-4 ``test``, 5-49 ``train``)."""
    files = sorted(Path(folder).rglob("*.wav"))
    parts = [f.stem.split("_") for f in files]
    if not files or any(len(p) != 3 or not p[2].isdigit() for p in parts):
        raise DatasetNotFoundError(
            f"{folder} should hold FSDD's recordings named {{digit}}_{{speaker}}_{{index}}.wav; "
            f"found {len(files)} WAV files{'' if not files else ', some named otherwise'}."
        )
    index = np.array([int(p[2]) for p in parts])
    return pd.DataFrame({
        "path": [str(f) for f in files],
        "digit": [p[0] for p in parts],
        "speaker": [p[1] for p in parts],
        "index": index,
        "split": np.where(index < 5, "test", "train"),
    })


def librispeech_subset(folder: Path) -> pd.DataFrame:
    """LibriSpeech excerpts: ``{speaker}-{chapter}-{utterance}.flac`` in ``librispeech_test-other/`` (10 speakers x
    10 utterances) and ``librispeech_train-clean-100/`` (one clip per speaker). Columns ``path``, ``speaker``,
    ``subset`` and ``split``: test-other's utterances of each speaker, sorted by name, alternate ``train`` / ``test``
    (speaker identification); train-clean-100 is ``unlabelled`` (its speakers occur once: pretraining only)."""
    files = sorted(Path(folder).rglob("*.flac"))
    if not files:
        raise DatasetNotFoundError(f"{folder} should hold LibriSpeech FLAC files ({{speaker}}-{{chapter}}-{{utt}}.flac).")
    table = pd.DataFrame({
        "path": [str(f) for f in files],
        "speaker": [f.name.split("-")[0] for f in files],
        "subset": [f.relative_to(folder).parts[0].removeprefix("librispeech_") for f in files],
    })
    rank = table.groupby(["subset", "speaker"]).cumcount()
    table["split"] = np.where(table["subset"] != "test-other", "unlabelled", np.where(rank % 2 == 1, "test", "train"))
    return table
