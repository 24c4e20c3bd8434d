"""View generators: ``(batch, generator) -> View``, pure, vectorised and seeded."""

from multissl.views.base import View, ViewGenerator
from multissl.views.compose import Compose
from multissl.views.feature_subset import FeatureSubset
from multissl.views.gaussian_noise import GaussianNoise
from multissl.views.marginal_corruption import MarginalCorruption
from multissl.views.random_mask import RandomMask
from multissl.views.span_mask import SpanMask

__all__ = [
    "Compose",
    "FeatureSubset",
    "GaussianNoise",
    "MarginalCorruption",
    "RandomMask",
    "SpanMask",
    "View",
    "ViewGenerator",
]
