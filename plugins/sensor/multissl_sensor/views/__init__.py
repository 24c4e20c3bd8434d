"""Standard sensor augmentations (Um et al. 2017; Tang et al. 2020) as core view generators over (N, T, C)."""
