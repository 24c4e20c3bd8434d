"""SEENet building blocks against hand-computed or naive versions: 2-hop paths, SEConv halves, SE-SSL
tasks, DistMult, filtered ranking."""

import numpy as np
import pytest
import torch
from multissl_graph.seenet.distance import AdaptiveDistanceEncoder, quantile_boundaries
from multissl_graph.seenet.distmult import DistMult, corrupt
from multissl_graph.seenet.encoder import _type_slice, union_graph_edges
from multissl_graph.seenet.evolving_constraint import EvolvingConstraint, evolving_pairs
from multissl_graph.seenet.inter_time import (
    InterTimePropagation,
    sample_predecessor_edges,
)
from multissl_graph.seenet.paths import (
    cached_two_hop_paths,
    path_aggregation_index,
    two_hop_paths,
)
from multissl_graph.seenet.ranking import filtered_ranks, slot_metrics
from multissl_graph.seenet.spatial_infomax import SpatialInfomax
from multissl_graph.seenet.two_hop_conv import TwoHopAttentionConv

# slot 0 of 2, kinds: 0 = competitive, 1 = complementary (relation = kind * 2 + slot)
DIAMOND = np.array([[0, 0, 1], [0, 0, 2], [1, 0, 3], [2, 0, 3], [0, 2, 4], [4, 2, 3], [3, 0, 0]])


def test_two_hop_paths_follow_two_relations_of_one_slot_and_need_two_middles():
    paths = two_hop_paths(DIAMOND, num_slots=2, num_kinds=2, min_paths=2)
    found = sorted(zip(paths["path_type"], paths["source"], paths["middle"], paths["target"], strict=True))
    # 0 -> {1, 2} -> 3 are two competitive-competitive paths; 0 -> 4 -> 3 (type 3) has one middle only,
    # and so have the 6 paths through 3 -> 0 (into 0 from 1, 2, 4 and out of 0 to 1, 2, 4)
    assert [tuple(int(v) for v in f) for f in found] == [(0, 0, 1, 3), (0, 0, 2, 3)]
    first, second = paths["first"], paths["second"]
    assert all(DIAMOND[f, 0] == 0 and DIAMOND[f, 2] == DIAMOND[s, 0] and DIAMOND[s, 2] == 3 for f, s in zip(first, second, strict=True))
    assert len(two_hop_paths(DIAMOND, 2, 2, min_paths=1)["source"]) == 9


def test_two_hop_paths_are_cached_once(tmp_path):
    first = cached_two_hop_paths(DIAMOND, 2, 2, 2, tmp_path)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"
    np.savez(files[0], **{k: v[:1] for k, v in first.items()})  # a stale cache proves the second call reads it
    assert len(cached_two_hop_paths(DIAMOND, 2, 2, 2, tmp_path)["source"]) == 1
    assert len(cached_two_hop_paths(DIAMOND, 2, 2, 2, False)["source"]) == 2


def test_two_hop_conv_equals_the_reference_formula_path_by_path():
    torch.manual_seed(0)
    n, d, slots = 5, 4, 2
    conv = TwoHopAttentionConv(d, dropout=0.0).eval()
    h, table = torch.randn(n, d), torch.randn(3, d)
    source, middle, target = np.array([0, 1, 0, 2, 2]), np.array([1, 2, 3, 3, 1]), np.array([2, 0, 4, 4, 4])
    slot, bins = np.array([0, 0, 1, 1, 1]), torch.tensor([0, 2, 1, 1, 0])
    raw = {"slot": slot, "path_type": np.zeros(5, dtype=np.int64), "source": source, "middle": middle, "target": target,
           "first": np.arange(5), "second": np.arange(5)}
    graph = {k: torch.as_tensor(v) for k, v in path_aggregation_index(raw, num_types=1, num_locations=n).items()}
    paths = {**_type_slice(graph, 0), "path_bins": bins}
    kept = torch.tensor([True, True, True, True, False])
    out = conv(h, paths, kept, table, slots).view(slots, n, d)
    hp = conv.transform(h)
    expected = torch.zeros(slots, n, d)
    for p in range(4):  # the fifth path is not kept: it neither sends nor counts in the degrees
        u, m, v, t = int(source[p]), int(middle[p]), int(target[p]), int(slot[p])
        w1 = conv.target_gate(torch.cat([hp[v], conv.distance(table[bins[p]])]))
        w2 = conv.path_gate(torch.cat([hp[m], hp[u]]))
        beta = torch.sigmoid(conv.attention(w1 + w2))
        in_deg = int(((target[:4] == v) & (slot[:4] == t)).sum())
        out_deg = int(((source[:4] == u) & (slot[:4] == t)).sum())
        expected[t, v] += (beta * hp[u] + hp[m]) / np.sqrt(in_deg * out_deg)
    torch.testing.assert_close(out, expected)


