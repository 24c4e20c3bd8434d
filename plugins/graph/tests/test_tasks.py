"""SelfTask targets on small graphs whose answers can be checked by hand."""

import numpy as np
import pytest
import torch

from multissl_graph.tasks.attribute_mask import AttributeMask
from multissl_graph.tasks.context_label import ContextLabel, context_matrix
from multissl_graph.tasks.distance2clusters import Distance2Clusters, cluster_centres
from multissl_graph.tasks.distance2labeled import Distance2Labeled
from multissl_graph.tasks.edge_mask import EdgeMask
from multissl_graph.tasks.node_property import degree_classes
from multissl_graph.tasks.pairwise_attr_sim import PairwiseAttrSim
from multissl_graph.tasks.pairwise_distance import PairwiseDistance, distance_classes

SPEC = {"input_dim": 4, "num_classes": 2}


def path_graph(n, start=0):
    """start - start+1 - ... - start+n-1, both directions."""
    forward = torch.stack([torch.arange(start, start + n - 1), torch.arange(start + 1, start + n)])
    return torch.cat([forward, forward.flip(0)], dim=1)


def graph(edge_index, n, x=None, y=None, train=None):
    y = torch.full((n,), -1) if y is None else y
    train = (y >= 0) if train is None else train
    x = torch.eye(n, 4) if x is None else x
    return {"x": x, "edge_index": edge_index, "y": y, "train_mask": train, "val_mask": torch.zeros(n, dtype=torch.bool)}


def test_distance_classes_on_a_path_and_an_unreachable_node():
    classes = distance_classes(path_graph(6), 7)  # node 6 is isolated
    assert classes[0].tolist() == [-1, 0, 1, 2, 3, 3, 3]
    assert classes[2].tolist() == [1, 0, -1, 0, 1, 2, 3]
    assert torch.equal(classes, classes.t())
    assert torch.equal(distance_classes(path_graph(6), 7, chunk=2), classes)


def test_pair_sampling_draws_each_class_equally_with_correct_targets():
    task = PairwiseDistance(4, SPEC, pairs_per_class=50)
    task.prepare(graph(path_graph(8), 8), seed=0)
    pairs, targets = task.sample_pairs(torch.Generator().manual_seed(0))
    hops = (pairs[:, 0] - pairs[:, 1]).abs()  # on a path, hops = |u - v|
    assert torch.equal(targets, (hops.clamp(max=4) - 1))
    assert torch.bincount(targets, minlength=4)[:3].tolist() == [50, 50, 50]
    assert 0 < (targets == 3).sum() <= 50


def test_targets_are_built_once_per_graph(monkeypatch):
    task = PairwiseDistance(4, SPEC)
    calls = []
    original = task.build_targets
    monkeypatch.setattr(task, "build_targets", lambda *a: (calls.append(1), original(*a)))
    for _ in range(3):
        task.prepare(graph(path_graph(5), 5), seed=0)
    task.prepare(graph(path_graph(6), 6), seed=0)
    assert len(calls) == 2


def test_degree_classes_split_at_two_and_seven():
    hub = torch.stack([torch.zeros(9, dtype=torch.long), torch.arange(1, 10)])  # node 0: degree 9
    five = torch.stack([torch.full((5,), 10), torch.arange(1, 6)])  # node 10: degree 5; nodes 1..5: degree 2
    edges = torch.cat([hub, five], dim=1)
    assert degree_classes(torch.cat([edges, edges.flip(0)], dim=1), 11).tolist() == [2] + [0] * 9 + [1]


def test_edge_mask_hides_edges_and_samples_true_non_edges():
    edge_index = path_graph(21)
    task = EdgeMask(4, SPEC, mask_ratio=0.1)
    task.prepare(graph(edge_index, 21), seed=0)
    assert task.masked.shape == (2, 2)
    kept = set(map(tuple, task.training_inputs(None, edge_index).edge_index.t().tolist()))
    assert len(kept) == 36
    for u, v in task.masked.tolist():
        assert (u, v) not in kept and (v, u) not in kept
    negatives = task.sample_non_edges(100, torch.Generator().manual_seed(0))
    assert len(negatives) > 0 and ((negatives[:, 0] - negatives[:, 1]).abs() > 1).all()


def test_cluster_centre_is_the_highest_degree_node_inside_its_part():
    star = torch.tensor([[0, 0, 0, 4, 4], [1, 2, 3, 5, 3]])  # node 3 has an edge across parts
    edges = torch.cat([star, star.flip(0)], dim=1)
    parts = np.array([0, 0, 0, 0, 1, 1, 1])  # node 6: isolated, in part 1
    assert cluster_centres(edges, parts, 3).tolist() == [0, 4, -1]


