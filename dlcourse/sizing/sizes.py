"""Sizes and counts of CNN layers: output sizes, padding, parameters, receptive fields.

Every output size here is PyTorch's floor rule, the exam formula ``(N - F + 2P) / S + 1``
rounded down, generalised with dilation: a kernel of size ``F`` with dilation ``D`` covers
``D (F - 1) + 1`` input pixels.  Sizes accept an ``int`` or a ``(height, width)`` pair and
answer in kind.  :func:`summary` tabulates a whole model.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import NamedTuple

from dlcourse._validate import check_non_negative, check_positive, pair

__all__ = [
    "RFRow",
    "conv_output_size",
    "conv_params",
    "conv_transpose_output_size",
    "linear_params",
    "pool_output_size",
    "receptive_field",
    "receptive_field_table",
    "same_padding",
]


def _per_axis(function, sizes: dict, **options):
    """Apply a one-axis size ``function`` to ints, or to each axis if any size is a pair.

    ``sizes`` maps parameter names to an int or a ``(height, width)`` pair; the answer is
    an int or a tuple accordingly.  ``options`` are passed through unchanged.
    """
    if all(isinstance(v, numbers.Integral) for v in sizes.values()):
        return function(**sizes, **options)
    pairs = {name: pair(value, name) for name, value in sizes.items()}
    return tuple(
        function(**{name: p[axis] for name, p in pairs.items()}, **options) for axis in (0, 1)
    )


def _check_sizes(n, kernel_size, stride, padding, dilation):
    check_positive(n, "n (the input size)")
    check_positive(kernel_size, "kernel_size")
    check_positive(stride, "stride")
    check_non_negative(padding, "padding")
    check_positive(dilation, "dilation")


def _conv_size(n, kernel_size, stride, padding, dilation, strict):
    _check_sizes(n, kernel_size, stride, padding, dilation)
    span = dilation * (kernel_size - 1) + 1  # input pixels one kernel covers
    if span > n + 2 * padding:
        raise ValueError(
            f"the kernel covers {span} pixels but the padded input has only "
            f"{n} + 2*{padding} = {n + 2 * padding}"
        )
    steps, remainder = divmod(n - span + 2 * padding, stride)
    if strict and remainder:
        fraction = Fraction(n - span + 2 * padding, stride)
        raise ValueError(
            f"stride {stride} does not fit exactly: (N - F + 2P)/S + 1 = "
            f"({n} - {span} + 2*{padding})/{stride} + 1 = {fraction} + 1 = {fraction + 1}, "
            f"not an integer (PyTorch would drop the last {remainder} pixel(s))"
        )
    return steps + 1


def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1, *, strict=False):
    """Output size of a convolution: ``floor((N + 2P - D(F - 1) - 1) / S) + 1``.

    Parameters
    ----------
    n : int or (int, int)
        Input size ``N`` (height, width).
    kernel_size, stride, padding, dilation : int or (int, int)
        ``F``, ``S``, ``P``, ``D`` as in ``torch.nn.Conv2d``.
    strict : bool
        Raise ``ValueError`` when the stride does not fit the input exactly, i.e. when
        ``(N - F + 2P) / S + 1`` is not an integer (PyTorch silently rounds down).

    Returns
    -------
    int or (int, int)
        A tuple if any argument was a pair.

    Examples
    --------
    >>> [conv_output_size(32, f) for f in (1, 3, 7, 11, 32)]
    [32, 30, 26, 22, 1]
    >>> conv_output_size((7, 8), 3, stride=2, padding=1)
    (4, 4)
    """
    sizes = dict(n=n, kernel_size=kernel_size, stride=stride, padding=padding,
                 dilation=dilation)
    return _per_axis(_conv_size, sizes, strict=strict)


def _conv_transpose_size(n, kernel_size, stride, padding, output_padding, dilation):
    _check_sizes(n, kernel_size, stride, padding, dilation)
    check_non_negative(output_padding, "output_padding")
    if output_padding >= max(stride, dilation):
        raise ValueError(
            f"output_padding ({output_padding}) must be smaller than the stride ({stride}) "
            f"or the dilation ({dilation})"
        )
    size = (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if size < 1:
        raise ValueError(f"the padding {padding} crops the whole output (size {size})")
    return size


def conv_transpose_output_size(n, kernel_size, stride=1, padding=0, output_padding=0,
                               dilation=1):
    """Output size of a transposed convolution, as ``torch.nn.ConvTranspose2d``.

    ``(N - 1) S - 2P + D (F - 1) + output_padding + 1``: each input pixel stamps the kernel
    ``S`` pixels from the previous one; padding then crops ``P`` pixels from each border.

    Examples
    --------
    >>> conv_transpose_output_size(2, 3, stride=2), conv_transpose_output_size(2, 3, 2, 1)
    (5, 3)
    """
    sizes = dict(n=n, kernel_size=kernel_size, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    return _per_axis(_conv_transpose_size, sizes)


def pool_output_size(n, kernel_size, stride=None, padding=0):
    """Output size of max or average pooling; ``stride`` defaults to ``kernel_size``.

    Same floor rule as a convolution.  As in PyTorch, ``padding`` may be at most half
    the kernel size.

    Examples
    --------
    >>> pool_output_size(4, 2), pool_output_size((7, 6), 3, stride=2, padding=1)
    (2, (4, 3))
    """
    stride = kernel_size if stride is None else stride
    pad, kernel = pair(padding, "padding"), pair(kernel_size, "kernel_size")
    if any(2 * p > k for p, k in zip(pad, kernel, strict=True)):
        raise ValueError(f"padding {padding!r} must be at most half the kernel size "
                         f"{kernel_size!r}")
    return conv_output_size(n, kernel_size, stride, padding)


def _same_padding(kernel_size, dilation):
    check_positive(kernel_size, "kernel_size")
    check_positive(dilation, "dilation")
    span = dilation * (kernel_size - 1)
    if span % 2:
        raise ValueError(
            f"no symmetric padding keeps the size for kernel_size {kernel_size} "
            f"(dilation {dilation}): (F - 1)/2 = {Fraction(span, 2)} is not an integer; "
            "use an odd kernel size"
        )
    return span // 2


def same_padding(kernel_size, dilation=1):
    """Padding ``D (F - 1) / 2`` that keeps the size of a stride-1 convolution.

    Raises ``ValueError`` for an even kernel (with dilation 1): no symmetric padding works.

    Examples
    --------
    >>> same_padding(3), same_padding(5), same_padding((3, 7)), same_padding(3, dilation=2)
    (1, 2, (1, 3), 2)
    """
    return _per_axis(_same_padding, dict(kernel_size=kernel_size, dilation=dilation))


def conv_params(in_channels: int, out_channels: int, kernel_size, bias: bool = True) -> int:
    """Learnable parameters of a convolution: ``F_h F_w C_in C_out`` weights (+ ``C_out``).

    Each of the ``out_channels`` filters spans all input channels and has one bias.

    Examples
    --------
    >>> conv_params(3, 10, 5)  # ten 5x5x3 filters: 10 * (75 + 1)
    760
    >>> conv_params(3, 32, 3, bias=False), conv_params(32, 64, 3, bias=False)
    (864, 18432)
    """
    check_positive(in_channels, "in_channels")
    check_positive(out_channels, "out_channels")
    kh, kw = pair(kernel_size, "kernel_size")
    check_positive((kh, kw), "kernel_size")
    return kh * kw * in_channels * out_channels + (out_channels if bias else 0)


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Learnable parameters of a fully connected layer: ``in * out`` weights (+ ``out``).

    Examples
    --------
    >>> linear_params(256 * 256 * 3, 1000)  # why images are not fed to dense layers
    196609000
    """
    check_positive(in_features, "in_features")
    check_positive(out_features, "out_features")
    return in_features * out_features + (out_features if bias else 0)


