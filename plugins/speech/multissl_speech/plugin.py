"""Entry point of multissl-speech: modality ``speech``, methods ``tera`` and ``hubert``, and what the core's
generic methods need on speech (input ``speech_frames``, views, encoder).

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from multissl import hookimpl


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-speech."""
    registry.add_modality("speech", "multissl_speech.modality:Speech",
                          summary="audio clips (WAV/FLAC/OGG, arrays, manifests), resampled, features on the device",
                          default_method="tera", evaluators=["speech_probe"])
    registry.add_method("tera", "multissl_speech.tera:TERA", modalities=["speech"],
                        summary="TERA: reconstruct time/frequency/magnitude-altered log-mel frames (L1)")
    registry.add_method("hubert", "multissl_speech.hubert:HuBERT", modalities=["speech"],
                        summary="HuBERT: masked prediction of k-means codes (MFCC, then a layer of the previous model)")
    registry.add_input("speech_frames", "multissl_speech.speech_frames:SpeechFrames",
                       summary="feature frames (N, T, F) from the front end, real frames valid; the generic methods' input")
    registry.add_view("frequency_mask", "multissl_speech.frequency_mask:FrequencyMask",
                      summary="zero one band of consecutive feature bins on every frame (TERA, SpecAugment)")
    registry.add_view("tera_alteration", "multissl_speech.tera_alteration:TERAAlteration",
                      summary="TERA's time (zero/replace spans), frequency and magnitude alteration of features")
    registry.add_encoder("speech_transformer", "multissl_speech.speech_transformer:SpeechTransformer",
                         summary="Transformer over feature frames (TERA's shape), built from the speech input_spec")
    for generic in ("simclr", "vicreg", "barlow_twins", "byol", "mae"):
        registry.serve(generic, "speech")
    registry.add_evaluator("speech_probe", "multissl_speech.speech_probe:SpeechProbe", modalities=["speech"],
                           summary="weighted sum of layers + linear classifier on the data's split, against log-mel")
    registry.add_dataset("fsdd", "multissl_speech.datasets:fsdd", modality="speech", path="speech/fsdd",
                         options={"label_column": "digit"},
                         summary="Free Spoken Digit Dataset: 3,000 clips, 10 digits x 6 speakers, official split")
    registry.add_dataset("librispeech_subset", "multissl_speech.datasets:librispeech_subset", modality="speech",
                         path="speech/librispeech_subset", options={"label_column": "speaker"},
                         summary="LibriSpeech excerpts: test-other 10 speakers x 10 clips, train-clean-100 251 clips")


@hookimpl
def multissl_recipe_dirs() -> list[str]:
    """Recipes on the shared speech datasets (``multissl recipes``)."""
    from pathlib import Path

    return [str(Path(__file__).parent / "recipes")]
