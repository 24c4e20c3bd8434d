"""Deep Graph Infomax (Velickovic et al. 2019; reference github.com/PetarV-/DGI).

Real node embeddings ``h = E(X, A)`` and corrupted ones ``h̃ = E(X[π], A)`` (rows of ``X`` shuffled, ``π`` a random
permutation); the summary is ``s = σ(mean_i h_i)``; a bilinear discriminator ``D(h, s) = h^T W s`` scores each pair,
and ``L = BCE(D(h_i, s), 1) + BCE(D(h̃_i, s), 0)`` averaged over ``2N`` pairs. The paper's transductive encoder is
one GCN layer of 512 with PReLU (``gcn_stack``); the embedding is ``h``. With neighbour batches the summary and the
loss read the seed nodes only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from multissl.methods.base import Method
from multissl.methods.components import build_encoder, build_input


@dataclasses.dataclass
class DGIConfig:
    """Options of ``dgi`` (recipe ``method`` block)."""

    input: str = "graph_nodes"
    encoder: str = "gcn_stack"
    encoder_options: dict[str, Any] = dataclasses.field(
        default_factory=lambda: {"hidden_dims": [512], "activation": "prelu_shared"}
    )


class DGI(Method):
    """Real against row-shuffled node embeddings, scored against the graph summary by a bilinear discriminator."""

    Config = DGIConfig
    optimizer_defaults = {"lr": 1e-3, "weight_decay": 0.0, "warmup_fraction": 0.0, "schedule": "constant"}
    trainer_defaults = {"max_epochs": 300}

    def __init__(self, config: DGIConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.input = build_input(config.input, input_spec)
        self.encoder = build_encoder(config.encoder, input_spec, config.encoder_options)
        self.discriminator = nn.Bilinear(self.encoder.output_dim, self.encoder.output_dim, 1)

    def discriminate(self, real: torch.Tensor, corrupted: torch.Tensor) -> torch.Tensor:
        """Logits ``D(h, s) = h^T W s + b`` of the real rows then the corrupted rows, ``s = σ(mean h)``; ``W s`` is
        formed once, as every row meets the same summary (``nn.Bilinear`` would form ``W`` times each pair)."""
        summary = torch.sigmoid(real.mean(dim=0))
        scorer = self.discriminator.weight[0] @ summary
        return torch.cat([real, corrupted]) @ scorer + self.discriminator.bias

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        inputs = self.input.inputs(batch)
        shuffle = torch.randperm(inputs.x.shape[0], generator=self.generator(inputs.x.device), device=inputs.x.device)
        real = self.input.embed(self.encoder, inputs)
        corrupted = self.input.embed(self.encoder, inputs.replace(x=inputs.x[shuffle]))
        logits = self.discriminate(real, corrupted)
        labels = torch.cat([torch.ones(len(real)), torch.zeros(len(corrupted))]).to(logits)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, labels)
        accuracy = ((logits > 0).to(labels) == labels).float().mean()
        return loss, {"loss": loss.detach(), "discriminator_accuracy": accuracy.detach()}

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.input.embed(self.encoder, self.input.inputs(batch))