def test_distance2clusters_targets_are_inverse_hops_and_zero_across_components():
    edges = torch.cat([path_graph(5), path_graph(5, start=5)], dim=1)  # two components of five nodes
    task = Distance2Clusters(4, SPEC, num_clusters=2)
    task.prepare(graph(edges, 10), seed=0)
    targets = task.targets
    assert targets.shape == (10, 2)
    for column in range(2):
        reached = targets[:, column] > 0
        assert reached.sum() == 5, "a centre reaches only its own component"
        centre = int(task.centres[column])
        hops = (torch.arange(10) - centre).abs()  # on a path, hops = |u - v|
        expected = torch.where(hops == 0, 1.0, 1.0 / hops.clamp(min=1).float()) * reached
        torch.testing.assert_close(targets[:, column], expected)
        assert centre in (1, 6), "highest degree in its part (2), the lowest id on ties"
    loss, logs = task.loss(torch.randn(10, 4), torch.Generator(), nodes=None)
    assert torch.isfinite(loss) and "distance2clusters" in logs
    with pytest.raises(ValueError, match="num_clusters"):
        Distance2Clusters(4, SPEC, num_clusters=20).prepare(graph(edges, 10), seed=0)


def test_distance2labeled_averages_inverse_hops_per_class_on_unlabelled_nodes():
    y = torch.tensor([0, -1, -1, -1, 1, -1])  # path 0..4 and an isolated node 5
    task = Distance2Labeled(4, SPEC)
    task.prepare(graph(path_graph(5), 6, y=y), seed=0)
    torch.testing.assert_close(task.targets[1], torch.tensor([1.0, 1 / 3]))
    torch.testing.assert_close(task.targets[2], torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(task.targets[5], torch.zeros(2))
    assert task.unlabelled.tolist() == [1, 2, 3, 5]
    with pytest.raises(ValueError, match="labelled training nodes"):
        Distance2Labeled(4, SPEC).prepare(graph(path_graph(5), 5), seed=0)


def test_attribute_mask_projects_with_pca_and_hides_only_unlabelled_nodes():
    from sklearn.decomposition import PCA

    x = torch.rand(40, 6, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1] * 5 + [-1] * 30)
    task = AttributeMask(8, {"input_dim": 6, "num_classes": 2}, components=3, mask_ratio=0.2)
    assert task.encoder_input_dim == 3
    task.prepare(graph(path_graph(40), 40, x=x, y=y), seed=0)
    expected = PCA(3).fit(x.double().numpy()).transform(x.double().numpy())
    np.testing.assert_allclose(np.abs(task.encoder_inputs(x).numpy()), np.abs(expected), atol=1e-5)  # signs are free
    assert task.masked.sum() == 6 and not task.masked[:10].any()
    projected = task.encoder_inputs(x)
    inputs = task.training_inputs(projected, path_graph(40))
    trained = inputs.x
    assert (trained[task.masked] == 0).all() and torch.equal(trained[~task.masked], projected[~task.masked])
    loss, _ = task.loss(torch.zeros(40, 8), torch.Generator(), None, inputs)
    head = task.head(torch.zeros(1, 8))
    torch.testing.assert_close(loss, ((head - projected[task.masked]) ** 2).mean())


def test_pairwise_attr_sim_pairs_are_unique_with_their_cosine_similarity():
    x = torch.rand(30, 4, generator=torch.Generator().manual_seed(1))
    x[1] = 2 * x[0]  # node 1 is node 0's most similar partner
    task = PairwiseAttrSim(4, SPEC, least=2, most=2, random=2, pairs_per_step=10)
    task.prepare(graph(path_graph(30), 30, x=x), seed=0)
    pairs = task.pairs
    assert (pairs[:, 0] < pairs[:, 1]).all() and len(torch.unique(pairs, dim=0)) == len(pairs)
    assert (pairs == torch.tensor([0, 1])).all(dim=1).any()
    cosine = torch.nn.functional.cosine_similarity(x[pairs[:, 0]], x[pairs[:, 1]])
    torch.testing.assert_close(task.similarity, cosine)
    assert 30 * 2 <= len(pairs) <= 30 * 6
    loss, _ = task.loss(torch.randn(30, 4), torch.Generator().manual_seed(0))
    assert torch.isfinite(loss)


