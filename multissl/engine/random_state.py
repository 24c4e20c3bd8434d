"""The process's random states (torch, numpy, Python) saved in every checkpoint and restored on resume.

Dropout and any other draw from the global generators continue after a resume as they would have without
the interruption. (The views' own generator is saved by :class:`multissl.methods.base.Method`.) Lightning does
not save these states in a checkpoint; numpy's array becomes a tensor because checkpoints are loaded with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

KEY = "multissl_random_state"


class RandomStateCallback(Callback):
    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> None:
        kind, keys, position, has_gauss, cached = np.random.get_state()
        checkpoint[KEY] = {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
            "python": list(random.getstate()),
        }

    def on_load_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> None:
        state = checkpoint.get(KEY)
        if state is None:  # written before these states were saved
            return
        torch.set_rng_state(state["torch"])
        if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(state["cuda"])
        kind, keys, position, has_gauss, cached = state["numpy"]
        np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))
