"""Entry point of multissl-recsys: modality ``interactions``; methods ``two_tower_ssl``, ``lightgcn``,
``sgl`` and ``simgcl``, and the core's generic methods served on ``interactions`` (input ``user_item_graph``, encoder
``lightgcn``, views of the user-item graph); evaluator ``ranking``; datasets ``movielens_small`` and ``gowalla``.

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from multissl import hookimpl

GRAPH_VIEWS = {
    "interaction_edge_drop": ("InteractionEdgeDrop", "user-item graph: each interaction dropped (SGL-ED)"),
    "interaction_node_drop": ("InteractionNodeDrop", "user-item graph: each user and item dropped with its interactions (SGL-ND)"),
    "interaction_random_walk": ("InteractionRandomWalk", "user-item graph: an edge dropout per layer (SGL-RW)"),
    "interaction_edge_mask": ("InteractionEdgeMask", "user-item graph: interactions hidden and non-interactions drawn (MaskGAE)"),
}
GENERIC_METHODS = ("simclr", "vicreg", "barlow_twins", "byol", "mae")
"""The core's generic methods offered on interactions (their defaults: ``Interactions.method_defaults``)."""


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-recsys."""
    registry.add_modality("interactions", "multissl_recsys.modality:Interactions", summary="user-item interactions with optional item/user feature tables",
                          default_method="lightgcn", evaluators=["ranking"])
    registry.add_method("two_tower_ssl", "multissl_recsys.two_tower:TwoTowerSSL", modalities=["interactions"], summary="two towers, batch softmax + feature-masking InfoNCE (RFM/CFM, Yao et al. 2021)")
    registry.add_method("lightgcn", "multissl_recsys.lightgcn:LightGCN", modalities=["interactions"], summary="LightGCN with BPR (He et al. 2020)")
    registry.add_method("sgl", "multissl_recsys.sgl:SGL", modalities=["interactions"], summary="SGL: LightGCN + InfoNCE between two node-dropped, edge-dropped or random-walk graphs (Wu et al. 2021)")
    registry.add_method("simgcl", "multissl_recsys.simgcl:SimGCL", modalities=["interactions"], summary="SimGCL: LightGCN + InfoNCE between noise-perturbed views (Yu et al. 2022)")
    registry.add_input("user_item_graph", "multissl_recsys.user_item_input:UserItemGraphInput",
                       summary="interactions as samples, the normalised user-item graph as context (generic methods)")
    registry.add_encoder("lightgcn", "multissl_recsys.lightgcn_encoder:LightGCNEncoder", summary="LightGCN propagation; [e_u, e_i] per interaction")
    for name, (target, summary) in GRAPH_VIEWS.items():
        registry.add_view(name, f"multissl_recsys.graph_views:{target}", summary=summary)
    for method in GENERIC_METHODS:
        if method in registry.names("method"):  # byol and mae come with newer cores
            registry.serve(method, "interactions")
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
