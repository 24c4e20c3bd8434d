"""What a SelfTask pretext task provides: targets built once per graph, a head, and a loss on node embeddings."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, ClassVar

import torch
from torch import nn

Graph = dict[str, torch.Tensor]
"""The graph modality's batch: ``x``, ``edge_index``, ``y`` (-1 unknown), ``train_mask`` (and ``val_mask``)."""


@dataclasses.dataclass
class TrainingInputs:
    """What the encoder trains on in one step (``x``, ``edge_index``) and what the task's loss reads besides the
    embeddings (``targets``, e.g. AttributeMask's hidden features): made per step and passed to ``loss``."""

    x: torch.Tensor
    edge_index: torch.Tensor
    targets: dict[str, torch.Tensor] = dataclasses.field(default_factory=dict)


class PretextTask(nn.Module):
    """A pretext task on the node embeddings ``h`` (N, D) of one graph.

    ``prepare`` computes the task's targets from the full training graph once and keeps them
    (recomputed only for a graph of another size); ``encoder_inputs`` is what the encoder reads from
    node features (PCA for AttributeMask) in training and in ``embed``; ``training_inputs`` is the
    :class:`TrainingInputs` of one step: the features and edges the encoder sees while training
    (EdgeMask hides edges, AttributeMask features) and what ``loss`` reads of them; ``loss`` draws
    what it samples from ``generator``. ``nodes`` gives the global ids of the rows of ``h`` on a
    neighbour-loader mini-batch (``None``: all nodes in order).

    Class flags: ``needs_labels`` (needs labelled training nodes, so joint training only),
    ``whole_graph`` (why the task needs the whole graph at every step; empty when it trains on
    neighbour-loader subgraphs), ``reads_neighbourhood`` (on those subgraphs the loss reads the rows of
    the sampled neighbours too, not only the seed nodes'), ``after_dropout`` (reads ``h`` after the
    encoder's dropout, as the reference does for every task but ContextLabel). The task's weight lambda
    and per-dataset options are in :mod:`multissl_graph.tasks.reference_settings`.
    """

    needs_labels: ClassVar[bool] = False
    whole_graph: ClassVar[str] = ""
    reads_neighbourhood: ClassVar[bool] = False
    after_dropout: ClassVar[bool] = True

    def __init__(self, hidden_dim: int, input_spec: dict[str, Any]) -> None:
        super().__init__()
        self.encoder_input_dim = int(input_spec["input_dim"])
        self._prepared_for: tuple[int, int] | None = None

    def prepare(self, graph: Graph, seed: int) -> None:
        key = (int(graph["x"].shape[0]), int(graph["edge_index"].shape[1]))
        if self._prepared_for != key:
            self.build_targets(graph, seed)
            self._prepared_for = key

    def build_targets(self, graph: Graph, seed: int) -> None:
        raise NotImplementedError

    def encoder_inputs(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def training_inputs(self, x: torch.Tensor, edge_index: torch.Tensor, nodes: torch.Tensor | None = None) -> TrainingInputs:
        """What the encoder trains on this step; ``x`` already passed through :meth:`encoder_inputs`."""
        return TrainingInputs(x, edge_index)

    def loss(self, h: torch.Tensor, generator: torch.Generator, nodes: torch.Tensor | None = None,
             inputs: TrainingInputs | None = None):
        """``(loss, logs)`` of the embeddings ``h`` of the step whose :meth:`training_inputs` were ``inputs``."""
        raise NotImplementedError


def pair_difference(h: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
    """(P, D) ``|h_u - h_v|`` of (P, 2) node pairs, as ``|S h|`` with ``S`` the sparse (P, N) matrix of +1 at
    ``u`` and -1 at ``v``: its backward is a sparse product, 10x faster on CPU than the scatter-add backward
    of gathering ``h[u]`` and ``h[v]``, which made up most of a PairwiseDistance step."""
    count = len(pairs)
    rows = torch.arange(0, 2 * count + 1, 2, device=h.device)
    signs = torch.tensor([1.0, -1.0], device=h.device, dtype=h.dtype).repeat(count)
    with warnings.catch_warnings():  # "sparse CSR support is in beta": products with a dense matrix are stable
        warnings.simplefilter("ignore", UserWarning)
        difference = torch.sparse_csr_tensor(rows, pairs.reshape(-1), signs, (count, h.shape[0])) @ h
    return difference.abs()
