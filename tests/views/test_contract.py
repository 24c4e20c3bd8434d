"""The contract every view generator honours: shape, purity, seeding, padding, device, pickling."""

from __future__ import annotations

import pickle

import pytest
import torch

from multissl.errors import InvalidDataError
from multissl.views import Compose, FeatureSubset, GaussianNoise, MarginalCorruption, RandomMask, SpanMask, View

ALL_GENERATORS = [
    RandomMask(ratio=0.3),
    SpanMask(ratio=0.3, span=3),
    GaussianNoise(std=0.5),
    FeatureSubset(low=0.3, high=0.7),
    MarginalCorruption(ratio=0.5),
    Compose(RandomMask(ratio=0.2), GaussianNoise(std=0.1)),
]

generators = pytest.mark.parametrize("view_generator", ALL_GENERATORS, ids=lambda g: type(g).__name__)


@generators
@pytest.mark.parametrize("shape", [(8, 12), (8, 12, 3)])
def test_view_has_input_shape_and_mask_of_first_two_dims(view_generator, shape, seeded):
    x = torch.randn(shape, generator=seeded(0))
    view = view_generator(x, seeded(1))
    assert view.data.shape == x.shape and view.data.dtype == x.dtype
    assert view.mask is None or (view.mask.dtype == torch.bool and view.mask.shape == shape[:2])


@generators
def test_input_is_not_mutated(view_generator, padded_sequences, seeded):
    x, valid = padded_sequences
    before, valid_before = x.clone(), valid.clone()
    view = view_generator(x, seeded(1), valid=valid)
    assert torch.equal(x, before) and torch.equal(valid, valid_before)
    assert view.data.data_ptr() != x.data_ptr()
    assert not torch.equal(view.data, x)  # the view did change something, in a new tensor


@generators
def test_same_seed_same_view_and_other_seed_other_view(view_generator, padded_sequences, seeded):
    x, valid = padded_sequences
    first, again, other = (view_generator(x, seeded(s), valid=valid) for s in (7, 7, 8))
    assert torch.equal(first.data, again.data)
    assert (first.mask is None) == (again.mask is None)
    if first.mask is not None:
        assert torch.equal(first.mask, again.mask)
    assert not torch.equal(first.data, other.data)


@generators
def test_padding_is_never_selected_nor_altered(view_generator, padded_sequences, seeded, expand):
    x, valid = padded_sequences
    view = view_generator(x, seeded(3), valid=valid)
    padding = expand(~valid, x)
    assert torch.equal(view.data[padding], x[padding])
    if view.mask is not None:
        assert not (view.mask & ~valid).any()


@generators
def test_generator_on_another_device_is_refused(view_generator, seeded):
    x = torch.empty(4, 6, device="meta")  # no accelerator needed: a CPU generator for meta data mismatches too
    with pytest.raises(InvalidDataError, match="generator on cpu for data on meta"):
        view_generator(x, seeded(0))


@generators
def test_runs_on_cuda_with_a_cuda_generator(view_generator):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    x = torch.randn(8, 12, device="cuda")
    view = view_generator(x, torch.Generator(device="cuda").manual_seed(0))
    assert view.data.device == x.device


@generators
def test_picklable_and_repr_shows_settings(view_generator, seeded):
    clone = pickle.loads(pickle.dumps(view_generator))
    assert repr(clone) == repr(view_generator)
    assert repr(view_generator).startswith(type(view_generator).__name__ + "(") and "=" in repr(view_generator)
    x = torch.randn(5, 9)
    assert torch.equal(clone(x, seeded(4)).data, view_generator(x, seeded(4)).data)


@generators
@pytest.mark.parametrize(
    "valid",
    [torch.ones(4, 5, dtype=torch.int64), torch.ones(4, 6, dtype=torch.bool)],
    ids=["not-bool", "wrong-shape"],
)
def test_bad_valid_is_refused(view_generator, valid, seeded):
    with pytest.raises(InvalidDataError, match="valid as a bool tensor of shape \\(4, 5\\)"):
        view_generator(torch.randn(4, 5), seeded(0), valid=valid)


@generators
def test_one_dimensional_input_is_refused(view_generator, seeded):
    with pytest.raises(InvalidDataError, match="shape \\(N, L\\)"):
        view_generator(torch.randn(5), seeded(0))


def test_view_refuses_a_mask_of_the_wrong_shape():
    with pytest.raises(InvalidDataError, match="starts data's shape"):
        View(torch.zeros(3, 4, 2), torch.zeros(3, 2, dtype=torch.bool))
    with pytest.raises(InvalidDataError, match="starts data's shape"):
        View(torch.zeros(3, 4, 2), torch.zeros((), dtype=torch.bool))


@pytest.mark.parametrize("shape", [(3,), (3, 4), (3, 4, 2)])
def test_view_mask_may_have_any_prefix_shape_of_the_data(shape):
    assert View(torch.zeros(3, 4, 2), torch.zeros(shape, dtype=torch.bool)).mask.shape == shape
