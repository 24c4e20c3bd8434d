"""Two-hop relation paths of SEENet's intra-time aggregation, computed once and cached on disk.

Within each time slot, a path ``u -> m -> v`` (``u != v``) follows two training relations; its type is
the pair of their kinds (with two kinds, the reference's ``00, 01, 10, 11``). As in the reference
(``build_hop2_dict`` with ``path_len=2``), a path is kept only when ``(u, v)`` is joined by at least
``min_paths`` distinct middle locations under that type and slot. Each path records the ids of its two
training triples, so a training step that keeps a random subset of triples keeps exactly the paths
whose both hops survive. Vectorised with numpy (a sort and a segment expansion per slot): no library
enumerates typed 2-hop paths with their hop ids.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

FIELDS = ("slot", "path_type", "source", "middle", "target", "first", "second")


def two_hop_paths(train: np.ndarray, num_slots: int, num_kinds: int, min_paths: int = 2) -> dict[str, np.ndarray]:
    """Arrays ``slot, path_type, source, middle, target, first, second`` (one entry per path) of the
    training triples ``train`` (E, 3); ``first``/``second`` index ``train``. Duplicate triples count once."""
    _, unique_ids = np.unique(train, axis=0, return_index=True)
    unique_ids.sort()
    heads, relations, tails = train[unique_ids].T
    slots, kinds = relations % num_slots, relations // num_slots
    chunks = []
    for slot in range(num_slots):
        edges = unique_ids[slots == slot]
        if len(edges) == 0:
            continue
        local = np.flatnonzero(slots == slot)
        order = local[np.argsort(heads[local], kind="stable")]  # hop 2 candidates grouped by their head
        sorted_heads = heads[order]
        start = np.searchsorted(sorted_heads, tails[local], side="left")
        count = np.searchsorted(sorted_heads, tails[local], side="right") - start
        first = np.repeat(local, count)
        offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        second = order[np.repeat(start, count) + offsets]
        keep = heads[first] != tails[second]
        first, second = first[keep], second[keep]
        path_type = kinds[first] * num_kinds + kinds[second]
        source, middle, target = heads[first], tails[first], tails[second]
        # at least min_paths distinct middles per (type, source, target)
        n = int(max(heads.max(), tails.max())) + 1
        group_key = (path_type * n + source) * n + target  # one int64 per (type, source, target); with the middle n^3 * types < 2^63 for n < 1.3M
        _, unique_rows = np.unique(group_key * n + middle, return_index=True)
        _, group, sizes = np.unique(group_key[unique_rows], return_inverse=True, return_counts=True)
        enough = np.zeros(len(first), dtype=bool)
        enough[unique_rows[sizes[group] >= min_paths]] = True
        chunks.append({
            "slot": np.full(int(enough.sum()), slot, dtype=np.int64), "path_type": path_type[enough],
            "source": source[enough], "middle": middle[enough], "target": target[enough],
            "first": unique_ids[first[enough]], "second": unique_ids[second[enough]],
        })
    if not chunks:
        return {field: np.zeros(0, dtype=np.int64) for field in FIELDS}
    return {field: np.concatenate([c[field] for c in chunks]).astype(np.int64) for field in FIELDS}


def cached_two_hop_paths(
    train: np.ndarray, num_slots: int, num_kinds: int, min_paths: int = 2, cache_dir: str | Path | None = None
) -> dict[str, np.ndarray]:
    """:func:`two_hop_paths`, read from ``cache_dir`` when computed before for the same triples, else
    computed and written there (default ``$XDG_CACHE_HOME/multissl/seenet_paths``, else ``~/.cache/...``).
    The file name is a digest of the triples and settings; ``cache_dir=False`` disables the cache."""
    if cache_dir is False:
        return two_hop_paths(train, num_slots, num_kinds, min_paths)
    digest = hashlib.sha1(np.ascontiguousarray(train, dtype=np.int64).tobytes())
    digest.update(f"{num_slots},{num_kinds},{min_paths},v1".encode())
    root = Path(cache_dir) if cache_dir else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "multissl" / "seenet_paths"
    path = root / f"{digest.hexdigest()}.npz"
    if path.is_file():
        with np.load(path) as stored:
            return {field: stored[field] for field in FIELDS}
    paths = two_hop_paths(train, num_slots, num_kinds, min_paths)
    try:
        root.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, **paths)
        os.replace(partial, path)  # atomic: concurrent runs never read a half-written cache
    except OSError:
        pass  # a read-only home only costs recomputing next time
    return paths


def path_aggregation_index(paths: dict[str, np.ndarray], num_types: int, num_locations: int) -> dict[str, np.ndarray]:
    """Paths sorted by type, with type-local ids of their (slot, source, target) group and of their
    (slot, middle, target) pair, and the groups' and pairs' own arrays; ``*_pointer`` (types + 1,) slice
    each array by type. SEConv sums a path's two message terms per group and per pair (a pair is one
    relation m -> v, so there are at most as many pairs as relations), which turns (paths x D) work into
    (groups x D) and (pairs x D) work; see :class:`~multissl_graph.seenet.two_hop_conv.TwoHopAttentionConv`."""
    order = np.argsort(paths["path_type"], kind="stable")
    p = {field: values[order] for field, values in paths.items()}
    n = num_locations
    out = {f"path_{field.removeprefix('path_')}": values for field, values in p.items()}
    out["path_pointer"] = np.searchsorted(p["path_type"], np.arange(num_types + 1))
    for name, other in (("group", "source"), ("pair", "middle")):
        key = ((p["path_type"] * 64 + p["slot"]) * n + p[other]) * n + p["target"]  # slots < 64
        unique, inverse = np.unique(key, return_inverse=True)
        kind = unique // (64 * n * n)
        pointer = np.searchsorted(kind, np.arange(num_types + 1))
        out[f"path_{name}"] = inverse.ravel() - pointer[p["path_type"]]  # type-local ids
        out[f"{name}_pointer"] = pointer
        out[f"{name}_slot"] = (unique // (n * n)) % 64
        out[f"{name}_{other}"] = (unique // n) % n
        out[f"{name}_target"] = unique % n
    return out
