"""Entry point of multissl-tabular: modality ``tabular``, methods ``tjepa`` and ``scarf``, the core's generic
methods on tables (input ``table_rows``, encoder ``table_transformer``, view ``training_marginal_corruption``),
evaluator ``tabular_probe`` and the shared tables by name.

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from pathlib import Path

from multissl import hookimpl

_MUSHROOM_COLUMNS = [
    "cap-shape", "cap-surface", "cap-color", "bruises?", "odor", "gill-attachment", "gill-spacing", "gill-size",
    "gill-color", "stalk-shape", "stalk-root", "stalk-surface-above-ring", "stalk-surface-below-ring",
    "stalk-color-above-ring", "stalk-color-below-ring", "veil-type", "veil-color", "ring-number", "ring-type",
    "spore-print-color", "population", "habitat",
]
"""Mushroom's 22 attributes, all categorical, stored as integer codes."""

GENERIC_METHODS = ("simclr", "vicreg", "barlow_twins", "byol", "mae")
"""The core's generic methods offered on tables (their tabular defaults: ``Tabular.method_defaults``)."""

_DATASETS = {
    "adult": (
        "tabular/adult", "UCI Adult, 48,842 x 15, binary target income",
        {"label_column": "income", "missing_values": ["?"]},
    ),
    "california_housing": (
        "tabular/california_housing", "20,640 x 9, regression target MedHouseVal",
        {"label_column": "MedHouseVal"},
    ),
    "mushroom": (
        "tabular/mushroom", "UCI Mushroom, 8,124 x 23, integer-coded categories, binary target",
        {"label_column": "target", "categorical_columns": _MUSHROOM_COLUMNS},
    ),
    "heart_disease": (
        "tabular/heart_disease", "UCI Heart disease (Cleveland), 304 x 14, mixed, binary target",
        {"label_column": "target", "categorical_columns": ["sex", "cp", "exang", "slope", "thal", "restecg", "fbs"]},
    ),
}


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-tabular."""
    registry.add_modality(
        "tabular", "multissl_tabular.modality:Tabular", summary="mixed numeric/categorical tables (DataFrame, CSV, Parquet)",
        default_method="scarf", evaluators=["tabular_probe"],
    )
    registry.add_method(
        "tjepa", "multissl_tabular.tjepa:TJEPA", modalities=["tabular"], summary="T-JEPA: latent prediction over column subsets"
    )
    registry.add_method(
        "scarf", "multissl_tabular.scarf:SCARF", modalities=["tabular"], summary="SCARF: marginal corruption + NT-Xent"
    )
    registry.add_input("table_rows", "multissl_tabular.table_rows:TableRows", summary="table rows as Inputs for the generic methods")
    registry.add_encoder("table_transformer", "multissl_tabular.table_rows:TableTransformer", summary="feature tokenizer + Transformer over a row")
    registry.add_view(
        "training_marginal_corruption", "multissl_tabular.table_rows:TrainingMarginalCorruption",
        summary="SCARF corruption from the training marginals (table_rows inputs)",
    )
    for method in GENERIC_METHODS:
        registry.serve(method, "tabular")
    registry.add_evaluator(
        "tabular_probe", "multissl_tabular.mlp_head_evaluator:TabularProbe", modalities=["tabular"],
        summary="MLP head on frozen embeddings vs the same head on the raw features",
    )
    for name, (path, summary, options) in _DATASETS.items():
        registry.add_dataset(
            name, f"multissl_tabular.datasets:{name}", modality="tabular", summary=summary, path=path, options=options
        )


@hookimpl
def multissl_recipe_dirs() -> list[str]:
    return [str(Path(__file__).parent / "recipes")]
