"""What the core's generic methods use on a graph unless a recipe says otherwise (the graph modality's
``method_defaults``): the ``graph_nodes`` input, a GCN encoder, and graph views.

SimCLR, VICReg and Barlow Twins: GRACE's encoder (GCN 256 → 128, ReLU) and two views of edge dropping and
feature masking; Barlow Twins as Graph Barlow Twins (Bielak et al. 2022: no projector, BatchNorm + PReLU GCN,
``λ = 1/D``); BYOL as BGRL (no projector, BatchNorm + PReLU GCN, momentum 0.99 → 1); MAE as GraphMAE's objective
(half the nodes masked, scaled cosine error with γ = 3) with a GCN encoder and a linear head.
"""

from __future__ import annotations

GRAPH_VIEWS = [{"name": "graph_edge_drop", "p": 0.3}, {"name": "graph_feature_mask", "p": 0.3}]
GRACE_GCN = {"hidden_dims": [256, 128], "activation": "relu"}
BATCHNORM_GCN = {"hidden_dims": [512, 256], "activation": "prelu", "batch_norm": True}

GENERIC_METHOD_DEFAULTS = {
    "simclr": {
        "input": "graph_nodes", "encoder": "gcn_stack", "encoder_options": GRACE_GCN, "views": GRAPH_VIEWS,
        "projector_dims": [128, 128], "objective_options": {"temperature": 0.4},
    },
    "vicreg": {
        "input": "graph_nodes", "encoder": "gcn_stack", "encoder_options": GRACE_GCN, "views": GRAPH_VIEWS,
        "projector_dims": [512, 512],
    },
    "barlow_twins": {
        "input": "graph_nodes", "encoder": "gcn_stack", "encoder_options": BATCHNORM_GCN, "views": GRAPH_VIEWS,
        "projector_dims": [], "objective_options": {"lambda_offdiag": 1.0 / 256},
    },
    "byol": {
        "input": "graph_nodes", "encoder": "gcn_stack", "encoder_options": BATCHNORM_GCN, "views": GRAPH_VIEWS,
        "projector_dims": [], "predictor_dims": [512], "momentum_start": 0.99,
    },
    "mae": {
        "input": "graph_nodes", "encoder": "gcn_stack", "encoder_options": {"hidden_dims": [512, 512], "activation": "prelu"},
        "views": [{"name": "graph_node_mask", "ratio": 0.5}], "decoder_dims": [], "loss": "sce", "sce_gamma": 3.0,
    },
}
