"""Fine-tuning a pretrained run on labelled data: :func:`finetune`, the :class:`FineTunedRun` it returns, and
the ``finetune`` evaluator (frozen vs fine-tuned vs from-scratch). Imported lazily: the command line's parser
reads :mod:`multissl.finetuning.command` without loading torch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["FineTunedRun", "finetune"]

if TYPE_CHECKING:
    from multissl.finetuning.run import FineTunedRun, finetune


def __getattr__(name: str) -> Any:
    if name in __all__:
        from multissl.finetuning import run

        return getattr(run, name)
    raise AttributeError(f"module 'multissl.finetuning' has no attribute {name!r}")