def test_context_matrix_counts_neighbours_and_two_hop_nodes():
    context = context_matrix(path_graph(4), 5).to_dense()  # 0-1-2-3 and an isolated node 4
    assert context[0].tolist() == [0, 1, 1, 0, 0]
    assert context[1].tolist() == [1, 0, 1, 1, 0]
    assert context[4].sum() == 0
    triangle = torch.tensor([[0, 1, 2, 1, 2, 0], [1, 2, 0, 0, 1, 2]])
    assert context_matrix(triangle, 3).to_dense()[0].tolist() == [0, 2, 2]  # neighbours that are also two steps away


@pytest.mark.parametrize("filler", ["label_propagation", "ica", "ensemble"])
def test_context_label_targets_are_filled_label_histograms_of_the_context(filler):
    # two 5-node paths, one per class, one labelled node each, features that tell the classes apart; node 10 isolated
    edges = torch.cat([path_graph(5), path_graph(5, start=5)], dim=1)
    y = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0])
    train = torch.zeros(11, dtype=torch.bool)
    train[[0, 5]] = True
    x = torch.zeros(11, 4)
    x[:5, 0], x[5:, 1], x[10, 0] = 1.0, 1.0, 1.0
    task = ContextLabel(4, SPEC, filler=filler)
    task.prepare(graph(edges, 11, x=x, y=y, train=train), seed=0)
    assert task.filled[:10].tolist() == y[:10].tolist()
    torch.testing.assert_close(task.targets[2], torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(task.targets[7], torch.tensor([0.0, 1.0]))
    assert 10 not in task.trained_rows.tolist() and 0 not in task.trained_rows.tolist()


def test_label_correction_relabels_nodes_by_their_nearest_prototypes():
    from multissl_graph.tasks.label_correction import class_prototypes, corrected_labels

    generator = torch.Generator().manual_seed(0)
    centres = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    h = centres.repeat_interleave(20, dim=0) + 0.05 * torch.randn(40, 2, generator=generator)
    labels = torch.tensor([0] * 20 + [1] * 20)
    labels[[3, 25]] = 1 - labels[[3, 25]]  # two wrong filled labels
    prototypes = class_prototypes(h, labels, 3, generator, prototypes=4)
    assert prototypes[2] is None and all(len(p) == 4 for p in prototypes[:2])
    assert (prototypes[0] < 20).all() and (prototypes[1] >= 20).all()
    fixed = corrected_labels(h, labels, torch.tensor([3, 25, 10]), 3, generator, prototypes=4)
    assert fixed.tolist() == [0, 1, 0]


def test_context_label_adds_the_label_correction_term():
    edges = torch.cat([path_graph(6), path_graph(6, start=6)], dim=1)
    y = torch.tensor([0] * 6 + [1] * 6)
    train = torch.zeros(12, dtype=torch.bool)
    train[[0, 6]] = True
    task = ContextLabel(4, SPEC, filler="label_propagation", label_correction=1.5, correct=4).eval()
    task.prepare(graph(edges, 12, y=y, train=train), seed=0)
    loss, logs = task.loss(torch.randn(12, 4), torch.Generator().manual_seed(0))
    torch.testing.assert_close(loss, logs["context_label"] + 1.5 * logs["label_correction"])
    with pytest.raises(ValueError, match="filler"):
        ContextLabel(4, SPEC, filler="gcn")
    with pytest.raises(ValueError, match="at least 2 classes"):
        ContextLabel(4, {"input_dim": 4, "num_classes": 0})


def test_symmetric_percentile_matches_torch_quantile_of_the_whole_similarity_matrix():
    from multissl_graph.tasks.label_correction import symmetric_percentile

    for n in (1, 2, 3, 7, 320):
        unit = torch.nn.functional.normalize(torch.randn(n, 16, generator=torch.Generator().manual_seed(n)), dim=1)
        sims = unit @ unit.t()
        for q in (0.0, 0.4, 0.5, 0.9):
            torch.testing.assert_close(symmetric_percentile(sims, q), torch.quantile(sims.flatten(), q))


def test_pair_difference_and_its_gradient_match_gathering_both_ends():
    from multissl_graph.tasks.base import pair_difference

    h = torch.randn(10, 3, requires_grad=True)
    pairs = torch.tensor([[0, 1], [3, 3], [9, 2], [0, 1]])
    gathered = (h[pairs[:, 0]] - h[pairs[:, 1]]).abs()
    torch.testing.assert_close(pair_difference(h, pairs), gathered)
    (grad,) = torch.autograd.grad(pair_difference(h, pairs).pow(2).sum(), h)
    (expected,) = torch.autograd.grad(gathered.pow(2).sum(), h)
    torch.testing.assert_close(grad, expected)
