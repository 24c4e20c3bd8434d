"""Training targets shared by methods: an EMA teacher and k-means pseudo-labels."""

from multissl.targets.ema_teacher import EMATeacher
from multissl.targets.kmeans_targets import KMeansTargets

__all__ = ["EMATeacher", "KMeansTargets"]
