"""Upsampling, worked out: the notes' transposed convolution and four ways to double a size.

A transposed convolution lets every input pixel **stamp** the kernel, scaled by the pixel's
value, onto the output, ``stride`` pixels from its neighbour's stamp; where stamps overlap
they add up (a scatter-add).  With no padding the output is the whole canvas,
``(H - 1) * stride + k`` pixels a side.  PyTorch's ``padding=p`` then *crops* ``p`` rows
and columns from every border -- the inverse of what ``padding`` does for the convolution
whose gradient this is -- so the same sum seen through a smaller window:

    H_out = (H - 1) * stride - 2 * padding + k + output_padding

The exam notes ask for stride 2 and padding 1 but compute the 5x5 canvas, i.e. padding 0;
with the stated padding the answer is its 3x3 centre (:func:`notes_example`).

Every number here comes from :mod:`dlcourse.nn.functional`; :func:`stamps` only draws the
separate stamps whose sum is the transposed convolution, for a picture.

Examples
--------
>>> notes_example(padding=1).astype(int).tolist()
[[2, 3, 4], [4, 3, 6], [6, 7, 8]]
"""

from __future__ import annotations

import numpy as np

from dlcourse._validate import check_array, check_positive
from dlcourse.backend import array_module
from dlcourse.nn import functional as F
from dlcourse.sizing import conv_transpose_output_size

__all__ = ["KERNELS", "NOTES_INPUT", "NOTES_KERNEL", "bilinear_phase_kernels",
           "bilinear_transposed_kernel", "notes_example", "stamps", "transposed_conv_explorer",
           "upsample_four_ways"]

