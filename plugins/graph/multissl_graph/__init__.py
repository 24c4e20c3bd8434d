"""multissl-graph: SelfTask pretext tasks and SEENet on torch-geometric graphs."""

__version__ = "0.1.0"
