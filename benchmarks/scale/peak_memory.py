"""The peak resident memory of the running process, shared by the scale benchmarks.

``VmHWM`` (``/proc/self/status``), the high-water mark of this process alone: ``getrusage``'s ``ru_maxrss`` would
keep the peak of the process that started it (a benchmark's parent, or pytest) across fork and exec.
"""

from __future__ import annotations

from pathlib import Path


def peak_rss_gib() -> float:
    """This process's peak resident memory so far, in GiB (Linux)."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 2**20  # kB
