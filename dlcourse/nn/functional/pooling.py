"""Pooling: max, average, adaptive and global average, and max unpooling.

One picture explains every function here.  A pooling window of ``kh x kw`` elements slides
over the (padded) input with a given stride.  Element ``(i, j)`` of *every* window, taken
together, is a strided grid of the input, of shape (N, C, H_out, W_out)::

    xpad[:, :, i : i + sh*(H_out-1) + 1 : sh,  j : j + sw*(W_out-1) + 1 : sw]

So a pooling layer is a reduction over ``kh * kw`` such grids -- a short loop over the
window offsets, never over pixels -- and its backward adds the gradient back into the same
grids.  Windows that overlap (stride < kernel) then accumulate their gradients for free.

All inputs are NCHW arrays, NumPy or CuPy; outputs keep the input's dtype.  Output sizes
follow PyTorch's floor rule ``H_out = (H + 2*padding - kernel) // stride + 1``.
"""

from __future__ import annotations

from typing import NamedTuple

from dlcourse._validate import check_array, check_non_negative, check_positive, pair
from dlcourse.backend import array_module, scatter_add

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "global_avg_pool2d",
    "global_avg_pool2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_with_indices",
    "max_unpool2d",
    "max_unpool2d_backward",
]


# --- shared geometry: the window grids -------------------------------------------------

class _Window(NamedTuple):
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    out_size: tuple[int, int]  # (H_out, W_out)


