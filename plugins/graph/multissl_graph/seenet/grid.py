"""Grid cells over locations and the distant-cell negatives of SEENet's global task (spatial infomax).

Locations are projected to a local plane (equirectangular, ``x = R (lon - lon_min) cos(lat_mean)``,
``y = R (lat - lat_min)``, R = 6,371,008.8 m), so distances are metres wherever the city is and cells
start at the south-west corner; a cell of side ``g`` metres is ``(floor(x/g), floor(y/g))``. Cells with fewer than
``min_locations`` locations are dropped, as in the SEENet Tokyo grid files (every cell there holds >= 2).
"""

from __future__ import annotations

import numpy as np

from multissl.errors import InvalidDataError

EARTH_RADIUS_M = 6_371_008.8


def project_to_metres(coords: np.ndarray) -> np.ndarray:
    """(N, 2) latitude/longitude in degrees -> (N, 2) x/y in metres on the local equirectangular plane."""
    lat, lon = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    scale = np.cos(lat.mean())
    return np.stack([EARTH_RADIUS_M * (lon - lon.min()) * scale, EARTH_RADIUS_M * (lat - lat.min())], axis=1)


def grid_cells(coords: np.ndarray, cell_size_m: float, min_locations: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``(cells, cell_of)``: (C, 2) integer cell coordinates and each location's cell index (-1: none)."""
    keys = np.floor(project_to_metres(coords) / float(cell_size_m)).astype(np.int64)
    cells, cell_of, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    kept = counts >= min_locations
    remap = np.full(len(cells), -1, dtype=np.int64)
    remap[kept] = np.arange(int(kept.sum()))
    return cells[kept], remap[cell_of.ravel()]


def negative_candidates(cells: np.ndarray, cell_of: np.ndarray, hop: int, width: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """CSR ``(pointer, locations)`` of each cell's negative locations: those in cells at Manhattan distance
    ``hop < d < hop + width`` from it (the reference's ring), or every location of other cells when that ring
    is empty. Computed once per dataset (C x C distances; C is a few thousand at most for a city)."""
    distance = np.abs(cells[:, None, :] - cells[None, :, :]).sum(-1)
    ring = (distance > hop) & (distance < hop + width)
    members = [np.flatnonzero(cell_of == c) for c in range(len(cells))]
    in_cells = np.flatnonzero(cell_of >= 0)
    pointer, chosen = [0], []
    for c in range(len(cells)):
        near = np.flatnonzero(ring[c])
        candidates = np.concatenate([members[d] for d in near]) if len(near) else in_cells[cell_of[in_cells] != c]
        if len(candidates) == 0:
            raise InvalidDataError(
                "The grid has a single cell holding locations, so the global SE-SSL task has no negatives; use a "
                "smaller grid cell size or turn SE-SSL off (method option ssl=False)."
            )
        chosen.append(candidates)
        pointer.append(pointer[-1] + len(candidates))
    return np.asarray(pointer, dtype=np.int64), np.concatenate(chosen).astype(np.int64)
