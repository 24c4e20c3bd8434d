"""Training on neighbour mini-batches (``data.loader: neighbor``): every method that allows it trains a step and embeds
every node the same after save/load (batched inference, each node from its sampled neighbourhood); the methods
that need the whole graph refuse before the first step; seed batches shard across processes under DDP."""

import json

import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import Callback
from torch_geometric.datasets import KarateClub

import multissl
from multissl.errors import RecipeError
from multissl_graph import seed_batches
from multissl_graph.seed_batches import SeedBatchSampler
from multissl_graph.tasks import TASKS

QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}
NEIGHBOR = {"data.loader": "neighbor", "data.num_neighbors": [4, 3], "batch_size": 16}
MINI_BATCH_TASKS = sorted(name for name, task in TASKS.items() if not task.whole_graph)
WHOLE_GRAPH_TASKS = sorted(name for name, task in TASKS.items() if task.whole_graph)
SMALL = {
    "dgi": {"encoder_options": {"hidden_dims": [32], "activation": "prelu"}},
    "grace": {"encoder_options": {"hidden_dims": [32, 16], "activation": "relu"}, "projection_dim": 16},
    "graphmae": {"encoder_options": {"hidden_dim": 16, "heads": 2, "num_layers": 2}},
    "distance2clusters": {"task_options": {"num_clusters": 3}},
}


def karate():
    """Zachary's karate club: 34 members, 78 friendships, 4 groups (one labelled member each)."""
    return KarateClub()[0]


@pytest.mark.parametrize("method", [
    *MINI_BATCH_TASKS, "dgi", "grace", "bgrl", "graphmae", "cca_ssg", "simclr", "vicreg", "barlow_twins", "byol", "mae",
])
def test_method_trains_on_neighbor_batches_and_embeds_every_node_the_same_after_save_and_load(method, tmp_path):
    graph = karate()
    options = {"supervised": False} if method in TASKS else {}
    run = multissl.pretrain("graph", graph, method=method, max_steps=1, **SMALL.get(method, {}), **options, **NEIGHBOR, **QUIET)
    assert run.metrics["train"]["steps"] == 1
    embeddings = run.embed(graph)
    assert embeddings.shape[0] == 34 and np.isfinite(embeddings).all()
    np.testing.assert_array_equal(run.embed(graph), embeddings)  # the same sampled neighbourhoods each time
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(graph), embeddings)


def test_joint_selftask_trains_its_classifier_on_the_labelled_seed_nodes():
    run = multissl.pretrain("graph", karate(), method="node_property", max_steps=1, **{**NEIGHBOR, "batch_size": 34}, **QUIET)
    assert "train/supervised/nll" in run.metrics["train"] and "train/ssl/node_property" in run.metrics["train"]
    assert run.embed(karate()).shape == (34, 128)


def undirected_pairs(nodes, local_pairs):
    """The set of global ``(u, v)``, ``u <= v``, of a batch's ``(P, 2)`` pairs of rows."""
    return set(map(tuple, nodes[local_pairs].sort(dim=-1).values.reshape(-1, 2).tolist()))


def test_edge_mask_hides_the_masked_edges_of_a_mini_batch_and_scores_them_against_non_edges():
    from multissl_graph.modality import Graph, GraphOptions
    from multissl_graph.tasks.edge_mask import EdgeMask

    modality = Graph(GraphOptions(loader="neighbor", num_neighbors=[4, 3]))
    raw = modality.load(karate())
    modality.fit(raw)
    batch = next(iter(modality.dataloader(modality.dataset(raw), batch_size=8, shuffle=True, drop_last=True, num_workers=0, seed=0)))
    task = EdgeMask(16, {"input_dim": 34}, mask_ratio=0.3)
    task.prepare(batch["graph"], seed=0)
    inputs = task.training_inputs(batch["x"], batch["edge_index"], batch["n_id"])
    masked = set(map(tuple, task.masked.tolist()))
    nodes = batch["n_id"]
    kept = undirected_pairs(nodes, inputs.edge_index.t())
    positives = undirected_pairs(nodes, inputs.targets["masked"])
    assert kept.isdisjoint(masked)
    assert positives and positives <= masked
    assert positives | kept == undirected_pairs(nodes, batch["edge_index"].t())
    negatives = task.sample_non_edges(len(positives), torch.Generator().manual_seed(0), batch["n_id"])
    edges = set(map(tuple, batch["graph"]["edge_index"].t().tolist()))
    assert len(negatives) and all(tuple(pair) not in edges for pair in batch["n_id"][negatives].tolist())
    loss, _ = task.loss(torch.randn(len(batch["n_id"]), 16), torch.Generator().manual_seed(0), batch["n_id"], inputs)
    assert torch.isfinite(loss)


def test_worker_processes_make_the_same_batches_and_never_copy_the_whole_graph():
    from multissl_graph.modality import Graph, GraphOptions

    modality = Graph(GraphOptions(loader="neighbor", num_neighbors=[4, 3]))
    raw = modality.load(karate())
    modality.fit(raw)
    dataset = modality.dataset(raw)
    batches = {}
    for workers in (0, 2):
        loader = modality.dataloader(dataset, batch_size=8, shuffle=True, drop_last=False, num_workers=workers, seed=1)
        batches[workers] = list(loader)
    assert len(batches[0]) == len(batches[2]) == 5
    for alone, pooled in zip(batches[0], batches[2]):
        assert torch.equal(alone["n_id"], pooled["n_id"]) and torch.equal(alone["edge_index"], pooled["edge_index"])
        assert pooled["graph"] is dataset.graph


