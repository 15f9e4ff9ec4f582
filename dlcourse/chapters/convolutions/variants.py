"""Two cheaper relatives of the standard convolution, counted by the engine's layer table.

* :func:`separable_vs_standard` -- MobileNet's depthwise-separable block (a k×k filter per
  channel, then a 1×1 convolution that mixes the channels) against one standard k×k layer;
* :func:`strided_conv_vs_pool` -- downsampling by a stride-2 convolution instead of a conv
  followed by 2×2 max pooling.

Parameters and multiply-adds come from :func:`dlcourse.sizing.summary` on PyTorch layers.

>>> rows = separable_vs_standard(32, 64, 3, 56)
>>> [r.params for r in rows]
[18432, 288, 2048]
"""

from __future__ import annotations

from typing import NamedTuple

from dlcourse import sizing


class Counted(NamedTuple):
    """One layer: its name, output shape, parameters and multiply-adds."""

    name: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


def _count(layers: dict, input_shape) -> list[Counted]:
    import torch

    model = torch.nn.Sequential()
    for name, layer in layers.items():
        model.add_module(name, layer)
    table = sizing.summary(model, input_shape)
    return [Counted(row.name, row.output_shape, row.params, row.macs) for row in table.rows]


def separable_vs_standard(in_channels: int, out_channels: int, kernel_size: int,
                          size: int) -> list[Counted]:
    """A standard ``k×k`` convolution vs a depthwise ``k×k`` one followed by a pointwise
    ``1×1`` one (no biases), on a ``(1, in_channels, size, size)`` input, 'same' padding.

    Returns
    -------
    list of Counted
        ``[standard, depthwise, pointwise]``.  The separable pair costs
        ``1/out_channels + 1/k²`` of the standard layer's multiply-adds.
    """
    import torch

    pad = sizing.same_padding(kernel_size)
    shape = (1, in_channels, size, size)
    standard = _count({"standard": torch.nn.Conv2d(in_channels, out_channels, kernel_size,
                                                   padding=pad, bias=False)}, shape)
    separable = _count({
        "depthwise": torch.nn.Conv2d(in_channels, in_channels, kernel_size, padding=pad,
                                     groups=in_channels, bias=False),
        "pointwise": torch.nn.Conv2d(in_channels, out_channels, 1, bias=False)}, shape)
    return standard + separable


def strided_conv_vs_pool(channels: int, size: int) -> list[Counted]:
    """Halve a ``(1, channels, size, size)`` map two ways: a 3×3 convolution then 2×2 max
    pooling, or one 3×3 convolution with stride 2 (both 'same' padding, with biases).

    Returns
    -------
    list of Counted
        ``[conv, pool, strided conv]``: the same output shape; the strided convolution
        learns how to downsample, computes a quarter of the multiply-adds and keeps no
        full-size map.
    """
    import torch

    shape = (1, channels, size, size)
    pooled = _count({"conv": torch.nn.Conv2d(channels, channels, 3, padding=1),
                     "pool": torch.nn.MaxPool2d(2)}, shape)
    strided = _count({"strided conv": torch.nn.Conv2d(channels, channels, 3, stride=2,
                                                      padding=1)}, shape)
    return pooled + strided
