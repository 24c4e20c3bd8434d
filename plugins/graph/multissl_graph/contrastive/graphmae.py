"""GraphMAE: a masked graph autoencoder (Hou et al. 2022; reference github.com/THUDM/GraphMAE).

A share ``mask_rate`` of the nodes is masked: most get the learnable token ``x_[M]`` in place of their features, a
share ``replace_rate`` of them the features of random nodes instead. A GAT encoder reads the corrupted graph; its
output goes through a linear map (no bias), the masked nodes' rows are masked again (set to zero: "re-mask"), and a
single-layer GAT decoder (the encoder's dropout, slope and ``init``) reconstructs every node's features. The loss is
the scaled cosine error on the masked nodes, ``L = mean_{i∈M} (1 − cos(x_i, z_i))^γ`` (the core's
:class:`~multissl.objectives.scaled_cosine_error.ScaledCosineError`). The embedding is the encoder's on the clean
graph. With neighbour batches the loss counts masked seed nodes only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from multissl.errors import RecipeError
from multissl.methods.base import Method
from multissl.methods.components import build_encoder, build_input
from multissl.objectives.scaled_cosine_error import ScaledCosineError
from multissl_graph.contrastive.gat_heads import MultiHeadGAT


DECODER_SHARES = ("feat_drop", "attn_drop", "negative_slope", "init")
"""``encoder_options`` the decoder takes from the encoder's (``gat_heads``' defaults where the recipe sets none)."""


@dataclasses.dataclass
class GraphMAEConfig:
    """Options of ``graphmae`` (recipe ``method`` block); defaults from the reference's Cora configuration."""

    input: str = "graph_nodes"
    encoder: str = "gat_heads"
    encoder_options: dict[str, Any] = dataclasses.field(
        default_factory=lambda: {"hidden_dim": 512, "heads": 4, "num_layers": 2, "feat_drop": 0.2, "attn_drop": 0.1}
    )
    mask_rate: float = 0.5
    replace_rate: float = 0.05
    gamma: float = 3.0
    """γ of the scaled cosine error (the reference's ``alpha_l``)."""


class GraphMAE(Method):
    """Masked node-feature reconstruction with a [MASK] token, re-masking and a GAT decoder."""

    Config = GraphMAEConfig
    optimizer_defaults = {"name": "adam", "lr": 1e-3, "weight_decay": 2e-4, "warmup_fraction": 0.0, "schedule": "cosine"}
    trainer_defaults = {"max_epochs": 1500}

    def __init__(self, config: GraphMAEConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        if not (0.0 < config.mask_rate < 1.0 and 0.0 <= config.replace_rate < 1.0):
            raise RecipeError(
                f"graphmae needs 0 < mask_rate < 1 and 0 <= replace_rate < 1, got {config.mask_rate} and {config.replace_rate}."
            )
        self.input = build_input(config.input, input_spec)
        self.encoder = build_encoder(config.encoder, input_spec, config.encoder_options)
        width, features = self.encoder.output_dim, int(input_spec["input_dim"])
        self.mask_token = nn.Parameter(torch.zeros(1, features))
        self.encoder_to_decoder = nn.Linear(width, width, bias=False)
        shared = {key: value for key, value in config.encoder_options.items() if key in DECODER_SHARES}
        self.decoder = MultiHeadGAT(width, features, heads=1, num_layers=1, final_activation=False, **shared)
        self.error = ScaledCosineError(config.gamma)

    def corrupt(self, x: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """The masked features and the bool ``(N,)`` mask: token on ``(1 − replace_rate)`` of the masked nodes, a
        random node's features on the rest."""
        n = x.shape[0]
        masked = torch.randperm(n, generator=generator, device=x.device)[: int(self.config.mask_rate * n)]
        order = torch.randperm(len(masked), generator=generator, device=x.device)
        noisy_count = int(self.config.replace_rate * len(masked))
        token_nodes, noisy_nodes = masked[order[: len(masked) - noisy_count]], masked[order[len(masked) - noisy_count :]]
        donors = torch.randperm(n, generator=generator, device=x.device)[:noisy_count]
        corrupted = x.clone()
        corrupted[token_nodes] = self.mask_token.to(x.dtype)
        corrupted[noisy_nodes] = x[donors]
        mask = torch.zeros(n, dtype=torch.bool, device=x.device)
        mask[masked] = True
        return corrupted, mask

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        inputs = self.input.inputs(batch)
        corrupted, mask = self.corrupt(inputs.x, self.generator(inputs.x.device))
        hidden = self.encoder_to_decoder(self.input.all_nodes(self.encoder, inputs.replace(x=corrupted)))
        hidden = hidden.masked_fill(mask[:, None], 0.0)
        reconstructed = self.decoder(hidden, inputs.context["edge_index"])
        seeds = self.input.seed_rows
        return self.error(seeds(inputs, reconstructed), seeds(inputs, inputs.x), seeds(inputs, mask))

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.input.embed(self.encoder, self.input.inputs(batch))
