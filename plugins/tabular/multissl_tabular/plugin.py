"""Entry point of multissl-tabular: modality ``tabular``, methods ``tjepa`` and ``scarf``.

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from pathlib import Path

from multissl import hookimpl


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-tabular."""
    registry.add_modality(
        "tabular", "multissl_tabular.modality:Tabular", summary="mixed numeric/categorical tables (DataFrame, CSV, Parquet)"
    )
    registry.add_method(
        "tjepa", "multissl_tabular.tjepa:TJEPA", modalities=["tabular"], summary="T-JEPA: latent prediction over column subsets"
    )
    registry.add_method(
        "scarf", "multissl_tabular.scarf:SCARF", modalities=["tabular"], summary="SCARF: marginal corruption + NT-Xent"
    )


@hookimpl
def multissl_recipe_dirs() -> list[str]:
    return [str(Path(__file__).parent / "recipes")]
