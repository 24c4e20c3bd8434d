"""SGL's three augmentations of the user-item graph, as views of the core's :class:`Inputs`.

Wu et al. 2021 (SGL), eqs. 3-5, and the SGL code (wujcan/SGL-Torch), with ratio ``ρ``:

- node dropout (ND, ``interaction_node_drop``): each user and each item is removed with probability ``ρ``,
  with all its interactions;
- edge dropout (ED, ``interaction_edge_drop``): each interaction is removed with probability ``ρ``;
- random walk (RW, ``interaction_random_walk``): an independent edge dropout for every propagation layer
  (``layers`` of them), so a node's receptive field is a random-walk-like subgraph.

For masked reconstruction, ``interaction_edge_mask`` hides a share ``ρ`` of the interactions (MaskGAE, Li et al. 2023),
marks the batch's hidden ones in ``mask`` and draws for each sample an item its user has not interacted with
(``negative_items``), against which the hidden interactions are scored.

The kept interactions are renormalised into ``Â`` (:func:`~multissl_recsys.adjacency.normalized_adjacency`).
``inputs.context`` holds the graph the views alter: ``graph_user``/``graph_item`` (E,), ``adjacency`` (``Â``;
a tuple of one per layer after random walk), ``n_users``, ``n_items``. SGL draws its two graphs with these
classes, and the core's generic methods on ``interactions`` use them as registered views.
"""

from __future__ import annotations

import dataclasses

import torch

from multissl.errors import RecipeError
from multissl.methods.generic_input import Inputs, InputsAltered, InputsView
from multissl_recsys.adjacency import edge_dropped, node_dropped, normalized_adjacency
from multissl_recsys.negatives import interaction_keys, sample_negatives


def _check_ratio(view: InputsView) -> None:
    if not 0.0 < view.ratio < 1.0:
        raise RecipeError(f"{type(view).__name__} ratio must be in (0, 1), got {view.ratio}.")


def _with_graph(inputs: Inputs, users: torch.Tensor, items: torch.Tensor) -> InputsAltered:
    """``inputs`` whose graph is the interactions ``(users, items)``, renormalised."""
    context = inputs.context
    adjacency = normalized_adjacency(users, items, context["n_users"], context["n_items"])
    return InputsAltered(inputs.replace(context={**context, "graph_user": users, "graph_item": items, "adjacency": adjacency}), None)


@dataclasses.dataclass
class InteractionEdgeDrop(InputsView):
    """SGL-ED: every interaction dropped independently with probability ``ratio``."""

    ratio: float = 0.1

    def __post_init__(self) -> None:
        _check_ratio(self)

    def __call__(self, inputs: Inputs, generator: torch.Generator) -> InputsAltered:
        users, items = edge_dropped(inputs.context["graph_user"], inputs.context["graph_item"], self.ratio, generator)
        return _with_graph(inputs, users, items)


@dataclasses.dataclass
class InteractionNodeDrop(InputsView):
    """SGL-ND: every user and item dropped independently with probability ``ratio``, with its interactions."""

    ratio: float = 0.1

    def __post_init__(self) -> None:
        _check_ratio(self)

    def __call__(self, inputs: Inputs, generator: torch.Generator) -> InputsAltered:
        c = inputs.context
        users, items = node_dropped(c["graph_user"], c["graph_item"], c["n_users"], c["n_items"], self.ratio, generator)
        return _with_graph(inputs, users, items)


@dataclasses.dataclass
class InteractionRandomWalk(InputsView):
    """SGL-RW: one edge dropout per layer; ``adjacency`` becomes a tuple of ``layers`` graphs (the interactions
    ``graph_user``/``graph_item`` stay those of the input, so apply it last)."""

    ratio: float = 0.1
    layers: int = 2

    def __post_init__(self) -> None:
        _check_ratio(self)
        if int(self.layers) != self.layers or self.layers < 1:
            raise RecipeError(f"InteractionRandomWalk layers must be a positive integer (the encoder's n_layers), got {self.layers!r}.")

    def __call__(self, inputs: Inputs, generator: torch.Generator) -> InputsAltered:
        c = inputs.context
        graphs = []
        for _ in range(self.layers):
            users, items = edge_dropped(c["graph_user"], c["graph_item"], self.ratio, generator)
            graphs.append(normalized_adjacency(users, items, c["n_users"], c["n_items"]))
        return InputsAltered(inputs.replace(context={**c, "adjacency": tuple(graphs)}), None)


@dataclasses.dataclass
class InteractionEdgeMask(InputsView):
    """MaskGAE's edge masking: every interaction hidden with probability ``ratio``; ``mask`` (N,) marks the samples
    whose interaction is hidden, ``negative_items`` (N,) holds one item node per sample that its user has not
    interacted with."""

    ratio: float = 0.5

    def __post_init__(self) -> None:
        _check_ratio(self)

    def __call__(self, inputs: Inputs, generator: torch.Generator) -> InputsAltered:
        c = inputs.context
        n_users, n_items = c["n_users"], c["n_items"]
        hidden = torch.rand(c["graph_user"].shape, generator=generator, device=c["graph_user"].device) < self.ratio
        hidden_keys = interaction_keys(c["graph_user"][hidden], c["graph_item"][hidden], n_items)
        users, items = inputs.x[:, 0], inputs.x[:, 1] - n_users
        keys = users * n_items + items
        position = torch.searchsorted(hidden_keys, keys).clamp(max=max(len(hidden_keys) - 1, 0))
        mask = hidden_keys[position] == keys if len(hidden_keys) else torch.zeros_like(keys, dtype=torch.bool)
        negatives = sample_negatives(users, c["graph_keys"], n_items, generator) + n_users
        altered = _with_graph(inputs, c["graph_user"][~hidden], c["graph_item"][~hidden]).inputs
        return InputsAltered(altered.replace(context={**altered.context, "negative_items": negatives}), mask)


SGL_AUGMENTATIONS = {"edge_drop": InteractionEdgeDrop, "node_drop": InteractionNodeDrop, "random_walk": InteractionRandomWalk}
"""SGL's ``augmentation`` option: the paper's variants SGL-ED, SGL-ND, SGL-RW."""


def sgl_augmentation(name: str, ratio: float, layers: int) -> InputsView:
    """The view of SGL's ``augmentation`` ``name`` with drop ratio ``ratio`` (``layers`` graphs for random walk)."""
    if name not in SGL_AUGMENTATIONS:
        raise RecipeError(f"sgl augmentation must be one of {sorted(SGL_AUGMENTATIONS)}, got {name!r}.")
    if name == "random_walk":
        return InteractionRandomWalk(ratio, layers)
    return SGL_AUGMENTATIONS[name](ratio)
