"""multissl-tabular: T-JEPA and SCARF on tables."""

__version__ = "0.1.0"