NOTES_INPUT = np.array([[1.0, 2.0], [3.0, 4.0]])
NOTES_KERNEL = np.array([[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
KERNELS = ("notes", "ones")   # the explorer's kernels: the notes' 3x3 K, or all ones


def notes_example(*, stride: int = 2, padding: int = 0, output_padding: int = 0):
    """The notes' transposed convolution of ``I = [[1, 2], [3, 4]]`` with their ``K``.

    Returns
    -------
    ndarray, shape (H_out, H_out), float64
        5x5 for ``padding=0`` (the full scatter-add), 3x3 for ``padding=1``.

    Examples
    --------
    >>> notes_example().astype(int).tolist()[0]
    [0, 1, 0, 2, 0]
    """
    x = NOTES_INPUT.reshape(1, 1, 2, 2)
    w = NOTES_KERNEL.reshape(1, 1, 3, 3)
    return F.conv_transpose2d(x, w, stride=stride, padding=padding,
                              output_padding=output_padding)[0, 0]


def stamps(x, kernel, stride: int):
    """One stamp per input pixel: ``x[i, j] * kernel`` placed at ``(i*stride, j*stride)``.

    Their sum over the first two axes is the transposed convolution with no padding.

    Parameters
    ----------
    x : ndarray, shape (H, W)
    kernel : ndarray, shape (kh, kw)
    stride : int

    Returns
    -------
    ndarray, shape (H, W, (H-1)*stride + kh, (W-1)*stride + kw)

    Examples
    --------
    >>> s = stamps(NOTES_INPUT, NOTES_KERNEL, 2)
    >>> s.shape, s[0, 1, 0].tolist()       # the stamp of I[0, 1] = 2, top row
    ((2, 2, 5, 5), [0.0, 0.0, 0.0, 2.0, 0.0])
    """
    check_array(x, "x", ndim=2)
    check_array(kernel, "kernel", ndim=2)
    check_positive(stride, "stride")
    (h, w), (kh, kw) = x.shape, kernel.shape
    xp = array_module(x, kernel)
    out = xp.zeros((h, w, (h - 1) * stride + kh, (w - 1) * stride + kw),
                   dtype=np.result_type(x.dtype, kernel.dtype))
    for i in range(h):
        for j in range(w):
            out[i, j, i * stride:i * stride + kh, j * stride:j * stride + kw] = x[i, j] * kernel
    return out


def transposed_conv_explorer(in_size: int = 2, kernel_size: int = 3, stride: int = 2,
                             padding: int = 0, output_padding: int = 0, kernel: str = "notes"):
    """Everything the transposed-convolution panel draws (its compute function).

    The input is ``1, 2, ..., in_size**2`` row by row (for ``in_size=2`` the notes' ``I``);
    the kernel is the notes' ``K`` (``kernel="notes"``, always 3x3: ``kernel_size`` is then
    ignored) or ``kernel_size x kernel_size`` ones (``"ones"``: each output pixel then
    sums the inputs whose stamps cover it; with a constant input it shows how many overlap).

    Returns
    -------
    dict
        ``x``, ``w`` (2-D arrays), ``stride``, ``stamps`` (see :func:`stamps`), ``canvas``
        (their sum, plus ``output_padding`` zero rows and columns), ``crop`` (``top, left,
        size``: where the output sits on the canvas), ``output`` (from
        ``F.conv_transpose2d``), ``formula`` (the size formula with the numbers in), and
        ``error`` (a message, or ``None``; when set, the arrays are absent).

    Examples
    --------
    >>> r = transposed_conv_explorer(padding=1)
    >>> r["output"].shape, r["crop"], r["formula"]
    ((3, 3), (1, 1, 3), '(2 - 1)·2 - 2·1 + 3 + 0 = 3')
    """
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    w = NOTES_KERNEL if kernel == "notes" else np.ones((kernel_size, kernel_size))
    k = w.shape[0]
    formula = (f"({in_size} - 1)·{stride} - 2·{padding} + {k} + {output_padding}")
    try:
        size = conv_transpose_output_size(in_size, k, stride, padding, output_padding)
    except ValueError as error:
        return {"error": str(error), "formula": formula + " (invalid)"}
    x = np.arange(1.0, in_size**2 + 1).reshape(in_size, in_size)
    parts = stamps(x, w, stride)
    canvas = np.pad(parts.sum(axis=(0, 1)), ((0, output_padding), (0, output_padding)))
    output = F.conv_transpose2d(x[None, None], w[None, None], stride=stride, padding=padding,
                                output_padding=output_padding)[0, 0]
    return {"x": x, "w": w, "stride": stride, "stamps": parts, "canvas": canvas,
            "crop": (padding, padding, size), "output": output,
            "formula": f"{formula} = {size}", "error": None}


# --- four ways to double the size of an image ------------------------------------------------

def bilinear_transposed_kernel():
    """The 4x4 kernel that makes ``conv_transpose2d(stride=2, padding=1)`` interpolate.

    The outer product of ``[1, 3, 3, 1] / 4`` with itself: a stamp spreads each pixel with
    weights 3/4 to the two nearest output pixels and 1/4 to the next ones on each side --
    bilinear interpolation's weights for a factor of 2 (exact away from the border).

    >>> bilinear_transposed_kernel()[1].tolist()
    [0.1875, 0.5625, 0.5625, 0.1875]
    """
    a = np.array([1.0, 3.0, 3.0, 1.0]) / 4
    return np.outer(a, a)


def bilinear_phase_kernels():
    """Four 3x3 kernels whose outputs, pixel-shuffled, give bilinear upsampling by 2.

    Output pixel ``(2h + i, 2w + j)`` of bilinear interpolation mixes input rows ``h - 1, h``
    (``i = 0``: weights 1/4, 3/4) or ``h, h + 1`` (``i = 1``: 3/4, 1/4), and the same for
    columns.  A stride-1 convolution with kernel ``(i, j)`` computes sub-pixel ``(i, j)`` for
    every ``(h, w)`` at once; :func:`dlcourse.nn.functional.pixel_shuffle` interleaves them.

    Returns
    -------
    ndarray, shape (4, 1, 3, 3)
        Conv2d weights ``(out = i*2 + j, in = 1, 3, 3)``.

    >>> bilinear_phase_kernels()[0, 0].tolist()[1]
    [0.1875, 0.5625, 0.0]
    """
    taps = np.array([[0.25, 0.75, 0.0], [0.0, 0.75, 0.25]])   # offsets -1, 0, +1
    return np.stack([np.outer(taps[i], taps[j]) for i in range(2) for j in range(2)])[:, None]


def upsample_four_ways(image):
    """Double the size of one image with nearest, bilinear, transposed and pixel shuffle.

    The two learnable layers get fixed kernels that mimic bilinear interpolation
    (:func:`bilinear_transposed_kernel`, :func:`bilinear_phase_kernels`), so all four are
    comparable: in a network these kernels are learned instead.  Both layers pad with zeros
    where interpolation repeats the edge, so they darken the outermost pixels.

    Parameters
    ----------
    image : ndarray, shape (H, W), float

    Returns
    -------
    dict of str to ndarray, shape (2H, 2W)
        Keys ``"nearest"``, ``"bilinear"``, ``"transposed"``, ``"pixel shuffle"``.

    Examples
    --------
    >>> import numpy as np
    >>> out = upsample_four_ways(np.arange(16.0).reshape(4, 4))
    >>> {name: a.shape for name, a in out.items()}["pixel shuffle"]
    (8, 8)
    >>> bool(np.allclose(out["transposed"][1:-1, 1:-1], out["bilinear"][1:-1, 1:-1]))
    True
    """
    check_array(image, "image", ndim=2, floating=True)
    xp = array_module(image)
    x = image[None, None]
    transposed_w = xp.asarray(bilinear_transposed_kernel(), dtype=image.dtype)[None, None]
    phase_w = xp.asarray(bilinear_phase_kernels(), dtype=image.dtype)
    return {
        "nearest": F.interpolate(x, 2, mode="nearest")[0, 0],
        "bilinear": F.interpolate(x, 2, mode="bilinear")[0, 0],
        "transposed": F.conv_transpose2d(x, transposed_w, stride=2, padding=1)[0, 0],
        "pixel shuffle": F.pixel_shuffle(F.conv2d(x, phase_w, padding=1), 2)[0, 0],
    }
