"""Modalities: how the data users hold becomes batches, with the preprocessing fitted once."""
