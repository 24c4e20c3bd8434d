"""Edge dropping: a graph view that removes each edge independently (GRACE, BGRL, GBT, CCA-SSG)."""

from __future__ import annotations

import dataclasses

import torch

from multissl.methods.generic_input import Inputs, InputsAltered, InputsView
from multissl.views.base import check_ratio


@dataclasses.dataclass(frozen=True)
class EdgeDrop(InputsView):
    """Keep each directed edge of ``context["edge_index"]`` with probability ``1 − p`` (Zhu et al. 2020, GRACE:
    ``R ~ Bernoulli(1 − p)`` per edge, both directions drawn independently as PyG's ``dropout_edge``). Node
    features are untouched, so ``mask`` is None."""

    p: float = 0.2

    def __post_init__(self) -> None:
        check_ratio(self.p, "p", "EdgeDrop")

    def __call__(self, inputs: Inputs, generator: torch.Generator) -> InputsAltered:
        edge_index = inputs.context["edge_index"]
        keep = torch.rand(edge_index.shape[1], generator=generator, device=edge_index.device) >= self.p
        return InputsAltered(inputs.replace(context={**inputs.context, "edge_index": edge_index[:, keep]}), None)
