"""ColloSSL's device selection: which devices are the anchor's positives and negatives in a batch.

Facts from the reference (akhilmathurs/collossl, ``device_selection.py``): the other devices are ordered by
their MMD to the anchor, on the accelerometer magnitude (``mmd_acc_norm``) or averaged over the three
accelerometer axes (``mmd_acc_per_channel``), and a strategy picks from that order (``o_0`` the closest):

- ``closest_only``: positive ``o_0``, negative ``o_0`` (its windows at other times);
- ``closest_pos_all_neg``: positive ``o_0``, negatives every other device, ``o_0`` included;
- ``hard_negative``: positive ``o_0``, negatives ``o_1`` and ``o_2``;
- ``random_selection``: one positive and one negative drawn uniformly (possibly the same device), weights 1;
- ``static``: positives and negatives fixed by the recipe (device positions), weights 1.

Negatives weigh ``1/MMD`` (the reference's ``weighted_collossl``) unless the strategy sets them to 1.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import torch
from torch import Tensor

from multissl.errors import InvalidDataError
from multissl_sensor.mmd import mmd_to_each

Strategy = Literal["closest_only", "closest_pos_all_neg", "hard_negative", "random_selection", "static"]
Distance = Literal["acc_norm", "acc_per_channel"]
UNWEIGHTED = ("random_selection", "static")
"""Strategies whose weights are all 1 in the reference."""


@dataclasses.dataclass(frozen=True, eq=False)
class DeviceSelection:
    """Bool ``positives`` and ``negatives`` (D,), the anchor's MMD² to each device ``mmd`` (D,, 0 at the anchor) and
    the negative weights ``negative_weights`` (D,): ``1/MMD`` or 1 on the negatives, 0 elsewhere."""

    positives: Tensor
    negatives: Tensor
    mmd: Tensor
    negative_weights: Tensor


def device_distances(devices: Tensor, anchor: int, accel_channels: list[int], distance: Distance, sigmas: Tensor) -> Tensor:
    """MMD² (D,) between the anchor's and each device's windows in ``devices`` (N, D, T, C): on the Euclidean norm of
    ``accel_channels`` (``acc_norm``), or the mean over those channels of each channel's MMD (``acc_per_channel``)."""
    accel = devices[..., accel_channels]
    signal = accel.norm(dim=-1).transpose(0, 1)[None] if distance == "acc_norm" else accel.permute(3, 1, 0, 2)
    return mmd_to_each(signal[:, anchor], signal, sigmas).mean(0)  # signal: (channels, D, N, T)


def select_devices(
    mmd: Tensor, anchor: int, strategy: Strategy, *, weighted: bool = True, generator: torch.Generator | None = None,
    static_positives: list[int] = (), static_negatives: list[int] = (),
) -> DeviceSelection:
    """The anchor's positives and negatives among the devices, from their MMD² to the anchor ``mmd`` (D,)."""
    count = mmd.shape[0]
    others = [d for d in range(count) if d != anchor]
    order = [others[i] for i in torch.argsort(mmd[others], stable=True).tolist()]
    if strategy == "closest_only":
        positives, negatives = order[:1], order[:1]
    elif strategy == "closest_pos_all_neg":
        positives, negatives = order[:1], order
    elif strategy == "hard_negative":
        positives, negatives = order[:1], order[1:3]
    elif strategy == "random_selection":
        drawn = torch.randint(len(others), (2,), generator=generator, device=generator.device if generator else None)
        positives, negatives = [others[int(drawn[0])]], [others[int(drawn[1])]]
    else:
        positives, negatives = list(static_positives), list(static_negatives)
        outside = [d for d in positives + negatives if not 0 <= d < count or d == anchor]
        if outside:
            raise InvalidDataError(
                f"collossl static_positives/static_negatives {outside} are not devices other than the anchor "
                f"(position {anchor}) among positions 0..{count - 1}; name positions in data.devices order."
            )
    positive_mask = torch.zeros(count, dtype=torch.bool, device=mmd.device)
    negative_mask = torch.zeros_like(positive_mask)
    positive_mask[positives], negative_mask[negatives] = True, True
    use_mmd = weighted and strategy not in UNWEIGHTED
    values = 1.0 / mmd.clamp_min(torch.finfo(mmd.dtype).eps) if use_mmd else torch.ones_like(mmd)
    return DeviceSelection(positive_mask, negative_mask, mmd, torch.where(negative_mask, values, 0.0))
