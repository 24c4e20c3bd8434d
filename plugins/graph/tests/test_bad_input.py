"""The issue's bad input: isolated nodes, self-loops, duplicate and one-way edges, unknown labels (-1), and
disconnected components, through every SelfTask task."""

import pytest
import torch
from torch_geometric.data import Data

from multissl_graph.modality import Graph
from multissl_graph.selftask import SelfTask, SelfTaskConfig
from multissl_graph.tasks import TASKS


def awkward_graph():
    """Two components (0-5 a path written one way with a duplicate and a self-loop, 6-9 a cycle), node 10 isolated."""
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 1, 3, 6, 7, 8, 9], [1, 2, 3, 4, 5, 2, 3, 7, 8, 9, 6]])
    y = torch.tensor([0, -1, -1, 1, -1, -1, 1, -1, 0, -1, -1])
    x = torch.rand(11, 6, generator=torch.Generator().manual_seed(0))
    x[4] = 0.0  # a node without features: stays a zero row
    return Data(x=x, edge_index=edge_index, y=y)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_task_trains_on_an_awkward_graph(task):
    modality = Graph()
    raw = modality.load(awkward_graph())
    modality.fit(raw)
    batch = modality.transform(raw)
    assert batch["edge_index"].shape[1] == 2 * 9  # undirected, no self-loop, no duplicate
    assert batch["train_mask"].tolist() == (awkward_graph().y >= 0).tolist()
    options = {"num_clusters": 3} if task == "distance2clusters" else {}
    method = SelfTask(SelfTaskConfig(task=task, task_options=options, hidden_dim=8), modality.input_spec())
    loss, logs = method._total_loss(batch)
    assert torch.isfinite(loss) and all(torch.isfinite(v) for v in logs.values())
    loss.backward()
    assert method.embed(batch).shape == (11, 8)


def test_distance_targets_of_unreachable_nodes_are_the_far_or_zero_values():
    modality = Graph()
    raw = modality.load(awkward_graph())
    modality.fit(raw)
    batch = modality.transform(raw)
    pairwise = SelfTask(SelfTaskConfig(task="pairwise_distance"), modality.input_spec()).task
    pairwise.prepare(batch, seed=0)
    assert pairwise.classes[10, :10].eq(3).all() and pairwise.classes[0, 6:].eq(3).all()
    labelled = SelfTask(SelfTaskConfig(task="distance2labeled"), modality.input_spec()).task
    labelled.prepare(batch, seed=0)
    assert labelled.targets[10].eq(0).all()
    context = SelfTask(SelfTaskConfig(task="context_label"), modality.input_spec()).task
    context.prepare(batch, seed=0)
    assert 10 not in context.trained_rows.tolist(), "an isolated node has no context to predict"
