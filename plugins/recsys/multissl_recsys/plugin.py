"""Entry point of multissl-recsys: modality ``interactions``; methods ``two_tower_ssl``, ``lightgcn``,
``sgl`` and ``simgcl``; datasets ``movielens_small`` and ``gowalla``.

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from multissl import hookimpl


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-recsys."""
    registry.add_modality("interactions", "multissl_recsys.modality:Interactions", summary="user-item interactions with optional item/user feature tables")
    registry.add_method("two_tower_ssl", "multissl_recsys.two_tower:TwoTowerSSL", modalities=["interactions"], summary="two towers, batch softmax + feature-masking InfoNCE (RFM/CFM, Yao et al. 2021)")
    registry.add_method("lightgcn", "multissl_recsys.lightgcn:LightGCN", modalities=["interactions"], summary="LightGCN with BPR (He et al. 2020)")
    registry.add_method("sgl", "multissl_recsys.sgl:SGL", modalities=["interactions"], summary="SGL-ED: LightGCN + InfoNCE between edge-dropped views (Wu et al. 2021)")
    registry.add_method("simgcl", "multissl_recsys.simgcl:SimGCL", modalities=["interactions"], summary="SimGCL: LightGCN + InfoNCE between noise-perturbed views (Yu et al. 2022)")
    registry.add_dataset("movielens_small", "multissl_recsys.datasets:movielens_small", modality="interactions", summary="MovieLens latest-small with genres, tags, year")
    registry.add_dataset("gowalla", "multissl_recsys.datasets:gowalla", modality="interactions", summary="Gowalla, LightGCN's train/test split")
