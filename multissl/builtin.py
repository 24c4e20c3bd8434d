"""The core's own plugin: it registers the generic components through the same hook plugins use.

Targets are lazy strings, so listing plugins never imports torch.
"""

from __future__ import annotations

from pathlib import Path

from multissl.hookspecs import hookimpl

_VIEWS = {
    "random_mask": ("multissl.views.random_mask:RandomMask", "hide a fixed ratio of positions"),
    "span_mask": ("multissl.views.span_mask:SpanMask", "hide spans of consecutive positions (TERA/HuBERT)"),
    "gaussian_noise": ("multissl.views.gaussian_noise:GaussianNoise", "add N(0, std^2) noise"),
    "feature_subset": ("multissl.views.feature_subset:FeatureSubset", "keep a random subset of features"),
    "marginal_corruption": ("multissl.views.marginal_corruption:MarginalCorruption", "SCARF: resample from marginals"),
    "compose": ("multissl.views.compose:Compose", "apply several view generators in order"),
}
_ENCODERS = {
    "mlp": ("multissl.encoders.mlp:MLPEncoder", "multi-layer perceptron over vectors"),
    "transformer": ("multissl.encoders.transformer:TransformerEncoder", "Transformer over token sequences"),
    "cnn1d": ("multissl.encoders.cnn1d:CNN1dEncoder", "1-D CNN over time series (TPN)"),
}
_OBJECTIVES = {
    "infonce": ("multissl.objectives.infonce:InfoNCE", "InfoNCE with several positives and per-pair weights"),
    "ntxent": ("multissl.objectives.ntxent:NTXent", "SimCLR's symmetric NT-Xent"),
    "barlow_twins": ("multissl.objectives.barlow_twins:BarlowTwins", "cross-correlation to identity"),
    "vicreg": ("multissl.objectives.vicreg:VICReg", "variance-invariance-covariance"),
    "masked_reconstruction": ("multissl.objectives.masked_reconstruction:MaskedReconstruction", "L1/L2 on masked positions"),
    "masked_cluster_prediction": (
        "multissl.objectives.masked_cluster_prediction:MaskedClusterPrediction",
        "cross-entropy over cluster codes on masked frames",
    ),
    "latent_prediction": ("multissl.objectives.latent_prediction:LatentPrediction", "MSE / smooth-L1 in latent space"),
    "byol": ("multissl.objectives.byol:BYOLLoss", "BYOL's 2 - 2 cos(prediction, target)"),
    "scaled_cosine_error": ("multissl.objectives.scaled_cosine_error:ScaledCosineError", "GraphMAE's (1 - cos)^gamma on masked rows"),
}
_DATASETS = {
    "breast_cancer": "569 x 30, binary (scikit-learn, bundled)",
    "wine": "178 x 13, 3 classes (scikit-learn, bundled)",
    "digits": "1,797 x 64, 10 classes (scikit-learn, bundled)",
}


@hookimpl
def multissl_register(registry) -> None:
    registry.add_modality(
        "vectors", "multissl.modalities.vectors:Vectors", summary="fixed-size numeric vectors",
        default_method="simclr", evaluators=["probe"],
    )
    registry.add_input("x", "multissl.methods.generic_input:GenericInput", summary="batches holding x (and valid)")
    for name, (target, summary) in _VIEWS.items():
        registry.add_view(name, target, summary=summary)
    for name, (target, summary) in _ENCODERS.items():
        registry.add_encoder(name, target, summary=summary)
    for name, (target, summary) in _OBJECTIVES.items():
        registry.add_objective(name, target, summary=summary)
    registry.add_evaluator(
        "probe", "multissl.eval.probe_evaluator:Probe",
        summary="linear probe, kNN and RankMe on frozen embeddings vs the raw features",
    )
    registry.add_evaluator(
        "finetune", "multissl.finetuning.evaluator:Finetune",
        summary="frozen vs fine-tuned vs from-scratch encoder with a linear head, on a fraction of the labels",
    )
    for name, summary in _DATASETS.items():
        registry.add_dataset(
            name, f"multissl.modalities.sklearn_datasets:{name}", modality="vectors", summary=summary,
            options={"label_column": "target"},
        )
    registry.add_method("simclr", "multissl.methods.two_view:SimCLR", modalities=["vectors"], summary="two views + NT-Xent")
    registry.add_method("vicreg", "multissl.methods.two_view:VICRegMethod", modalities=["vectors"], summary="two views + VICReg")
    registry.add_method(
        "barlow_twins", "multissl.methods.two_view:BarlowTwinsMethod", modalities=["vectors"], summary="two views + Barlow Twins"
    )
    registry.add_method("byol", "multissl.methods.byol:BYOL", modalities=["vectors"], summary="online predictor vs EMA target")
    registry.add_method("mae", "multissl.methods.mae:MaskedAutoencoder", modalities=["vectors"], summary="masked reconstruction")


@hookimpl
def multissl_recipe_dirs() -> list[str]:
    return [str(Path(__file__).parent / "recipes")]
