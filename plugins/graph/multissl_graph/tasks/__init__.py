"""SelfTask pretext tasks by snake-case name."""

from multissl_graph.tasks.edge_mask import EdgeMask
from multissl_graph.tasks.node_property import NodeProperty
from multissl_graph.tasks.pairwise_distance import PairwiseDistance

TASKS = {"pairwise_distance": PairwiseDistance, "node_property": NodeProperty, "edge_mask": EdgeMask}
