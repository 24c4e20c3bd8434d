"""The bridge between a modality's batches and the core's generic methods."""

import dataclasses

import pytest
import torch

from multissl.errors import InvalidDataError
from multissl.methods.generic_input import GenericInput, Inputs, InputsAltered, InputsView, apply_view, apply_views
from multissl.views.gaussian_noise import GaussianNoise
from multissl.views.random_mask import RandomMask


@dataclasses.dataclass(frozen=True)
class DropFirstRow(InputsView):
    """Hides sample 0 and records it in the context (a stand-in for a graph's edge dropping)."""

    def __call__(self, inputs, generator):
        mask = torch.zeros(inputs.x.shape[0], dtype=torch.bool)
        mask[0] = True
        return InputsAltered(inputs.replace(x=inputs.x.masked_fill(mask[:, None], 0.0), context={"dropped": 0}), mask)


def test_a_tensor_view_alters_x_only_and_keeps_valid_and_context():
    x = torch.randn(4, 6)
    inputs = Inputs(x, valid=torch.ones(4, 6, dtype=torch.bool), context={"edge_index": torch.zeros(2, 0)})
    altered = apply_view(RandomMask(ratio=0.5), inputs, torch.Generator().manual_seed(0))
    assert altered.mask.shape == (4, 6) and altered.mask.sum() == 12
    assert altered.inputs.valid is inputs.valid and altered.inputs.context is inputs.context
    assert torch.equal(altered.inputs.x[~altered.mask], x[~altered.mask]) and torch.equal(inputs.x, x)


def test_views_in_order_union_their_masks_across_shapes():
    x = torch.randn(4, 6)
    views = [RandomMask(ratio=0.5), DropFirstRow(), GaussianNoise(std=0.0)]
    altered = apply_views(views, Inputs(x), torch.Generator().manual_seed(0))
    assert altered.mask.shape == (4, 6) and altered.mask[0].all()
    assert altered.inputs.context == {"dropped": 0} and (altered.inputs.x[0] == 0).all()


def test_same_seed_same_views():
    x = torch.randn(8, 5)
    first, second = (apply_views([RandomMask(ratio=0.4)], Inputs(x), torch.Generator().manual_seed(3)) for _ in range(2))
    assert torch.equal(first.mask, second.mask) and torch.equal(first.inputs.x, second.inputs.x)


def test_the_default_input_reads_x_and_names_what_the_batch_holds_otherwise():
    bridge = GenericInput(input_dim=5)
    batch = {"x": torch.randn(2, 5), "valid": torch.ones(2, 5, dtype=torch.bool)}
    inputs = bridge.inputs(batch)
    assert inputs.x is batch["x"] and inputs.valid is batch["valid"] and torch.equal(bridge.target(inputs), batch["x"])
    with pytest.raises(InvalidDataError, match="features"):
        bridge.inputs({"features": torch.zeros(1, 2)})