def _hyperparameters(kernel_size, stride, padding):
    """Validated ``(kernel, stride, padding)`` pairs; ``stride`` defaults to the kernel."""
    kernel = pair(kernel_size, "kernel_size")
    check_positive(kernel, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    check_positive(stride, "stride")
    padding = pair(padding, "padding")
    check_non_negative(padding, "padding")
    return kernel, stride, padding


def _window(x, kernel_size, stride, padding) -> _Window:
    """Validate pooling arguments for the NCHW input ``x`` and work out the output size."""
    check_array(x, "x", ndim=4, floating=True)
    kernel, stride, padding = _hyperparameters(kernel_size, stride, padding)
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        raise ValueError(f"padding {padding} must be at most half of kernel_size {kernel} "
                         "(PyTorch's rule: otherwise a window could hold only padding)")
    height, width = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    if kernel[0] > height or kernel[1] > width:
        raise ValueError(f"kernel_size {kernel} is larger than the padded input "
                         f"{height}x{width}")
    out_size = ((height - kernel[0]) // stride[0] + 1, (width - kernel[1]) // stride[1] + 1)
    return _Window(kernel, stride, padding, out_size)


def _grids(win: _Window):
    """Yield ``(i, j, index)``: ``xpad[index]`` is element (i, j) of every window."""
    (kh, kw), (sh, sw), (ho, wo) = win.kernel, win.stride, win.out_size
    for i in range(kh):
        for j in range(kw):
            rows = slice(i, i + sh * (ho - 1) + 1, sh)
            cols = slice(j, j + sw * (wo - 1) + 1, sw)
            yield i, j, (slice(None), slice(None), rows, cols)


def _pad(x, padding, value):
    """``x`` padded by ``padding = (ph, pw)`` on both sides of H and W with ``value``."""
    if padding == (0, 0):
        return x
    (ph, pw), xp = padding, array_module(x)
    return xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _check_dout(dout, shape, name):
    """Raise unless ``dout`` has the shape of the forward's output."""
    check_array(dout, "dout")
    if tuple(dout.shape) != tuple(shape):
        raise ValueError(f"dout has shape {tuple(dout.shape)} but {name}'s output has "
                         f"shape {tuple(shape)}")


# --- max pooling ------------------------------------------------------------------------

def _max_over_windows(xpad, win: _Window):
    """Elementwise maximum of the ``kh * kw`` window grids of the padded input."""
    xp, grids = array_module(xpad), [grid for _, _, grid in _grids(win)]
    out = xpad[grids[0]].copy()
    for grid in grids[1:]:
        xp.maximum(out, xpad[grid], out=out)
    return out


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Largest value in each window (padding counts as ``-inf``).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, stride, padding : int or (int, int)
        ``stride`` defaults to ``kernel_size``; ``padding`` must be at most half the kernel.

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> max_pool2d(x, 2)[0, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    win = _window(x, kernel_size, stride, padding)
    return _max_over_windows(_pad(x, win.padding, -float("inf")), win)


def max_pool2d_with_indices(x, kernel_size, stride=None, padding=0):
    """:func:`max_pool2d` and where each maximum came from, like ``return_indices=True``.

    ``indices[n, c, p, q]`` is the flat position ``row * W + col`` of the maximum inside the
    ``H x W`` plane of ``x[n, c]``.  On ties the first maximum (in reading order) wins, as in
    PyTorch.  (A window holding NaN gives NaN, as in PyTorch; its index is unspecified.)

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
    indices : int64 ndarray, shape (N, C, H_out, W_out)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])
    >>> out, idx = max_pool2d_with_indices(x, 2)
    >>> out.item(), idx.item()  # the first of the two 3s
    (3.0, 1)
    """
    win = _window(x, kernel_size, stride, padding)
    xp, xpad = array_module(x), _pad(x, win.padding, -float("inf"))
    out = _max_over_windows(xpad, win)
    grids = [grid for _, _, grid in _grids(win)]
    # 1. Which element k = i * kw + j of its window holds the maximum, the first on ties:
    #    scan from the last element to the first, so that the first maximum is written last.
    arg = xp.full(out.shape, len(grids) - 1, dtype=xp.int32)
    for k in reversed(range(len(grids) - 1)):
        hit = xpad[grids[k]] == out
        arg += hit * (k - arg)  # xp.where(hit, k, arg), branch-free and several times faster
    # 2. Where that element lies in its plane.
    positions = _window_positions(x.shape[2:], win, xp)
    rows, cols = xp.arange(win.out_size[0]).reshape(-1, 1), xp.arange(win.out_size[1])
    return out, positions[arg, rows, cols].astype(xp.int64, copy=False)


def _window_positions(plane_size, win: _Window, xp):
    """``positions[k, p, q]``: flat position ``row * W + col`` of element k of window (p, q).

    Shape (kh * kw, H_out, W_out).  Positions in the padding are clipped to the plane: an
    index can point there only for a window of nothing but ``-inf``, and PyTorch then names
    the window's first element inside the plane, which is what clipping gives.
    """
    (height, width), (_, kw), (ho, wo) = plane_size, win.kernel, win.out_size
    i, j = xp.divmod(xp.arange(win.kernel[0] * kw), kw)  # element k sits at (i, j)
    rows = (xp.arange(ho) * win.stride[0] - win.padding[0] + i[:, None]).clip(0, height - 1)
    cols = (xp.arange(wo) * win.stride[1] - win.padding[1] + j[:, None]).clip(0, width - 1)
    return rows[:, :, None] * width + cols[:, None, :]


def _flat(indices, plane_size):
    """Positions in the raveled array of plane-local ``indices`` of shape (N, C, h, w)."""
    n, c = indices.shape[:2]
    plane_starts = array_module(indices).arange(n * c).reshape(n, c, 1, 1) * plane_size
    return (indices + plane_starts).ravel()


def max_pool2d_backward(dout, x, kernel_size, stride=None, padding=0, *, indices=None):
    """Gradient of :func:`max_pool2d`: each window's ``dout`` goes to its (first) maximum.

    Where windows overlap, one input can be the maximum of several windows; its gradient
    is then the *sum* of theirs (a scatter-add, not an assignment).

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
    x, kernel_size, stride, padding
        As given to :func:`max_pool2d`.
    indices : int ndarray, shape (N, C, H_out, W_out), optional
        From :func:`max_pool2d_with_indices` on the same ``x``; recomputed when omitted.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 4.0], [3.0, 2.0]]]])
    >>> max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)[0, 0].tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    win = _window(x, kernel_size, stride, padding)
    _check_dout(dout, x.shape[:2] + win.out_size, "max_pool2d")
    if indices is None:
        indices = max_pool2d_with_indices(x, kernel_size, stride, padding)[1]
    elif tuple(indices.shape) != tuple(dout.shape):
        raise ValueError(f"indices has shape {tuple(indices.shape)} but dout has shape "
                         f"{tuple(dout.shape)}")
    xp = array_module(x, dout)
    dx = xp.zeros(x.size, dtype=x.dtype)
    scatter_add(dx, _flat(indices, x.shape[2] * x.shape[3]), dout.ravel())
    return dx.reshape(x.shape)


def _unpool_size(x, kernel, stride, padding, output_size):
    """Output (H, W) of max_unpool2d: PyTorch's default, or a checked ``output_size``."""
    default = tuple((n - 1) * s - 2 * p + k
                    for n, k, s, p in zip(x.shape[2:], kernel, stride, padding, strict=True))
    if output_size is None:
        return default
    size = pair(tuple(output_size)[-2:], "output_size")
    low = tuple(d - s for d, s in zip(default, stride, strict=True))
    high = tuple(d + s for d, s in zip(default, stride, strict=True))
    if not all(lo < n < hi for lo, n, hi in zip(low, size, high, strict=True)):
        raise ValueError(f"output_size {size} must lie strictly between {low} and {high} "
                         "for this input (PyTorch's rule)")
    return size


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool2d`: put each value back where its maximum was.

    Every other position is zero.  Used by decoders ("max unpooling") that reuse the
    encoder's pooling indices.

    Parameters
    ----------
    x : ndarray, shape (N, C, h, w)
        Pooled values.
    indices : int ndarray, shape (N, C, h, w)
        From :func:`max_pool2d_with_indices`.
    kernel_size, stride, padding : int or (int, int)
        Those of the pooling being undone; ``stride`` defaults to ``kernel_size``.
    output_size : (int, int) or (N, C, H, W), optional
        Size of the unpooled planes; by default ``(h - 1) * stride - 2 * padding + kernel``.

    Returns
    -------
    ndarray, shape (N, C, H, W)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 4.0], [3.0, 2.0]]]])
    >>> out, idx = max_pool2d_with_indices(x, 2)
    >>> max_unpool2d(out, idx, 2)[0, 0].tolist()
    [[0.0, 4.0], [0.0, 0.0]]
    """
    size = _unpool_args(x, indices, kernel_size, stride, padding, output_size)
    xp = array_module(x, indices)
    out = xp.zeros(x.shape[0] * x.shape[1] * size[0] * size[1], dtype=x.dtype)
    out[_flat(indices, size[0] * size[1])] = x.ravel()
    return out.reshape(x.shape[:2] + size)


def max_unpool2d_backward(dout, x, indices, kernel_size, stride=None, padding=0,
                          output_size=None):
    """Gradient of :func:`max_unpool2d` with respect to ``x``: read ``dout`` at ``indices``.

    Returns
    -------
    dx : ndarray, shape (N, C, h, w)
    """
    size = _unpool_args(x, indices, kernel_size, stride, padding, output_size)
    _check_dout(dout, x.shape[:2] + size, "max_unpool2d")
    return dout.ravel()[_flat(indices, size[0] * size[1])].reshape(x.shape)


def _unpool_args(x, indices, kernel_size, stride, padding, output_size):
    """Validate max_unpool2d's arguments; return the unpooled plane size (H, W)."""
    check_array(x, "x", ndim=4, floating=True)
    check_array(indices, "indices", ndim=4)
    if tuple(indices.shape) != tuple(x.shape):
        raise ValueError(f"indices has shape {tuple(indices.shape)} but x has shape "
                         f"{tuple(x.shape)}")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices must have an integer dtype, got {indices.dtype}")
    size = _unpool_size(x, *_hyperparameters(kernel_size, stride, padding), output_size)
    if indices.size and not 0 <= int(indices.min()) <= int(indices.max()) < size[0] * size[1]:
        raise ValueError(f"indices must lie in [0, {size[0] * size[1]}) for unpooled planes "
                         f"of size {size}")
    return size


# --- average pooling --------------------------------------------------------------------

def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean of each window; zero padding counts in the mean (``count_include_pad=True``).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, stride, padding : int or (int, int)
        ``stride`` defaults to ``kernel_size``; ``padding`` must be at most half the kernel.

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out)

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    win = _window(x, kernel_size, stride, padding)
    xpad, grids = _pad(x, win.padding, 0), [grid for _, _, grid in _grids(win)]
    total = xpad[grids[0]].copy()
    for grid in grids[1:]:
        total += xpad[grid]
    return total / (win.kernel[0] * win.kernel[1])


def avg_pool2d_backward(dout, x, kernel_size, stride=None, padding=0):
    """Gradient of :func:`avg_pool2d`: each window shares its ``dout`` equally.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d_backward(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 2, 2)), 2)[0, 0].tolist()
    [[0.25, 0.25], [0.25, 0.25]]
    """
    win = _window(x, kernel_size, stride, padding)
    _check_dout(dout, x.shape[:2] + win.out_size, "avg_pool2d")
    xp = array_module(x, dout)
    (ph, pw), (height, width) = win.padding, x.shape[2:]
    dxpad = xp.zeros(x.shape[:2] + (height + 2 * ph, width + 2 * pw), dtype=x.dtype)
    share = dout / (win.kernel[0] * win.kernel[1])
    for _, _, grid in _grids(win):
        dxpad[grid] += share  # overlapping windows accumulate
    return xp.ascontiguousarray(dxpad[:, :, ph:ph + height, pw:pw + width])  # drop padding


# --- adaptive and global average pooling ------------------------------------------------

def _averaging_matrix(size_in, size_out, xp, dtype):
    """(size_out, size_in) matrix whose row ``i`` averages PyTorch's adaptive window ``i``.

    Window ``i`` spans ``floor(i * size_in / size_out)`` to ``ceil((i+1) * size_in / size_out)``.
    """
    i = xp.arange(size_out).reshape(-1, 1)
    start = (i * size_in) // size_out
    end = -((-(i + 1) * size_in) // size_out)  # ceiling division
    inside = (xp.arange(size_in) >= start) & (xp.arange(size_in) < end)
    return (inside / (end - start)).astype(dtype)


def _adaptive_args(x, output_size):
    check_array(x, "x", ndim=4, floating=True)
    size = pair(output_size, "output_size")
    check_positive(size, "output_size")
    xp = array_module(x)
    return (_averaging_matrix(x.shape[2], size[0], xp, x.dtype),
            _averaging_matrix(x.shape[3], size[1], xp, x.dtype))


def adaptive_avg_pool2d(x, output_size):
    """Average pooling whose windows are chosen to give exactly ``output_size``.

    Windows may differ in size by one and may overlap (PyTorch's start/end rule).  Averaging
    rows and then columns is linear, so the layer is two small matrix products:
    ``out = A_h @ x @ A_w.T``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    output_size : int or (int, int)

    Returns
    -------
    ndarray, shape (N, C, *output_size)

    Examples
    --------
    >>> import numpy as np
    >>> adaptive_avg_pool2d(np.arange(5.0).reshape(1, 1, 1, 5), (1, 2))[0, 0].tolist()
    [[1.0, 3.0]]
    """
    rows, cols = _adaptive_args(x, output_size)
    return rows @ x @ cols.T


def adaptive_avg_pool2d_backward(dout, x, output_size):
    """Gradient of :func:`adaptive_avg_pool2d`: the transposed maps, ``A_h.T @ dout @ A_w``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    rows, cols = _adaptive_args(x, output_size)
    _check_dout(dout, x.shape[:2] + (rows.shape[0], cols.shape[0]), "adaptive_avg_pool2d")
    return rows.T @ dout @ cols


def global_avg_pool2d(x):
    """Mean over all positions of each channel: ``(N, C, H, W) -> (N, C)``.

    Unlike ``adaptive_avg_pool2d(x, 1)``, which keeps the shape ``(N, C, 1, 1)``, the
    spatial axes are dropped, ready for a linear classifier.

    Examples
    --------
    >>> import numpy as np
    >>> global_avg_pool2d(np.arange(8.0).reshape(1, 2, 2, 2)).tolist()
    [[1.5, 5.5]]
    """
    check_array(x, "x", ndim=4, floating=True)
    return x.mean(axis=(2, 3))


def global_avg_pool2d_backward(dout, x):
    """Gradient of :func:`global_avg_pool2d`: ``dout / (H * W)`` spread over each plane.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    check_array(x, "x", ndim=4, floating=True)
    _check_dout(dout, x.shape[:2], "global_avg_pool2d")
    xp = array_module(x, dout)
    share = (dout / (x.shape[2] * x.shape[3])).astype(x.dtype, copy=False)
    return xp.broadcast_to(share[:, :, None, None], x.shape).copy()
