"""Receptive fields of a stack of layers: how many input pixels one neuron sees, and which.

A stack is written as a short string, one token per layer (all without padding):

* ``c3`` a 3x3 convolution, stride 1; ``c3s2`` with stride 2; ``c3d2`` with dilation 2;
* ``p2`` a 2x2 pooling with stride 2 (pooling strides default to the kernel); ``p3s2``.

:func:`receptive_field_explorer` grows the field layer by layer with
:func:`dlcourse.sizing.receptive_field_table`, places each layer's field on the image (the
field of its centre neuron) and measures the field a second way, by back-propagating from
that neuron through the stack with all-ones weights (:func:`influence_map`).

Examples
--------
>>> [row.rf for row in receptive_field_explorer("c3 c3 p2 c3 c3", 28)["table"]]
[3, 5, 6, 10, 14]
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from dlcourse import sizing
from dlcourse.nn import functional as F

__all__ = ["Layer", "influence_map", "parse_layers", "receptive_field_explorer"]

_TOKEN = re.compile(r"([cp])(\d+)(?:s(\d+))?(?:d(\d+))?")


class Layer(NamedTuple):
    """One layer of a stack: ``kind`` is ``"conv"`` or ``"pool"``."""

    kind: str
    kernel_size: int
    stride: int
    dilation: int

    def __str__(self) -> str:
        extra = (f" s{self.stride}" if self.stride != 1 else "") + \
                (f" d{self.dilation}" if self.dilation != 1 else "")
        return f"{self.kind} {self.kernel_size}x{self.kernel_size}{extra}"


def parse_layers(spec: str) -> list[Layer]:
    """Read a stack like ``"c3 c3 p2 c3 c3"`` (see the module docstring for the tokens).

    Examples
    --------
    >>> [str(layer) for layer in parse_layers("c3 c5s2 p2 c3d2")]
    ['conv 3x3', 'conv 5x5 s2', 'pool 2x2 s2', 'conv 3x3 d2']
    """
    layers = []
    for token in spec.lower().replace(",", " ").split():
        match = _TOKEN.fullmatch(token)
        if match is None or int(match[2]) < 1:
            raise ValueError(f"cannot read layer {token!r}: write c3, c3s2, c3d2, p2 or p3s2")
        kind = "conv" if match[1] == "c" else "pool"
        if kind == "pool" and match[4]:
            raise ValueError(f"pooling layer {token!r} cannot be dilated here")
        kernel = int(match[2])
        stride = int(match[3]) if match[3] else (kernel if kind == "pool" else 1)
        dilation = int(match[4]) if match[4] else 1
        if stride < 1 or dilation < 1:
            raise ValueError(f"stride and dilation of {token!r} must be at least 1")
        layers.append(Layer(kind, kernel, stride, dilation))
    return layers


def _as_layers(layers) -> list[Layer]:
    return parse_layers(layers) if isinstance(layers, str) else list(layers)


def _forward_sizes(layers, image_size) -> list[int]:
    """Spatial size after each layer (valid convolutions and poolings)."""
    sizes, n = [], image_size
    for i, layer in enumerate(layers, start=1):
        try:
            n = sizing.conv_output_size(n, layer.kernel_size, layer.stride, 0, layer.dilation)
        except ValueError as error:
            raise ValueError(f"layer {i} ({layer}) does not fit a {n}x{n} input: {error}") \
                from None
        sizes.append(n)
    return sizes


def influence_map(layers, image_size: int, position=None) -> np.ndarray:
    """How strongly each input pixel feeds one neuron of the last layer (all-ones weights).

    The stack is run backwards with the engine: a gradient of 1 at the neuron is passed
    through ``conv2d_backward`` (all-ones kernels) and ``avg_pool2d_backward`` (a
    pooling's window, a linear stand-in for max pooling, which routes to one pixel only).
    The non-zero pixels are exactly the receptive field; the values count paths, so the
    centre of the field weighs more than its border.

    Parameters
    ----------
    layers : str or list of Layer
    image_size : int
    position : (int, int), optional
        Neuron in the last layer's output; its centre by default.

    Returns
    -------
    ndarray, shape (image_size, image_size), float64, normalised to a maximum of 1

    Examples
    --------
    >>> m = influence_map("c3 c3", 9)
    >>> int((m > 0).sum(axis=0).max()), float(m[4, 4])
    (5, 1.0)
    """
    layers = _as_layers(layers)
    sizes = _forward_sizes(layers, image_size)
    inputs = [image_size, *sizes][:-1]  # input size of each layer
    out = sizes[-1] if layers else image_size
    row, col = (out // 2, out // 2) if position is None else position
    grad = np.zeros((1, 1, out, out))
    grad[0, 0, row, col] = 1.0
    for layer, n_in in zip(reversed(layers), reversed(inputs), strict=True):
        x = np.zeros((1, 1, n_in, n_in))  # only its shape matters: the ops are linear
        if layer.kind == "conv":
            w = np.ones((1, 1, layer.kernel_size, layer.kernel_size))
            grad = F.conv2d_backward(grad, x, w, stride=layer.stride,
                                     dilation=layer.dilation)[0]
        else:
            grad = F.avg_pool2d_backward(grad, x, layer.kernel_size, layer.stride)
    grad = grad[0, 0]
    return grad / grad.max()


def receptive_field_explorer(layers="c3 c3 p2 c3 c3", image_size=28) -> dict:
    """Receptive field of every layer of a stack, and where it lies on the image.

    Returns
    -------
    dict
        ``layers`` (list of Layer), ``table`` (``sizing.RFRow`` per layer: ``rf``, ``jump``),
        ``sizes`` (output size per layer), ``boxes`` (per layer ``(top, left, size)`` of the
        field of its centre neuron, in image pixels, size = ``rf``), ``rf`` (last layer's,
        1 for an empty stack), ``influence`` (:func:`influence_map` of the last layer).

    Examples
    --------
    >>> out = receptive_field_explorer("c3 c3 c3", 28)
    >>> out["rf"], out["sizes"], out["boxes"][-1]
    (7, [26, 24, 22], (11, 11, 7))
    """
    layers = _as_layers(layers)
    sizes = _forward_sizes(layers, image_size)
    table = sizing.receptive_field_table(
        [(layer.kernel_size, layer.stride, layer.dilation) for layer in layers])
    boxes = []
    for row, n_out in zip(table, sizes, strict=True):
        centre = n_out // 2
        # neuron p of a layer starts reading at input pixel p * (product of strides)
        top = centre * row.jump
        boxes.append((top, top, row.rf))
    return {"layers": layers, "table": table, "sizes": sizes, "boxes": boxes,
            "rf": table[-1].rf if table else 1,
            "influence": influence_map(layers, image_size)}
