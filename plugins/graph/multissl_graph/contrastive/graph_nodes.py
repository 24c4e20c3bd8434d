"""The ``graph_nodes`` generic input: a graph's nodes are the samples the core's generic methods see.

``Inputs.x`` is the node-feature matrix ``(N, F)`` (a node's features are its positions, so core views mask them),
``context["edge_index"]`` the ``(2, E)`` edges the encoder propagates over. With the modality's neighbour loader
(``loader: neighbor``) a batch is seed nodes followed by their sampled neighbourhood: the encoder reads every node,
but :meth:`GraphNodes.embed`, :meth:`GraphNodes.target` and the reconstruction loss keep the ``seed_count`` seed
rows only, so every loss counts seed nodes only. Full-batch graphs have no ``seed_count``: every node counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from multissl.errors import InvalidDataError
from multissl.methods.generic_input import GenericInput, Inputs, InputsAltered

SPARSE_BELOW = 0.1
"""Features with fewer non-zeros than this share go to a ``sparse_features`` encoder as a sparse tensor."""


class GraphNodes(GenericInput):
    """Nodes as samples: ``embed`` is the node encoder's ``(N, D)`` output on ``(x, edge_index)``, seed rows only."""

    def inputs(self, batch: Mapping[str, Any]) -> Inputs:
        missing = [key for key in ("x", "edge_index") if key not in batch]
        if missing:
            raise InvalidDataError(
                f"graph_nodes reads a graph batch with 'x' and 'edge_index', but {missing} are missing (the batch holds "
                f"{sorted(batch)}); use it with the graph modality."
            )
        context: dict[str, Any] = {"edge_index": batch["edge_index"]}
        if "seed_count" in batch:
            context["seed_count"] = int(batch["seed_count"])
        return Inputs(batch["x"], None, context)

    def all_nodes(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        """The encoder's outputs for every node of the batch, seeds and sampled neighbours alike. An encoder that
        declares ``sparse_features`` reads mostly-zero features (bag-of-words, as Cora's 1.3% non-zeros) as a sparse
        COO tensor: its first layer's product then costs the non-zeros only (half the CPU time of a step on Cora)."""
        x = inputs.x
        # features that need a gradient (GraphMAE's learnable [MASK] token) stay dense: to_sparse() passes a gradient
        # to the stored non-zeros only, so a token starting at zero would never learn
        sparse = getattr(encoder, "sparse_features", False) and x.dim() == 2 and not x.requires_grad
        if sparse and x.count_nonzero() < SPARSE_BELOW * x.numel():
            x = x.to_sparse()
        return encoder.embed(x, inputs.context["edge_index"])

    @staticmethod
    def seed_rows(inputs: Inputs | InputsAltered, rows: Tensor | None) -> Tensor | None:
        """The seed nodes' rows of ``rows`` (all of them for a full-batch graph)."""
        if isinstance(inputs, InputsAltered):
            inputs = inputs.inputs
        seeds = inputs.context.get("seed_count")
        return rows if rows is None or seeds is None else rows[:seeds]

    def embed(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        return self.seed_rows(inputs, self.all_nodes(encoder, inputs))

    def target(self, inputs: Inputs) -> Tensor:
        return self.seed_rows(inputs, inputs.x)

    def reconstruction_loss(self, encoded: Tensor, head: nn.Module, original: Inputs, altered: InputsAltered, error: nn.Module):
        """The core's masked reconstruction on the seed nodes: their predicted features against their clean ones,
        on the entries the views hid."""
        mask = self.seed_rows(altered, altered.mask)
        return super().reconstruction_loss(encoded, head, original, InputsAltered(altered.inputs, mask), error)
