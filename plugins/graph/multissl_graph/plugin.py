"""Entry point of multissl-graph. Registers nothing yet: the modality and methods arrive with their issue.

Keep this module light: register components as lazy `"module:attribute"` strings so that
`multissl plugins` never imports torch.
"""

from __future__ import annotations

from multissl import hookimpl


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-graph (none yet)."""
