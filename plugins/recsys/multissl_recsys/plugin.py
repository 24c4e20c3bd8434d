"""Entry point of multissl-recsys: modality ``interactions``; methods ``two_tower_ssl``, ``lightgcn``,
``sgl`` and ``simgcl``; evaluator ``ranking``; datasets ``movielens_small`` and ``gowalla``.

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from multissl import hookimpl


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-recsys."""
    registry.add_modality("interactions", "multissl_recsys.modality:Interactions", summary="user-item interactions with optional item/user feature tables",
                          default_method="lightgcn", evaluators=["ranking"])
    registry.add_method("two_tower_ssl", "multissl_recsys.two_tower:TwoTowerSSL", modalities=["interactions"], summary="two towers, batch softmax + feature-masking InfoNCE (RFM/CFM, Yao et al. 2021)")
    registry.add_method("lightgcn", "multissl_recsys.lightgcn:LightGCN", modalities=["interactions"], summary="LightGCN with BPR (He et al. 2020)")
    registry.add_method("sgl", "multissl_recsys.sgl:SGL", modalities=["interactions"], summary="SGL-ED: LightGCN + InfoNCE between edge-dropped views (Wu et al. 2021)")
    registry.add_method("simgcl", "multissl_recsys.simgcl:SimGCL", modalities=["interactions"], summary="SimGCL: LightGCN + InfoNCE between noise-perturbed views (Yu et al. 2022)")
    registry.add_evaluator("ranking", "multissl_recsys.ranking_evaluator:Ranking", modalities=["interactions"],
                           summary="full-ranking recall@K / ndcg@K on held-out interactions (train items excluded), against the method without SSL")
    registry.add_dataset("movielens_small", "multissl_recsys.datasets:movielens_small", modality="interactions", path="recsys/ml-latest-small",
                         options={"rating_column": "rating", "timestamp_column": "timestamp"},
                         summary="MovieLens latest-small with genres, tags, year; held out: data.split (random 20% per user)")
    registry.add_dataset("gowalla", "multissl_recsys.datasets:gowalla", modality="interactions", path="recsys/lightgcn_gowalla",
                         summary="Gowalla check-ins, LightGCN's train/test split (test.txt held out)")


@hookimpl
def multissl_recipe_dirs() -> list[str]:
    """Recipes on the shared recommendation datasets (``multissl recipes``)."""
    from pathlib import Path

    return [str(Path(__file__).parent / "recipes")]