class RFRow(NamedTuple):
    """One layer of a :func:`receptive_field_table`."""

    layer: int
    kernel_size: int
    stride: int
    dilation: int
    jump: int  # input pixels between neighbouring outputs of this layer
    rf: int  # input pixels that one output of this layer sees (per axis)


def receptive_field_table(layers) -> list[RFRow]:
    """How the receptive field grows, layer by layer.

    Parameters
    ----------
    layers : sequence of (kernel_size, stride) or (kernel_size, stride, dilation)
        Convolutions and poolings in order, one axis.

    Returns
    -------
    list of RFRow
        ``rf`` grows by ``D (F - 1)`` times the ``jump`` of the layer's *input*
        (``rf += D (F - 1) * jump_in``), then the jump is multiplied by the stride.

    Examples
    --------
    >>> [row.rf for row in receptive_field_table([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1)])]
    [3, 5, 6, 10, 14]
    """
    rows, rf, jump = [], 1, 1
    for i, layer in enumerate(layers, start=1):
        if len(layer) not in (2, 3):
            raise ValueError(
                f"layer {i} must be (kernel_size, stride) or (kernel_size, stride, "
                f"dilation), got {layer!r}"
            )
        kernel_size, stride, dilation = (*layer, 1) if len(layer) == 2 else layer
        check_positive(kernel_size, f"kernel_size of layer {i}")
        check_positive(stride, f"stride of layer {i}")
        check_positive(dilation, f"dilation of layer {i}")
        rf += dilation * (kernel_size - 1) * jump
        jump *= stride
        rows.append(RFRow(i, kernel_size, stride, dilation, jump, rf))
    return rows


def receptive_field(layers) -> int:
    """Receptive field (per axis) of one output of the last layer; see the table version.

    Examples
    --------
    >>> receptive_field([(3, 1)] * 3)  # three 3x3 convolutions see 7x7
    7
    >>> receptive_field([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1)])  # conv conv pool conv conv
    14
    """
    table = receptive_field_table(layers)
    return table[-1].rf if table else 1
