"""Entry point of multissl-speech: modality ``speech``, methods ``tera`` and ``hubert``.

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from multissl import hookimpl


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-speech."""
    registry.add_modality("speech", "multissl_speech.modality:Speech",
                          summary="audio clips (WAV/FLAC/OGG, arrays), resampled, features on the device")
    registry.add_method("tera", "multissl_speech.tera:TERA", modalities=["speech"],
                        summary="TERA: reconstruct time/frequency/magnitude-altered log-mel frames (L1)")
    registry.add_method("hubert", "multissl_speech.hubert:HuBERT", modalities=["speech"],
                        summary="HuBERT: masked prediction of k-means codes (MFCC, then a layer of the previous model)")


@hookimpl
def multissl_recipe_dirs() -> list[str]:
    """Recipes with the papers' Base sizes (``multissl recipes``)."""
    from pathlib import Path

    return [str(Path(__file__).parent / "recipes")]
