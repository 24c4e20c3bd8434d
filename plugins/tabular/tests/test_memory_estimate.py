"""The in-memory size estimate that decides streaming, against the resident memory the in-memory path really adds."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROWS = 200_000

MEASURE = """
import json, sys
from pathlib import Path
from multissl_tabular.memory_estimate import in_memory_bytes
from multissl_tabular.modality import Tabular, TabularOptions
from multissl_tabular.streaming import parquet_dataset

def peak_bytes():  # VmHWM: this process's peak resident memory (ru_maxrss would keep the parent's across exec)
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

path = Path(sys.argv[1])
options = TabularOptions(label_column="income", missing_values=["?"], streaming=False)
estimate = in_memory_bytes(parquet_dataset(path), options)
before = peak_bytes()  # the peak so far: imports and the estimate
modality = Tabular(options)
raw = modality.load(path)
modality.fit(raw)
dataset = modality.dataset(raw)
print(json.dumps({"estimate": estimate, "measured": peak_bytes() - before}))
"""


def _adult_like(n: int) -> pa.Table:
    """Adult's schema: six integer columns and nine string columns (the label ``income`` among them), "?" missing."""
    rng = np.random.default_rng(0)
    columns = {name: rng.integers(0, high, n) for name, high in
               [("age", 90), ("fnlwgt", 1_500_000), ("education-num", 16), ("capital-gain", 100_000),
                ("capital-loss", 4_000), ("hours-per-week", 99)]}
    for name, size in [("workclass", 9), ("education", 16), ("marital-status", 7), ("occupation", 15),
                       ("relationship", 6), ("race", 5), ("sex", 2), ("native-country", 42), ("income", 2)]:
        vocabulary = np.array(["?", *(f"{name}-value-{i}" for i in range(size))])
        columns[name] = vocabulary[rng.integers(0, size + 1, n)]
    return pa.table(columns)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the peak resident memory from /proc/self/status")
def test_the_estimate_is_within_a_third_of_the_measured_memory(tmp_path):
    path = tmp_path / "adult_like.parquet"
    pq.write_table(_adult_like(ROWS), path, row_group_size=50_000)
    result = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    sizes = json.loads(result.stdout.strip().splitlines()[-1])
    ratio = sizes["estimate"] / sizes["measured"]
    assert 0.67 < ratio < 1.5, sizes
    assert ROWS * 15 * 8 / sizes["measured"] < 0.3  # rows x columns x 8 bytes, the size once used, is far too low
