"""The weighted-layer probe finds the layer that carries the label."""

from __future__ import annotations

import numpy as np
from multissl_speech.downstream import weighted_layer_probe


def test_the_weighted_layer_probe_finds_the_informative_layer():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    x = rng.normal(size=(300, 3, 8)).astype(np.float32)
    x[:, 2, 0] += 3 * labels  # only layer 2 carries the label
    result = weighted_layer_probe(x[:200], labels[:200], x[200:], labels[200:], steps=100, lr=0.05)
    assert result["accuracy"] > 0.9 and np.argmax(result["layer_weights"]) == 2
