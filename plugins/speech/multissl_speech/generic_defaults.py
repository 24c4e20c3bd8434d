"""What the core's generic methods use on speech unless a recipe says otherwise (the speech modality's
``method_defaults``): the ``speech_frames`` input, the ``speech_transformer`` encoder, and feature views.

Two-view methods (SimCLR, VICReg, Barlow Twins, BYOL): each view masks spans of frames (the core ``span_mask``,
TERA's 15 % in spans of 7), one band of up to 20 % of the mel bins (``frequency_mask``) and adds
``N(0, 0.1²)`` noise to the normalised features (the core ``gaussian_noise``): SpecAugment-style time and
frequency masking (Park et al. 2019) with TERA's proportions. MAE: the same time and frequency masks, the clean
frames reconstructed from the encoder's per-frame outputs, scored on the hidden frames and bins (TERA's
objective with MSE in place of L1 and without the replacement and noise alterations).
"""

from __future__ import annotations

SPEECH_ENCODER = {"d_model": 192, "num_layers": 3, "num_heads": 4, "ffn_dim": 768, "dropout": 0.1}
MASKS = [{"name": "span_mask", "ratio": 0.15, "span": 7}, {"name": "frequency_mask", "max_fraction": 0.2}]
TWO_VIEWS = [*MASKS, {"name": "gaussian_noise", "std": 0.1}]
COMMON = {"input": "speech_frames", "encoder": "speech_transformer", "encoder_options": SPEECH_ENCODER}

SPEECH_METHOD_DEFAULTS = {
    "simclr": {**COMMON, "views": TWO_VIEWS, "projector_dims": [256, 128]},
    "vicreg": {**COMMON, "views": TWO_VIEWS, "projector_dims": [512, 512]},
    "barlow_twins": {**COMMON, "views": TWO_VIEWS, "projector_dims": [512, 512]},
    "byol": {**COMMON, "views": TWO_VIEWS, "projector_dims": [256, 128], "predictor_dims": [256]},
    "mae": {**COMMON, "views": MASKS, "decoder_dims": [192], "loss": "mse"},
}
