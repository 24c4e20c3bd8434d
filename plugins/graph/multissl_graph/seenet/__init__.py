"""SEENet (Li et al., KDD 2023, "Multi-Temporal Relationship Inference in Urban Areas"): relation
inference between locations over time slots, with spatially evolving self-supervised pretraining.

One concept per module: ``data`` (the multi-temporal relation graph), ``loaders`` (Tokyo format and
plain CSV), ``grid`` (grid cells for the global task), ``paths`` (cached 2-hop relation paths),
``distance`` (adaptive distance encoder), ``two_hop_conv`` and ``inter_time`` (the two halves of
SEConv), ``encoder`` (SEConv and the baseline encoders), ``spatial_infomax`` and
``evolving_constraint`` (SE-SSL), ``distmult`` (decoder and negative sampling), ``ranking``
(filtered Hit/MRR), ``modality`` and ``method`` (the multissl components).
"""

from multissl_graph.seenet.data import TemporalRelations
from multissl_graph.seenet.loaders import read_relation_csv, read_tokyo_format

__all__ = ["TemporalRelations", "read_relation_csv", "read_tokyo_format"]
