"""Training engine: the Lightning trainer factory, atomic files and run directories."""
