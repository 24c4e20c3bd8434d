"""Graph self-supervision by contrast, bootstrapping and masked reconstruction: DGI, GRACE, BGRL, GraphMAE, CCA-SSG,
and what lets the core's generic methods (SimCLR, VICReg, Barlow Twins, BYOL, MAE) run on a graph: the
``graph_nodes`` input, the graph views (edge dropping, feature masking, node masking) and the encoders they use."""
