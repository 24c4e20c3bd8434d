"""Objectives: ``nn.Module`` losses returning ``(loss, logs)``, correct under data parallelism."""

from multissl.objectives.barlow_twins import BarlowTwins
from multissl.objectives.byol import BYOLLoss
from multissl.objectives.infonce import InfoNCE
from multissl.objectives.latent_prediction import LatentPrediction
from multissl.objectives.masked_cluster_prediction import MaskedClusterPrediction
from multissl.objectives.masked_reconstruction import MaskedReconstruction
from multissl.objectives.ntxent import NTXent
from multissl.objectives.scaled_cosine_error import ScaledCosineError
from multissl.objectives.vicreg import VICReg

__all__ = [
    "BarlowTwins",
    "BYOLLoss",
    "InfoNCE",
    "LatentPrediction",
    "MaskedClusterPrediction",
    "MaskedReconstruction",
    "NTXent",
    "ScaledCosineError",
    "VICReg",
]
