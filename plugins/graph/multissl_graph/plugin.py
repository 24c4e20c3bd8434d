"""Entry point of multissl-graph: modality ``graph``, encoders ``gcn``/``gat``/``graphsage``, method
``selftask`` and each finished SelfTask task under its own name.

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from multissl import hookimpl


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-graph."""
    registry.add_modality("graph", "multissl_graph.modality:Graph", summary="one attributed graph (PyG Data or edge list + features), full batch or neighbour mini-batches")
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
    # --- SEENet (issue 8): multi-temporal relation inference between locations ---
    registry.add_modality(
        "temporal_relations", "multissl_graph.seenet.modality:TemporalRelationsModality",
        summary="locations with coordinates, typed relations per time slot, train/valid/test triples (SEENet/Tokyo format or CSV)",
    )
    registry.add_method(
        "seenet", "multissl_graph.seenet.method:SEENet", modalities=["temporal_relations"],
        summary="SEENet: SEConv + DistMult, SE-SSL pretraining (spatial infomax, evolving constraint)",
    )
    # --- end SEENet ---
