"""SelfTask pretext tasks by snake-case name."""

from multissl_graph.tasks.attribute_mask import AttributeMask
from multissl_graph.tasks.context_label import ContextLabel
from multissl_graph.tasks.distance2clusters import Distance2Clusters
from multissl_graph.tasks.distance2labeled import Distance2Labeled
from multissl_graph.tasks.edge_mask import EdgeMask
from multissl_graph.tasks.node_property import NodeProperty
from multissl_graph.tasks.pairwise_attr_sim import PairwiseAttrSim
from multissl_graph.tasks.pairwise_distance import PairwiseDistance

TASKS = {
    "node_property": NodeProperty,
    "edge_mask": EdgeMask,
    "pairwise_distance": PairwiseDistance,
    "distance2clusters": Distance2Clusters,
    "attribute_mask": AttributeMask,
    "pairwise_attr_sim": PairwiseAttrSim,
    "distance2labeled": Distance2Labeled,
    "context_label": ContextLabel,
}
