"""What a convolution does to sizes and counts, computed for the chapter 05 explorer.

:func:`convolution_geometry` lays one square convolution out on its padded input grid: where
each kernel window sits, which pixels no window reaches, the output grid (computed by
:func:`dlcourse.nn.functional.conv2d`), the output size ``(N - F + 2P)/S + 1`` as an exact
fraction and the parameter count.  The sizes themselves come from :mod:`dlcourse.sizing`.

The other functions are the chapter's small demonstrations: dense vs locally connected vs
convolutional parameter counts, true (flipped-kernel) convolution vs the cross-correlation
that deep-learning libraries compute, shifting an image, hand-made edge filters and the
named convolution modes (valid, same, full, strided, dilated).

Examples
--------
>>> g = convolution_geometry(7, 3, stride=2)
>>> g.output_size, g.params, g.fits
(3, 10, True)
>>> convolution_geometry(7, 3, stride=3).exact_output_size
Fraction(7, 3)
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import numpy as np

from dlcourse import sizing
from dlcourse._validate import check_array, check_non_negative, check_positive
from dlcourse.backend import array_module
from dlcourse.nn import functional as F

__all__ = [
    "ConvGeometry",
    "conv_modes",
    "convolution_geometry",
    "convolve2d",
    "dense_vs_conv_params",
    "edge_filters",
    "exact_output_size",
    "locally_connected_params",
    "shift",
]


class ConvGeometry(NamedTuple):
    """One square convolution laid out on its padded input (see :func:`convolution_geometry`)."""

    input_size: int
    kernel_size: int
    stride: int
    padding: int
    dilation: int
    in_channels: int
    out_channels: int
    span: int  # input pixels one kernel covers: D (F - 1) + 1
    padded_size: int  # N + 2P
    exact_output_size: Fraction  # (N + 2P - span) / S + 1, before rounding down
    output_size: int  # what PyTorch (and conv2d) produce: the floor
    fits: bool  # True when the stride fits exactly (exact size is an integer)
    unused: int  # rows (and columns) at the bottom (right) that no window reaches
    starts: np.ndarray  # (output_size,) first padded row/column of each window
    taps: np.ndarray  # (kernel_size,) offsets of the kernel taps inside a window
    output: np.ndarray  # (output_size, output_size): real (non-padding) inputs per output
    weights: int  # F * F * C_in * C_out
    params: int  # weights + C_out biases


def exact_output_size(n, kernel_size, stride=1, padding=0, dilation=1) -> Fraction:
    """``(N - F' + 2P) / S + 1`` as an exact fraction, ``F' = D (F - 1) + 1`` (one axis).

    Where the result is not an integer the stride does not fit: PyTorch rounds down and
    silently drops the last rows and columns.

    Examples
    --------
    >>> exact_output_size(32, 5), exact_output_size(7, 3, stride=3)
    (Fraction(28, 1), Fraction(7, 3))
    """
    for value, name in ((n, "n"), (kernel_size, "kernel_size"), (stride, "stride"),
                        (dilation, "dilation")):
        check_positive(value, name)
    check_non_negative(padding, "padding")
    span = dilation * (kernel_size - 1) + 1
    return Fraction(n - span + 2 * padding, stride) + 1


def convolution_geometry(input_size=7, kernel_size=3, stride=1, padding=0, dilation=1,
                         in_channels=1, out_channels=1) -> ConvGeometry:
    """Lay a square convolution out on its input: windows, output grid, sizes, parameters.

    Parameters
    ----------
    input_size : int
        Height = width ``N`` of the input.
    kernel_size, stride, padding, dilation : int
        ``F``, ``S``, ``P``, ``D`` as in ``torch.nn.Conv2d``.
    in_channels, out_channels : int
        ``C_in`` (the depth every filter spans) and ``C_out`` (the number of filters).

    Returns
    -------
    ConvGeometry
        ``output`` is ``conv2d`` of an all-ones input with an all-ones single filter: each
        output pixel counts the real input values its window covers (padding adds zeros).

    Raises
    ------
    ValueError
        If the kernel is wider than the padded input.

    Examples
    --------
    >>> g = convolution_geometry(5, 3, padding=1)
    >>> g.output_size, g.starts.tolist(), g.output[0].tolist()
    (5, [0, 1, 2, 3, 4], [4.0, 6.0, 6.0, 6.0, 4.0])
    """
    check_positive(in_channels, "in_channels")
    check_positive(out_channels, "out_channels")
    output_size = sizing.conv_output_size(input_size, kernel_size, stride, padding, dilation)
    exact = exact_output_size(input_size, kernel_size, stride, padding, dilation)
    span = dilation * (kernel_size - 1) + 1
    padded = input_size + 2 * padding
    starts = stride * np.arange(output_size)
    ones = np.ones((1, 1, input_size, input_size))
    output = F.conv2d(ones, np.ones((1, 1, kernel_size, kernel_size)), stride=stride,
                      padding=padding, dilation=dilation)[0, 0]
    params = sizing.conv_params(in_channels, out_channels, kernel_size)
    return ConvGeometry(
        input_size, kernel_size, stride, padding, dilation, in_channels, out_channels,
        span=span, padded_size=padded, exact_output_size=exact, output_size=output_size,
        fits=exact.denominator == 1, unused=padded - (int(starts[-1]) + span),
        starts=starts, taps=dilation * np.arange(kernel_size), output=output,
        weights=params - out_channels, params=params,
    )


def dense_vs_conv_params(image_size=256, channels=3, units=1000, *, kernel_size=5,
                         filters=None) -> dict:
    """Parameters of one dense layer on a flattened image vs one convolution.

    The dense layer maps all ``N * N * C`` pixels to ``units`` neurons; the convolution
    keeps ``filters`` (default ``units``) filters of ``F x F x C`` whatever the image size.

    Examples
    --------
    >>> dense_vs_conv_params(256, 3, 1000)
    {'inputs': 196608, 'dense': 196609000, 'conv': 76000}
    """
    filters = units if filters is None else filters
    inputs = image_size * image_size * channels
    return {"inputs": inputs, "dense": sizing.linear_params(inputs, units),
            "conv": sizing.conv_params(channels, filters, kernel_size)}


def locally_connected_params(input_size, in_channels, out_channels, kernel_size, *,
                             stride=1, padding=0, bias=True) -> int:
    """Parameters of a locally connected layer: a convolution without weight sharing.

    Every output position has its own ``F x F x C_in x C_out`` weights (and ``C_out``
    biases), so the count is the convolution's times the ``H_out * W_out`` positions.

    Examples
    --------
    >>> locally_connected_params(32, 3, 10, 5)  # 28 * 28 positions * 760
    595840
    """
    out = sizing.conv_output_size(input_size, kernel_size, stride, padding)
    return out * out * sizing.conv_params(in_channels, out_channels, kernel_size, bias=bias)


def convolve2d(image, kernel):
    """True 2-D convolution, "full" size: ``y[i, j] = sum_{m,n} x[i - m, j - n] k[m, n]``.

    Straight from the definition (one shifted, scaled copy of the image per kernel tap),
    in plain NumPy/CuPy.  Deep-learning "convolutions" are cross-correlations: this equals
    ``conv2d`` with the kernel flipped in both axes and ``F - 1`` padding.

    Parameters
    ----------
    image : ndarray, shape (H, W)
    kernel : ndarray, shape (kh, kw)

    Returns
    -------
    ndarray, shape (H + kh - 1, W + kw - 1)

    Examples
    --------
    >>> import numpy as np
    >>> convolve2d(np.array([[1.0, 2.0]]), np.array([[1.0, 10.0]])).tolist()
    [[1.0, 12.0, 20.0]]
    """
    check_array(image, "image", ndim=2)
    check_array(kernel, "kernel", ndim=2)
    xp = array_module(image, kernel)
    (h, w), (kh, kw) = image.shape, kernel.shape
    out = xp.zeros((h + kh - 1, w + kw - 1), dtype=xp.result_type(image, kernel))
    for m in range(kh):
        for n in range(kw):
            out[m:m + h, n:n + w] += kernel[m, n] * image  # x[i - m, j - n] lands at (i, j)
    return out


def shift(image, dy: int, dx: int):
    """Move an image ``dy`` rows down and ``dx`` columns right, filling with zeros.

    Works on the last two axes, so it shifts a ``(H, W)`` image or a ``(N, C, H, W)`` batch.

    Examples
    --------
    >>> import numpy as np
    >>> shift(np.array([[1.0, 2.0], [3.0, 4.0]]), 1, 0).tolist()
    [[0.0, 0.0], [1.0, 2.0]]
    """
    xp = array_module(image)
    h, w = image.shape[-2:]
    if abs(dy) >= h or abs(dx) >= w:
        raise ValueError(f"shift ({dy}, {dx}) moves everything out of a {h}x{w} image")
    out = xp.zeros_like(image)
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[..., max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def edge_filters() -> dict[str, np.ndarray]:
    """Four hand-made 3x3 filters: Sobel edges (vertical, horizontal), a diagonal, a blur.

    Examples
    --------
    >>> sorted(edge_filters())
    ['blur', 'diagonal edge', 'horizontal edge', 'vertical edge']
    """
    sobel = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    return {
        "vertical edge": sobel,  # responds to left-to-right changes
        "horizontal edge": sobel.T,  # top-to-bottom changes
        "diagonal edge": np.array([[0.0, 1.0, 2.0], [-1.0, 0.0, 1.0], [-2.0, -1.0, 0.0]]),
        "blur": np.full((3, 3), 1 / 9),
    }


def conv_modes(n=7, kernel_size=3) -> list[tuple[str, int, int, int, int]]:
    """The named convolution modes on an ``n x n`` input, checked with ``conv2d``.

    Returns
    -------
    list of (name, stride, padding, dilation, output size)
        valid (``P = 0``), same (``P = (F - 1)/2``), full (``P = F - 1``), strided
        (``S = 2``, same padding) and dilated (``D = 2``, no padding).

    Examples
    --------
    >>> [row[-1] for row in conv_modes(7, 3)]
    [5, 7, 9, 4, 3]
    """
    same = sizing.same_padding(kernel_size)
    modes = [("valid", 1, 0, 1), ("same", 1, same, 1), ("full", 1, kernel_size - 1, 1),
             ("strided", 2, same, 1), ("dilated", 1, 0, 2)]
    x, w = np.ones((1, 1, n, n)), np.ones((1, 1, kernel_size, kernel_size))
    return [(name, s, p, d, F.conv2d(x, w, stride=s, padding=p, dilation=d).shape[-1])
            for name, s, p, d in modes]
