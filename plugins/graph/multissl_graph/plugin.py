"""Entry point of multissl-graph: modalities ``graph`` and ``temporal_relations``, encoders ``gcn``/``gat``/``graphsage``,
methods ``selftask`` (each SelfTask task also under its own name) and ``seenet``, evaluators ``node_classification``
and ``relation_ranking``, datasets ``cora`` and ``tokyo``.

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from multissl import hookimpl


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-graph."""
    # default method: PairwiseDistance, the label-free task with the highest mean Cora accuracy (docs/methods/selftask.md)
    registry.add_modality(
        "graph", "multissl_graph.modality:Graph", default_method="pairwise_distance", evaluators=["node_classification"],
        summary="one attributed graph (PyG Data, Planetoid folder, edge-list CSV), full batch or neighbour mini-batches",
    )
    registry.add_encoder("gcn", "multissl_graph.encoders:GCNEncoder", summary="graph convolution network (Kipf & Welling)")
    registry.add_encoder("gat", "multissl_graph.encoders:GATEncoder", summary="graph attention network, one head")
    registry.add_encoder("graphsage", "multissl_graph.encoders:SAGEEncoder", summary="GraphSAGE, mean aggregator")
    registry.add_method("selftask", "multissl_graph.selftask:SelfTask", modalities=["graph"], summary="SelfTask: GNN + graph pretext task (option task)")
    for name, cls, summary in [
        ("pairwise_distance", "PairwiseDistanceSelfTask", "SelfTask, shortest-path class of node pairs"),
        ("node_property", "NodePropertySelfTask", "SelfTask, degree class of nodes"),
        ("edge_mask", "EdgeMaskSelfTask", "SelfTask, masked edges versus non-edges"),
        ("distance2clusters", "Distance2ClustersSelfTask", "SelfTask, closeness to METIS cluster centres"),
        ("attribute_mask", "AttributeMaskSelfTask", "SelfTask, masked PCA-feature reconstruction"),
        ("pairwise_attr_sim", "PairwiseAttrSimSelfTask", "SelfTask, feature similarity of node pairs"),
        ("distance2labeled", "Distance2LabeledSelfTask", "SelfTask, closeness to each class's labelled nodes (joint only)"),
        ("context_label", "ContextLabelSelfTask", "SelfTask, 2-hop context label distribution, LP/ICA/ensemble fillers, label correction (joint only)"),
    ]:
        registry.add_method(name, f"multissl_graph.selftask:{cls}", modalities=["graph"], summary=summary)
    registry.add_evaluator(
        "node_classification", "multissl_graph.node_classification:NodeClassification", modalities=["graph"],
        summary="test accuracy on the graph's own split (the run's classifier, else a probe), vs a GCN without SSL",
    )
    _register_contrastive(registry)
    # a dataset folder is the source itself: the modality reads it with the recipe's data options
    registry.add_dataset("cora", "pathlib:Path", modality="graph", path="graph/Cora",
                         summary="Cora citation graph, 2,708 papers, 7 classes, Planetoid public split (140 / 500 / 1,000)")

    registry.add_modality(
        "temporal_relations", "multissl_graph.seenet.modality:TemporalRelationsModality",
        default_method="seenet", evaluators=["relation_ranking"],
        summary="locations with coordinates, typed relations per time slot, train/valid/test triples (SEENet/Tokyo format or CSV)",
    )
    registry.add_method(
        "seenet", "multissl_graph.seenet.method:SEENet", modalities=["temporal_relations"],
        summary="SEENet: SEConv + DistMult, SE-SSL pretraining (spatial infomax, evolving constraint)",
    )
    registry.add_evaluator(
        "relation_ranking", "multissl_graph.seenet.relation_ranking:RelationRanking", modalities=["temporal_relations"],
        summary="filtered MRR@10 / Hits@10 of the test triples, vs SEENet without SE-SSL (or R-GCN, DistMult)",
    )
    registry.add_dataset("tokyo", "pathlib:Path", modality="temporal_relations", path="graph/seenet_tokyo",
                         summary="SEENet Tokyo: 3,103 locations, competitive/complementary relations in 4 time slots")


def _register_contrastive(registry) -> None:
    """DGI, GRACE, BGRL, GraphMAE, CCA-SSG, and the input, views and encoders that serve the core's generic methods
    on graphs (:mod:`multissl_graph.contrastive`)."""
    package = "multissl_graph.contrastive"
    registry.add_input("graph_nodes", f"{package}.graph_nodes:GraphNodes", summary="graph nodes as samples, seed nodes only in neighbour batches")
    registry.add_view("graph_edge_drop", f"{package}.edge_drop:EdgeDrop", summary="drop each edge with probability p")
    registry.add_view("graph_feature_mask", f"{package}.feature_mask:FeatureMask", summary="zero feature columns, shared by all nodes")
    registry.add_view("graph_node_mask", f"{package}.node_mask:NodeMask", summary="hide a share of the nodes' feature rows")
    registry.add_encoder("gcn_stack", f"{package}.gcn_stack:GCNStack", summary="GCN layers of given widths, optional BatchNorm, PReLU/ReLU")
    registry.add_encoder("gat_heads", f"{package}.gat_heads:MultiHeadGAT", summary="multi-head GAT with feature/attention dropout (GraphMAE)")
    registry.add_objective("cca_ssg", f"{package}.cca_ssg:CCASSGLoss", summary="CCA-SSG: invariance + decorrelation of standardised views")
    for name, target, summary in [
        ("dgi", "dgi:DGI", "Deep Graph Infomax: real vs row-shuffled nodes against the graph summary"),
        ("grace", "grace:GRACE", "GRACE: edge drop + feature mask views, NT-Xent with intra-view negatives"),
        ("bgrl", "bgrl:BGRL", "BGRL: BYOL on graphs, predictor + EMA target GCN"),
        ("graphmae", "graphmae:GraphMAE", "GraphMAE: [MASK] token, re-masking, GAT decoder, scaled cosine error"),
        ("cca_ssg", "cca_ssg:CCASSG", "CCA-SSG: two graph views, invariance + decorrelation"),
    ]:
        registry.add_method(name, f"{package}.{target}", modalities=["graph"], summary=summary)
    for generic in ("simclr", "vicreg", "barlow_twins", "byol", "mae"):
        registry.serve(generic, "graph")


@hookimpl
def multissl_recipe_dirs() -> list[str]:
    """Recipes reproducing the SelfTask and SEENet cards (``multissl recipes``)."""
    from pathlib import Path

    return [str(Path(__file__).parent / "recipes")]
