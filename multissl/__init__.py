"""multissl: self-supervised pretraining for data that is not images.

    run = multissl.pretrain("vectors", data="breast_cancer", method="simclr", max_epochs=50)
    Z = run.embed(rows)
    multissl.evaluate(run, data="breast_cancer", labels="target")
    run.save("runs/demo"); run = multissl.load("runs/demo")

Importing this package is cheap: torch and Lightning load on first use of the training API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from multissl.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "evaluate", "finetune", "hookimpl", "load", "pretrain", "register", "Run"]

if TYPE_CHECKING:
    from multissl.api import Run, evaluate, load, pretrain, register
    from multissl.finetuning import finetune

_LAZY = {
    "pretrain": "multissl.api",
    "load": "multissl.api",
    "evaluate": "multissl.api",
    "register": "multissl.api",
    "Run": "multissl.api",
    "finetune": "multissl.finetuning",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'multissl' has no attribute {name!r}")
