"""Pictures of runs and benchmarks: ``multissl report RUN`` and the bar chart ``multissl bench`` writes."""
