"""AttributeMask (Jin et al. 2020): hide the features of some unlabelled nodes, then reconstruct them.

The encoder reads ``PCA_k(x)`` (k = 256 in the reference; scikit-learn's PCA, fitted once on the
graph and kept with the weights so ``embed`` projects new data the same way). A fixed ``mask_ratio``
of the unlabelled nodes (drawn once with the run's seed) has its PCA features set to 0 in training;
loss ``MSE(W h_i, PCA_k(x)_i)`` over the masked nodes (SelfTask-GNN ``selfsl.AttributeMask``). On a
neighbour-loader mini-batch, the masked nodes among the seed nodes are reconstructed.
"""

from __future__ import annotations

import torch
from torch import nn

from multissl_graph.tasks.base import PretextTask, TrainingInputs


class AttributeMask(PretextTask):
    """Masked-feature reconstruction on PCA inputs."""

    def __init__(self, hidden_dim: int, input_spec, components: int = 256, mask_ratio: float = 0.1) -> None:
        super().__init__(hidden_dim, input_spec)
        if not 0.0 < mask_ratio < 1.0:
            raise ValueError(f"mask_ratio must be in (0, 1), got {mask_ratio}")
        input_dim = int(input_spec["input_dim"])
        self.encoder_input_dim = min(components, input_dim)
        self.mask_ratio = mask_ratio
        self.register_buffer("pca_mean", torch.zeros(input_dim))
        self.register_buffer("pca_components", torch.zeros(input_dim, self.encoder_input_dim))
        self.head = nn.Linear(hidden_dim, self.encoder_input_dim)
        self.masked = torch.zeros(0, dtype=torch.bool)

    def build_targets(self, graph, seed):
        from sklearn.decomposition import PCA

        x = graph["x"]
        k = min(self.encoder_input_dim, x.shape[0])
        # exact PCA from the (F, F) covariance when nodes outnumber features (Cora: 2 s instead of 6 s for a full SVD)
        solver = "covariance_eigh" if x.shape[0] >= x.shape[1] else "full"
        pca = PCA(n_components=k, svd_solver=solver, random_state=seed)
        pca.fit(x.detach().cpu().double().numpy())
        self.pca_mean.copy_(torch.from_numpy(pca.mean_))
        self.pca_components.zero_()
        self.pca_components[:, :k] = torch.from_numpy(pca.components_.T)
        unlabelled = (~(graph["train_mask"] & (graph["y"] >= 0))).nonzero().flatten().cpu()
        order = unlabelled[torch.randperm(len(unlabelled), generator=torch.Generator().manual_seed(seed))]
        self.masked = torch.zeros(x.shape[0], dtype=torch.bool)
        self.masked[order[: max(1, int(self.mask_ratio * len(order)))]] = True
        self.masked = self.masked.to(x.device)

    def encoder_inputs(self, x):
        """``(x - mean) V`` in fp32 (outside autocast: preprocessing, not a trained layer)."""
        with torch.autocast(x.device.type, enabled=False):
            return (x.float() - self.pca_mean) @ self.pca_components

    def training_inputs(self, x, edge_index, nodes=None):
        masked = self.masked if nodes is None else self.masked[nodes]
        return TrainingInputs(x.masked_fill(masked[:, None], 0.0), edge_index, {"masked": masked, "hidden": x[masked]})

    def loss(self, h, generator, nodes=None, inputs=None):
        rows = inputs.targets["masked"][: h.shape[0]]
        if not rows.any():
            zero = h.sum() * 0.0
            return zero, {"attribute_mask": zero.detach()}
        loss = nn.functional.mse_loss(self.head(h[rows]), inputs.targets["hidden"][: int(rows.sum())])
        return loss, {"attribute_mask": loss.detach()}