class CountSteps(Callback):
    def __init__(self):
        self.steps = 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.steps += 1


@pytest.mark.parametrize("task", WHOLE_GRAPH_TASKS)
def test_tasks_that_need_the_whole_graph_refuse_neighbor_batches_before_the_first_step(task):
    counter = CountSteps()
    with pytest.raises(RecipeError, match=rf"task '{task}' cannot train on neighbour mini-batches.*data.loader: full"):
        multissl.pretrain("graph", karate(), method=task, max_steps=1, callbacks=[counter], **NEIGHBOR, **QUIET)
    assert counter.steps == 0


def test_the_refusal_reaches_the_user_as_itself_under_ddp_spawn():
    """Raised in the launching process before the workers start, not wrapped in their ProcessRaisedException."""
    with pytest.raises(RecipeError, match="cannot train on neighbour mini-batches"):
        multissl.pretrain(
            "graph", karate(), method=WHOLE_GRAPH_TASKS[0], max_steps=1,
            **{**NEIGHBOR, "trainer.devices": 2, "trainer.strategy": "ddp_spawn", "trainer.accelerator": "cpu"}, **QUIET,
        )


def test_seenet_refuses_mini_batches_before_reading_data():
    with pytest.raises(RecipeError, match="trains on the whole graph only"):
        multissl.pretrain("temporal_relations", "/no/such/folder", method="seenet", **{"data.loader": "neighbor"}, **QUIET)


@pytest.mark.parametrize("nodes, batch, world, drop_last", [(34, 8, 2, False), (35, 4, 3, False), (34, 8, 2, True), (100, 7, 4, True)])
def test_seed_batches_are_disjoint_with_equal_steps_per_process(monkeypatch, nodes, batch, world, drop_last):
    sampler = SeedBatchSampler(nodes, batch, shuffle=True, drop_last=drop_last, seed=3)
    per_rank = []
    for rank in range(world):
        monkeypatch.setattr(seed_batches, "process_share", lambda rank=rank: (rank, world))
        sampler.set_epoch(5)
        per_rank.append([seeds for _, seeds in sampler])
        assert len(per_rank[-1]) == len(sampler)
    assert len({len(batches) for batches in per_rank}) == 1, "every process takes the same number of steps"
    seeds = torch.cat([s for batches in per_rank for s in batches])
    assert len(torch.unique(seeds)) == len(seeds), "no node is a seed twice in an epoch"
    assert all(len(s) <= batch for batches in per_rank for s in batches)
    if drop_last:
        assert all(len(s) == batch for batches in per_rank for s in batches)
        assert len(seeds) == world * (nodes // (world * batch)) * batch
    else:
        assert sorted(seeds.tolist()) == list(range(nodes))


def test_too_few_seed_nodes_for_one_batch_per_process_is_refused(monkeypatch):
    monkeypatch.setattr(seed_batches, "process_share", lambda: (0, 4))
    with pytest.raises(RecipeError, match="lower loader.batch_size to at most 8"):
        list(SeedBatchSampler(34, 16, shuffle=True, drop_last=True, seed=0))


def test_a_sampler_sent_to_another_process_samples_into_a_buffer_of_its_own():
    import pickle
    from multiprocessing.reduction import ForkingPickler

    import torch.multiprocessing  # noqa: F401  (tensors sent to other processes go through shared memory)
    from multissl_graph.neighbor_sampler import UniformNeighborSampler

    sampler = UniformNeighborSampler(karate().edge_index, 34, [3])
    sent = pickle.loads(ForkingPickler.dumps(sampler))
    assert sent.sources.is_shared(), "the graph's index is shared, read-only"
    assert not sent.local.is_shared() and (sent.local == -1).all(), "the buffer each batch writes is not"


class RecordSeeds(Callback):
    """Writes each process's seed nodes of every epoch to ``folder/rank<r>.json``."""

    def __init__(self, folder):
        self.folder = str(folder)
        self.seeds = {}

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        seeds = batch["n_id"][: int(batch["seed_count"])].tolist()
        self.seeds.setdefault(str(trainer.current_epoch), []).append(seeds)

    def on_train_end(self, trainer, pl_module):
        with open(f"{self.folder}/rank{trainer.global_rank}.json", "w") as file:
            json.dump(self.seeds, file)


def test_every_node_is_a_seed_exactly_once_per_epoch_across_two_ddp_processes(tmp_path):
    multissl.pretrain(
        "graph", karate(), method="node_property", supervised=False, max_epochs=2, callbacks=[RecordSeeds(tmp_path)],
        **{**NEIGHBOR, "batch_size": 8, "loader.drop_last": False, "trainer.devices": 2, "trainer.strategy": "ddp_spawn",
           "trainer.accelerator": "cpu"}, **QUIET,
    )
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    for epoch in ("0", "1"):
        assert len(ranks[0][epoch]) == len(ranks[1][epoch]) == 3  # ceil(34 / (2 x 8)) steps in each process
        seeds = [node for rank in ranks for batch in rank[epoch] for node in batch]
        assert sorted(seeds) == list(range(34))
    assert ranks[0]["0"] != ranks[0]["1"], "each epoch draws a new order"
