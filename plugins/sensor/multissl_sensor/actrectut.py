"""ActRecTut gestures (Bulling et al. 2014): per subject, three synchronised IMUs on the right arm at 32 Hz."""

from __future__ import annotations

import re
from pathlib import Path

from multissl.errors import DatasetNotFoundError, InvalidDataError
from multissl_sensor.streams import Recording

DEVICES = ("hand", "lower_arm", "upper_arm")
"""The IMUs in the order of the ``data`` columns; each has accelerometer xyz and gyroscope xy."""
CHANNELS_PER_DEVICE = 5


def actrectut(folder: Path) -> list[Recording]:
    """One :class:`Recording` per ``subjectN_gesture/data.mat`` under ``folder``, named ``subjectN`` and in subject
    order: ``{"hand", "lower_arm", "upper_arm": (T, 5) arrays, "labels": (T,) gestures 1-12, 1 = NULL}``."""
    from scipy.io import loadmat

    files = sorted(folder.glob("subject*_gesture/data.mat"), key=lambda p: int(re.sub(r"\D", "", p.parent.name)))
    if not files:
        raise DatasetNotFoundError(f"{folder} holds no subjectN_gesture/data.mat; point the data root at the ActRecTut copy.")
    recordings = []
    for path in files:
        mat = loadmat(path)
        data = mat["data"]
        if data.ndim != 2 or data.shape[1] != len(DEVICES) * CHANNELS_PER_DEVICE:
            raise InvalidDataError(f"{path} holds data of shape {data.shape}; ActRecTut has 15 columns (3 IMUs x 5).")
        source = {
            device: data[:, i * CHANNELS_PER_DEVICE : (i + 1) * CHANNELS_PER_DEVICE] for i, device in enumerate(DEVICES)
        }
        source["labels"] = mat["labels"].reshape(-1)
        recordings.append(Recording(path.parent.name.removesuffix("_gesture"), source))
    return recordings