def test_paths_are_grouped_by_type_source_target_and_by_middle_target():
    raw = two_hop_paths(DIAMOND, num_slots=2, num_kinds=2, min_paths=1)
    index = path_aggregation_index(raw, num_types=4, num_locations=5)
    assert (np.diff(index["path_type"]) >= 0).all() and index["path_pointer"][-1] == 9
    for name, other in (("group", "source"), ("pair", "middle")):
        start = index[f"{name}_pointer"][index["path_type"]]
        row = start + index[f"path_{name}"]
        assert (index[f"{name}_{other}"][row] == index[f"path_{other}"]).all()
        assert (index[f"{name}_target"][row] == index["path_target"]).all()
    # 9 paths: 0 -> {1, 2} -> 3 is one group of two paths (with two pairs); 1 -> 3 -> 0 and 2 -> 3 -> 0
    # share the pair 3 -> 0 (both competitive-competitive)
    assert len(index["group_source"]) == 8 and len(index["pair_middle"]) == 8


def test_union_graph_joins_neighbouring_slots_cyclically():
    triples = torch.tensor([[0, 1, 1]])  # slot 1 of 4
    source, target, _ = union_graph_edges(triples, torch.tensor([0]), num_slots=4, num_locations=10)
    assert sorted((source // 10).tolist()) == [0, 1, 2] and (source % 10).tolist() == [0, 0, 0]
    assert ((target // 10) == (source // 10)).all() and (target % 10).tolist() == [1, 1, 1]
    source, _, _ = union_graph_edges(torch.tensor([[0, 0, 1]]), torch.tensor([0]), num_slots=4, num_locations=10)
    assert sorted((source // 10).tolist()) == [0, 1, 3]
    assert len(union_graph_edges(triples, torch.tensor([0]), num_slots=2, num_locations=10)[0]) == 2


def test_sampled_predecessors_are_in_neighbours_of_the_target():
    source, target = torch.tensor([0, 1, 2, 3, 4]), torch.tensor([5, 5, 5, 6, 6])
    picked = sample_predecessor_edges(source, target, 7, k=50, generator=torch.Generator().manual_seed(0))
    assert set(picked[0].tolist()) == {0, 1, 2} and set(picked[3].tolist()) == {3, 4}
    assert (target[picked] == target.unsqueeze(1)).all()


def test_inter_time_propagation_equals_the_per_edge_formula():
    """The per-in-edge sums (A after aggregation, context summed per picked in-edge) against the
    reference's per-edge form with the same sampled context, values and gradients."""
    torch.manual_seed(0)
    s, n, d, k, bins, e = 3, 6, 4, 3, 5, 40
    prop = InterTimePropagation(d, num_context=k)
    with torch.no_grad():
        prop.combine.bias.normal_()
    h, table = torch.randn(s, n, d, requires_grad=True), torch.randn(bins, d, requires_grad=True)
    source = torch.randint(s * n, (e,))
    target = (source // n) * n + torch.randint(n, (e,))
    edge_bins = torch.randint(bins, (e,))

    def context_bins(u, c):
        return (u.unsqueeze(1) * 7 + c) % bins

    out = prop(h, source, target, edge_bins, table, context_bins, torch.Generator().manual_seed(3))
    grads = torch.autograd.grad(out.pow(2).sum(), (h, table))

    z = prop.transform((h.roll(1, 0) + h + h.roll(-1, 0)).reshape(-1, d))
    norm = (torch.bincount(source, minlength=s * n).clamp(min=1)[source]
            * torch.bincount(target, minlength=s * n).clamp(min=1)[target]).float().rsqrt()
    gates = prop.distance(table)
    context = source[sample_predecessor_edges(source, target, s * n, k, torch.Generator().manual_seed(3))]
    context_mean = (gates[context_bins(source, context)] * z[context]).mean(dim=1)
    messages = norm.unsqueeze(1) * prop.combine(torch.cat([gates[edge_bins] * z[source], context_mean], dim=1))
    expected = torch.relu(torch.zeros(s * n, d).index_add(0, target, messages)).view(s, n, d)
    torch.testing.assert_close(out, expected)
    for got, want in zip(grads, torch.autograd.grad(expected.pow(2).sum(), (h, table)), strict=True):
        torch.testing.assert_close(got, want)


def test_inter_time_propagation_matches_the_formula_on_one_edge():
    torch.manual_seed(0)
    prop = InterTimePropagation(4, num_context=2)
    h, table = torch.randn(3, 2, 4), torch.randn(2, 4)
    source, target = torch.tensor([0, 2]), torch.tensor([1, 3])  # slot 0: 0 -> 1; slot 1: 0 -> 1 (N = 2)
    out = prop(h, source, target, torch.tensor([1, 1]), table, lambda s, c: torch.zeros_like(c), torch.Generator().manual_seed(0))
    assert out.shape == (3, 2, 4) and (out[:, 0] == 0).all() and (out[2] == 0).all()
    z = prop.transform(h[2, 0] + h[0, 0] + h[1, 0])  # Z_0 = W (H_2 + H_0 + H_1), cyclic
    gates = prop.distance(table)
    # the only predecessor of node 1 is node 0, so the context mean is gate(bin 0) * z; degrees are 1
    expected = torch.relu(prop.combine(torch.cat([gates[1] * z, gates[0] * z])))
    torch.testing.assert_close(out[0, 1], expected)


def test_distance_bins_are_quantiles_and_smoothness_sums_neighbour_gaps():
    boundaries = quantile_boundaries(np.arange(100.0), 4)
    np.testing.assert_allclose(boundaries, [24.75, 49.5, 74.25])
    encoder = AdaptiveDistanceEncoder(3, 2)
    with torch.no_grad():
        encoder.embedding.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 2.0]]))
    assert float(encoder.smoothness().detach()) == pytest.approx(1.0 + 4.0)


def test_evolving_pairs_label_whether_the_relation_holds_in_the_next_slot():
    train = np.array([[0, 0, 1], [0, 1, 1], [2, 1, 3], [2, 3, 3]])  # 2 slots; pair (0, 1) kind 0 in slots 0 and 1
    pairs = evolving_pairs(train, num_slots=2)
    got = {(int(s), int(h), int(t)): float(y) for s, h, t, y in zip(pairs["slot"], pairs["head"], pairs["tail"], pairs["label"], strict=True)}
    # (0, 1) in slot 0 -> present in slot 1: 1; in slot 1 -> slot 0 (cyclic): 1; (2, 3) kind 0 slot 1 -> slot 0 absent
    assert got == {(0, 0, 1): 1.0, (1, 0, 1): 1.0, (1, 2, 3): 0.0}
    assert len(pairs["slot"]) == 4  # (2, 3) in slot 1 is a pair of kind 0 and one of kind 1, both labelled 0
    loss = EvolvingConstraint(4, 2)(torch.randn(2, 4, 4), {f"evo_{k}": torch.as_tensor(v) for k, v in pairs.items()})
    assert torch.isfinite(loss) and loss > 0


def test_spatial_infomax_positives_share_the_cell_and_negatives_come_from_candidates():
    graph = {"cell_pointer": torch.tensor([0, 2, 4]), "cell_members": torch.tensor([0, 1, 2, 3]),
             "negative_pointer": torch.tensor([0, 2, 4]), "negative_locations": torch.tensor([2, 3, 0, 1])}
    batch = SpatialInfomax.sample(graph, batch_cells=6, ratio=3, generator=torch.Generator().manual_seed(0))
    cell_of = torch.tensor([0, 0, 1, 1])
    same = cell_of[batch["positives"]]
    assert all(len(set(same[batch["position"] == b].tolist())) == 1 for b in range(6))
    negative_cells = cell_of[batch["negatives"]]
    positive_cell_of_negative = same[torch.searchsorted(batch["position"], batch["negative_position"])]
    assert (negative_cells != positive_cell_of_negative).all() and len(batch["negatives"]) == 3 * len(batch["positives"])
    loss = SpatialInfomax(4)(torch.randn(4, 4), torch.randn(4, 4), batch)
    assert torch.isfinite(loss)


def test_distmult_scores_with_the_slot_embedding_and_corrupts_one_end():
    decoder = DistMult(num_relations=4, num_slots=2, dim=3)
    h = torch.randn(2, 5, 3)
    triples = torch.tensor([[0, 3, 4]])  # relation 3 is in slot 1
    expected = (h[1, 0] * decoder.relations[3] * h[1, 4]).sum()
    torch.testing.assert_close(decoder.score(h, triples)[0], expected)
    many = torch.stack([torch.randint(5, (50,)), torch.randint(4, (50,)), torch.randint(5, (50,))], dim=1)  # > R * N
    slot = many[:, 1] % 2
    naive = (h[slot, many[:, 0]] * decoder.relations[many[:, 1]] * h[slot, many[:, 2]]).sum(dim=1)
    torch.testing.assert_close(decoder.score(h, many), naive)
    positives = torch.tensor([[0, 0, 1]] * 200)
    negatives = corrupt(positives, 1000, 5, torch.Generator().manual_seed(0))
    kept_head, kept_tail = negatives[:, 0] == 0, negatives[:, 2] == 1
    assert len(negatives) == 1000 and (kept_head | kept_tail).all() and 300 < int(kept_head.sum()) < 700


def test_distmult_loss_sums_the_mean_bce_of_each_slot():
    decoder = DistMult(num_relations=4, num_slots=2, dim=3)
    h = torch.randn(2, 6, 3)
    positives = torch.tensor([[0, 0, 1], [2, 1, 3], [4, 3, 5], [1, 2, 0], [3, 0, 2]])  # 2 in slot 0, 3 in slot 1
    loss = decoder.loss(h, positives, 2, torch.Generator().manual_seed(0))
    triples = torch.cat([positives, corrupt(positives, 6, 2, torch.Generator().manual_seed(0))])
    labels = torch.cat([torch.ones(5), torch.zeros(10)])
    logits, slot = decoder.score(h, triples), triples[:, 1] % 2
    expected = sum(torch.nn.functional.binary_cross_entropy_with_logits(logits[slot == t], labels[slot == t]) for t in (0, 1))
    torch.testing.assert_close(loss, expected)


def test_filtered_ranks_remove_other_true_tails_and_average_ties():
    scores = torch.tensor([[0.9, 0.8, 0.5, 0.5, 0.1]])
    known = np.array([[0, 0, 1], [0, 0, 3], [0, 0, 4]])
    query = np.array([[0, 0, 3]])
    candidates = np.ones(5, dtype=bool)
    # higher: 0 (0.9); 1 (0.8) is another true tail and filtered; 2 ties at 0.5 -> rank 1 + 1 + 0.5
    ranks, unranked = filtered_ranks(lambda q: scores, query, known, candidates, num_relations=1)
    assert ranks.tolist() == [2.5] and unranked == 0
    candidates[3] = False
    ranks, unranked = filtered_ranks(lambda q: scores, query, known, candidates, num_relations=1)
    assert len(ranks) == 0 and unranked == 1


def test_slot_metrics_weigh_slots_by_ranked_queries():
    train = np.array([[0, 0, 1], [1, 0, 2], [0, 1, 2], [2, 1, 1]])  # 2 slots, relations 0 (slot 0), 1 (slot 1)
    queries = np.array([[1, 0, 0], [2, 0, 1], [1, 1, 2]])
    scores = {0: torch.tensor([[5.0, 0.0, 1.0]]), 1: torch.tensor([[0.0, 5.0, 1.0]])}

    def score_all(q):
        return torch.cat([scores[int(r) % 2] if int(r) % 2 == 0 else scores[1] for r in q[:, 1]])

    metrics = slot_metrics(score_all, queries, np.concatenate([train, queries]), train, ["a", "b"], 3, ks=(1,))
    # slot a: query (1,0,0) rank 1, (2,0,1) rank 3 -> hit@1 = 0.5; slot b: (1,1,2) rank 2 -> 0
    assert metrics["a/hit@1"] == 0.5 and metrics["b/hit@1"] == 0.0
    assert metrics["hit@1"] == pytest.approx(1 / 3) and metrics["n_ranked"] == 3
