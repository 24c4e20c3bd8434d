"""matplotlib, behind the ``report`` extra, drawing off screen."""

from __future__ import annotations

import importlib.util

from multissl.errors import RecipeError


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend; a clear error naming the extra when missing."""
    if importlib.util.find_spec("matplotlib") is None:
        raise RecipeError("Plots need matplotlib, which is not installed: pip install 'multissl[report]'.")
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt
