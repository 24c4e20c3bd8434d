"""Interactions from a ``scipy.sparse`` matrix, and catalogues far larger than the log: nothing of size users × items."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.nn.conv.gcn_conv import gcn_norm

from multissl.errors import EmptyDataError, InvalidDataError
from multissl_recsys.adjacency import graph_context, normalized_adjacency
from multissl_recsys.modality import Interactions, InteractionsOptions


def test_a_sparse_matrix_with_ids_is_a_source_and_its_rows_and_columns_are_the_catalogue():
    matrix = sp.csr_array(np.array([[1, 0, 0, 2], [0, 0, 0, 0], [0, 1, 1, 0]], dtype=np.float32))
    modality = Interactions(InteractionsOptions(split="none"))
    raw = modality.load({"interactions": matrix, "user_ids": ["ann", "bob", "cy"], "item_ids": [10, 11, 12, 13]})
    modality.fit(raw)
    assert modality.user_ids == ["ann", "bob", "cy"] and modality.item_ids == ["10", "11", "12", "13"]  # bob: no interaction
    assert (modality.matrix() != (matrix != 0)).nnz == 0  # index r is the matrix's row r
    assert sorted(raw.train["rating"]) == [1.0, 1.0, 1.0, 2.0]
    assert isinstance(raw.train["user"].dtype, pd.CategoricalDtype)
    without_ids = Interactions(InteractionsOptions(split="none"))
    without_ids.fit(without_ids.load(sp.coo_array(matrix)))
    assert without_ids.user_ids == ["0", "1", "2"] and without_ids.item_ids == ["0", "1", "2", "3"]


def test_a_split_sparse_log_keeps_every_interaction_once_and_min_rating_applies():
    rng = np.random.default_rng(0)
    matrix = sp.random_array((40, 30), density=0.3, rng=rng, format="csr", dtype=np.float32)
    modality = Interactions(InteractionsOptions(test_fraction=0.25))
    raw = modality.load(matrix)
    modality.fit(raw)
    assert len(raw.train) + len(raw.test) == matrix.nnz
    assert ((modality.matrix() + modality.matrix(raw.test)) != (matrix != 0)).nnz == 0
    strict = Interactions(InteractionsOptions(split="none", min_rating=0.5))
    assert len(strict.load(matrix).train) == int((matrix.data >= 0.5).sum())


@pytest.mark.parametrize("source, message", [
    ({"interactions": sp.eye_array(3, format="csr"), "user_ids": ["a", "b"]}, "shape \\(3, 3\\) but user_ids has 2 ids"),
    ({"interactions": sp.eye_array(2, format="csr"), "item_ids": ["a", "a"]}, "item_ids repeats 'a'"),
    ({"interactions": pd.DataFrame({"user": [1], "item": [2]}), "user_ids": ["a"]}, "rows and columns of a sparse"),
    (sp.csr_array((2, 2), dtype=np.float32), "no non-zero entry"),
])
def test_bad_sparse_sources_are_refused_saying_what_to_pass(source, message):
    with pytest.raises((InvalidDataError, EmptyDataError), match=message):
        Interactions(InteractionsOptions(split="none")).load(source)


def test_the_normalised_graph_equals_gcn_norm_and_its_keys_are_sorted_and_distinct():
    rng = np.random.default_rng(1)
    users, items = torch.as_tensor(rng.integers(50, size=400)), torch.as_tensor(rng.integers(70, size=400))
    keys = torch.unique(users * 70 + items)
    u, i = keys // 70, keys % 70
    edge_index = torch.stack([torch.cat([u, i + 50]), torch.cat([i + 50, u])])
    edge_index, weight = gcn_norm(edge_index, None, 120, add_self_loops=False)
    expected = torch.sparse_coo_tensor(edge_index, weight, (120, 120)).to_dense()
    assert torch.allclose(normalized_adjacency(users, items, 50, 70).to_dense(), expected)  # repeats count once
    assert torch.equal(graph_context(users, items, 50, 70)["graph_keys"], keys)


SCRIPT = """
import json, time, numpy as np, scipy.sparse as sp, torch, multissl
torch.set_num_threads(1)
rng = np.random.default_rng(0)
n = 200_000
log = sp.csr_array((np.ones(4000, dtype=np.float32), (rng.integers(n, size=4000), rng.integers(n, size=4000))), shape=(n, n))
started = time.perf_counter()
run = multissl.pretrain("interactions", log, "lightgcn", **{"method.embedding_dim": 8, "method.n_layers": 2,
    "loader.batch_size": 512, "trainer.max_steps": 1, "trainer.max_epochs": -1, "trainer.enable_progress_bar": False,
    "trainer.loggers": [], "evaluate": {"evaluators": ["ranking"], "k": 10, "max_users": 200, "batch_users": 64}})
# VmHWM: this process's own peak (ru_maxrss would keep the forking pytest process's across exec)
peak_kib = int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
print(json.dumps({"users": len(run.modality.user_ids), "items": len(run.modality.item_ids), "steps": run.metrics["train"]["steps"],
                  "recall": run.metrics["evaluation"]["recall@10"], "seconds": time.perf_counter() - started,
                  "peak_gib": peak_kib / 2**20}))
"""


def test_a_200k_by_200k_log_of_few_interactions_trains_and_ranks_in_small_memory():
    """Dense users × items would be 4e10 entries (160 GB as float32): the run must not allocate anything that size."""
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600, env={"OMP_NUM_THREADS": "1", **_env()})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["users"] == report["items"] == 200_000 and report["steps"] == 1
    assert 0.0 <= report["recall"] <= 1.0
    assert report["peak_gib"] < 2.0, report  # torch and Lightning themselves take about 0.6 GiB


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
