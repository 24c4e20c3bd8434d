"""Neighbour-loader mini-batches: the sampler's output, the batches, and label-free SelfTask training on them."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.sampler import NodeSamplerInput

import multissl
from multissl.errors import RecipeError
from multissl_graph.modality import Graph, GraphOptions
from multissl_graph.neighbor_sampler import UniformNeighborSampler
from multissl_graph.tasks.node_property import NodeProperty

QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}
NEIGHBOR = {"data.loader": "neighbor", "data.num_neighbors": [3], "batch_size": 16}


def preprocessed(graph):
    modality = Graph()
    raw = modality.load(graph)
    modality.fit(raw)
    return modality.transform(raw)


def random_graph(n=60, e=240, seed=0):
    generator = torch.Generator().manual_seed(seed)
    edges = torch.randint(n, (2, e), generator=generator)
    return Data(x=torch.rand(n, 5, generator=generator), edge_index=edges)


def test_sampler_puts_seeds_first_and_samples_only_real_edges_up_to_k_per_node():
    edges = preprocessed(random_graph())["edge_index"]
    sampler = UniformNeighborSampler(edges, 60, [3, 2], seed=0)
    seeds = torch.tensor([5, 0, 17])
    out = sampler.sample_from_nodes(NodeSamplerInput(input_id=None, node=seeds))
    assert torch.equal(out.node[:3], seeds) and len(torch.unique(out.node)) == len(out.node)
    real = set(map(tuple, edges.t().tolist()))
    sampled = torch.stack([out.node[out.row], out.node[out.col]]).t().tolist()
    assert all(tuple(e) in real for e in sampled)
    degree = torch.bincount(edges[1], minlength=60)
    first_hop = out.col[: out.num_sampled_edges[0]]
    for local, node in enumerate(seeds.tolist()):
        received = int((first_hop == local).sum())
        assert received <= 3 and (received == degree[node] if degree[node] <= 3 else received >= 1)
    assert (sampler.local == -1).all(), "the (N,) buffer is reset after each batch"


def test_neighbor_batches_cover_every_node_once_as_seed_and_train_only_on_seeds():
    graph = random_graph()
    graph.y = torch.arange(60) % 3
    modality = Graph(GraphOptions(loader="neighbor", num_neighbors=[3]))
    raw = modality.load(graph)
    modality.fit(raw)
    loader = modality.dataloader(modality.dataset(raw), batch_size=16, shuffle=True, drop_last=False, num_workers=0, seed=0)
    seeds = []
    for batch in loader:
        count = int(batch["seed_count"])
        seeds.append(batch["n_id"][:count])
        assert batch["train_mask"][count:].sum() == 0 and batch["train_mask"][:count].all()
        assert batch["graph"]["x"].shape == (60, 5)
        torch.testing.assert_close(batch["x"], batch["graph"]["x"][batch["n_id"]])
    assert sorted(torch.cat(seeds).tolist()) == list(range(60))


def test_a_resumed_epoch_goes_on_with_the_seed_batches_the_interrupted_one_had_not_reached():
    modality = Graph(GraphOptions(loader="neighbor", num_neighbors=[3]))
    raw = modality.load(random_graph())
    modality.fit(raw)

    def loader():
        built = modality.dataloader(modality.dataset(raw), batch_size=8, shuffle=True, drop_last=False, num_workers=0, seed=0)
        built.sampler.set_epoch(1)
        return built

    expected = [batch["n_id"] for batch in loader()]
    interrupted = loader()
    taken = iter(interrupted)
    next(taken), next(taken)
    resumed = loader()
    resumed.load_state_dict(interrupted.state_dict())
    rest = [batch["n_id"] for batch in resumed]
    assert len(expected) == 8 and len(rest) == 6
    assert all(torch.equal(a, b) for a, b in zip(rest, expected[2:], strict=True))  # seeds and sampled neighbours


def test_mini_batch_task_loss_reads_targets_of_the_global_node_ids():
    full = preprocessed(random_graph())
    task = NodeProperty(4, {"input_dim": 5})
    task.prepare(full, seed=0)
    h, nodes = torch.randn(7, 4), torch.tensor([3, 9, 1, 0, 44, 2, 8])
    loss, _ = task.loss(h, torch.Generator(), nodes)
    torch.testing.assert_close(loss, torch.nn.functional.cross_entropy(task.head(h), task.classes[nodes]))


@pytest.mark.parametrize("task", ["node_property", "distance2clusters", "attribute_mask"])
def test_label_free_training_on_neighbor_batches_embeds_every_node(task):
    graph = random_graph()
    options = {"task_options": {"num_clusters": 3}} if task == "distance2clusters" else {}
    run = multissl.pretrain("graph", graph, method="selftask", task=task, supervised=False, max_epochs=2, **options, **NEIGHBOR, **QUIET)
    assert run.metrics["train"]["steps"] == 2 * (60 // 16)  # 60 seed nodes, 16 per batch, the rest dropped (drop_last)
    embeddings = run.embed(graph)
    assert embeddings.shape == (60, 128) and np.isfinite(embeddings).all()


def test_tasks_that_need_the_whole_graph_refuse_neighbor_batches():
    with pytest.raises(RecipeError, match="full-batch loader"):
        multissl.pretrain("graph", random_graph(), method="pairwise_distance", supervised=False, max_epochs=1, **NEIGHBOR, **QUIET)
