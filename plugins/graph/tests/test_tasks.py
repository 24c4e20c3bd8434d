"""SelfTask targets on small graphs whose answers can be checked by hand."""

import torch

from multissl_graph.tasks.edge_mask import EdgeMask
from multissl_graph.tasks.node_property import degree_classes
from multissl_graph.tasks.pairwise_distance import PairwiseDistance, distance_classes


def path_graph(n):
    """0 - 1 - ... - n-1, both directions."""
    forward = torch.stack([torch.arange(n - 1), torch.arange(1, n)])
    return torch.cat([forward, forward.flip(0)], dim=1)


def test_distance_classes_on_a_path_and_an_unreachable_node():
    classes = distance_classes(path_graph(6), 7)  # node 6 is isolated
    assert classes[0].tolist() == [-1, 0, 1, 2, 3, 3, 3]
    assert classes[2].tolist() == [1, 0, -1, 0, 1, 2, 3]
    assert torch.equal(classes, classes.t())
    assert torch.equal(distance_classes(path_graph(6), 7, chunk=2), classes)


def test_pair_sampling_draws_each_class_equally_with_correct_targets():
    task = PairwiseDistance(hidden_dim=4, pairs_per_class=50)
    task.prepare(path_graph(8), 8, seed=0)
    pairs, targets = task.sample_pairs(torch.Generator().manual_seed(0))
    hops = (pairs[:, 0] - pairs[:, 1]).abs()  # on a path, hops = |u - v|
    assert torch.equal(targets, (hops.clamp(max=4) - 1))
    assert torch.bincount(targets, minlength=4)[:3].tolist() == [50, 50, 50]
    assert 0 < (targets == 3).sum() <= 50


def test_targets_are_built_once_per_graph(monkeypatch):
    task = PairwiseDistance(hidden_dim=4)
    calls = []
    original = task.build_targets
    monkeypatch.setattr(task, "build_targets", lambda *a: (calls.append(1), original(*a)))
    for _ in range(3):
        task.prepare(path_graph(5), 5, seed=0)
    task.prepare(path_graph(6), 6, seed=0)
    assert len(calls) == 2


def test_degree_classes_split_at_two_and_seven():
    hub = torch.stack([torch.zeros(9, dtype=torch.long), torch.arange(1, 10)])  # node 0: degree 9
    five = torch.stack([torch.full((5,), 10), torch.arange(1, 6)])  # node 10: degree 5; nodes 1..5: degree 2
    edges = torch.cat([hub, five], dim=1)
    assert degree_classes(torch.cat([edges, edges.flip(0)], dim=1), 11).tolist() == [2] + [0] * 9 + [1]


def test_edge_mask_hides_edges_and_samples_true_non_edges():
    edge_index = path_graph(21)
    task = EdgeMask(hidden_dim=4, mask_ratio=0.1)
    task.prepare(edge_index, 21, seed=0)
    assert task.masked.shape == (2, 2)
    kept = set(map(tuple, task.training_graph(edge_index).t().tolist()))
    assert len(kept) == 36
    for u, v in task.masked.tolist():
        assert (u, v) not in kept and (v, u) not in kept
    negatives = task.sample_non_edges(100, torch.Generator().manual_seed(0))
    assert len(negatives) > 0 and ((negatives[:, 0] - negatives[:, 1]).abs() > 1).all()
