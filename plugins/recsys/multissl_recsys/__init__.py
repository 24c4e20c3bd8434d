"""multissl-recsys: Two-tower SSL and graph collaborative filtering SSL (SGL, SimGCL)."""

__version__ = "0.1.0"
