"""Every registered method: one fit step on its modality's example data, save, load, same embeddings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import multissl
from multissl.conformance import example_data, generic_pairs, method_and_batch, method_modality_pairs
from multissl.plugins import registry

PAIRS = method_modality_pairs()


@pytest.mark.parametrize(("method", "modality"), PAIRS, ids=[f"{m}-{mod}" for m, mod in PAIRS])
def test_method_fits_saves_loads_and_embeds_identically(method, modality, tmp_path):
    source = example_data(modality)
    run = multissl.pretrain(
        modality, source, method=method, max_epochs=1, batch_size=16,
        **{"trainer.limit_train_batches": 1, "trainer.enable_progress_bar": False},
    )
    embeddings = run.embed(source)
    assert embeddings.ndim == 2 and np.isfinite(embeddings).all()
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(source), embeddings)


def test_every_modality_offers_example_data():
    for name in registry().names("modality"):
        assert registry().get("modality", name)().example() is not None, name


GENERIC = generic_pairs()


def _held_tensors(method) -> dict[tuple[str, str], int]:
    """Every tensor each submodule holds as an attribute, parameter or buffer, by (module, name) -> id."""
    held = {}
    for prefix, module in method.named_modules():
        for name, value in [*vars(module).items(), *module._parameters.items(), *module._buffers.items()]:
            if isinstance(value, torch.Tensor):
                held[prefix, name] = id(value)
            elif isinstance(value, list | tuple | dict) and any(isinstance(v, torch.Tensor) for v in
                                                              (value.values() if isinstance(value, dict) else value)):
                held[prefix, name] = id(value)
    return held


@pytest.mark.parametrize(("method", "modality"), GENERIC, ids=[f"{m}-{mod}" for m, mod in GENERIC])
def test_a_generic_method_keeps_no_tensor_on_itself_during_its_loss(method, modality):
    built, batch = method_and_batch(method, modality)
    built.train().generator(torch.device("cpu"))  # the view RNG is state by design, made before the snapshot
    before = _held_tensors(built)
    loss, _ = built._total_loss(batch)
    assert torch.isfinite(loss)
    loss.backward()
    assert _held_tensors(built) == before, f"{method} on {modality} stored tensors on itself during its loss"


def test_the_methods_listing_shows_every_method_serving_each_modality(capsys):
    from multissl.cli import main

    for modality in registry().names("modality"):
        assert main(["methods", "--modality", modality]) == 0
        listed = capsys.readouterr().out
        for entry in registry().methods_for(modality):
            assert entry.name in listed, (entry.name, modality)


def test_the_held_tensor_check_sees_a_tensor_kept_between_calls():
    built, batch = method_and_batch("simclr", "vectors")
    before = _held_tensors(built)
    built.encoder.last_input = batch["x"]  # what a method must not do: keep a step's tensor for a later call
    assert _held_tensors(built) != before
