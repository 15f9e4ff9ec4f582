"""Making feature maps bigger: ``interpolate`` (nearest or bilinear) and pixel shuffle.

:func:`interpolate` is ``torch.nn.functional.interpolate`` for an integer ``scale_factor``
(or an ``(s_h, s_w)`` pair): every input pixel grows into an ``s_h x s_w`` block of output
pixels, as in U-Nets, FPNs and decoders.

- **Nearest** (``mode="nearest"``) copies the pixel into its block (``repeat``); its
  backward adds up the block's gradients (a reshape and a sum).
- **Bilinear** (``mode="bilinear"``, PyTorch's ``align_corners=False``: pixel *centres*
  line up, so output ``t`` sits at input position ``u = (t + 0.5)/s - 0.5``) mixes the two
  nearest input pixels.  With an integer scale, output ``s*k + r`` always sits at the same fraction
  between its two neighbours, whatever ``k``: so each of the ``s`` *phases* ``r`` is a
  weighted sum of two shifted copies of the input, and so is its backward.  The image
  borders repeat the edge pixel, which is PyTorch's clamping rule.

Both are separable: resize the rows, then the columns, with the same 1-D rule.

Pixel shuffle is no interpolation at all: it only moves numbers, turning ``r*r`` channels
into an ``r x r`` block of pixels (PyTorch's ``pixel_shuffle``); its backward is the
inverse move, :func:`pixel_unshuffle`.
"""

from __future__ import annotations

import numbers

from dlcourse._validate import check_array, check_positive, pair
from dlcourse.backend import array_module

__all__ = [
    "interpolate",
    "interpolate_backward",
    "pixel_shuffle",
    "pixel_shuffle_backward",
    "pixel_unshuffle",
    "pixel_unshuffle_backward",
]


_MODES = ("nearest", "bilinear")


def _scales(x, scale_factor, mode) -> tuple[int, int]:
    """Validate an NCHW float ``x``, an integer ``scale_factor`` (or pair) >= 1 and ``mode``."""
    check_array(x, "x", ndim=4, floating=True)
    scales = pair(scale_factor, "scale_factor")
    check_positive(scales, "scale_factor")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(_MODES)}, got {mode!r}")
    return scales


def _check_grad(dout, expected, op: str) -> None:
    check_array(dout, "dout", ndim=4)
    if tuple(dout.shape) != tuple(expected):
        raise ValueError(f"dout has shape {tuple(dout.shape)} but {op}'s output has shape "
                         f"{tuple(expected)}")


def _upsampled_shape(x, scales) -> tuple[int, int, int, int]:
    n, c, h, w = x.shape
    return n, c, h * scales[0], w * scales[1]


# --- nearest ---------------------------------------------------------------------------------

def _nearest(x, sh: int, sw: int):
    """Every pixel copied into its ``sh x sw`` block (``repeat``)."""
    xp = array_module(x)
    return xp.repeat(xp.repeat(x, sh, axis=2), sw, axis=3)


def _nearest_backward(dout, x, sh: int, sw: int):
    """Each input pixel collects the gradients of its whole block."""
    n, c, h, w = x.shape
    rows = dout.reshape(n, c, h, sh, w * sw).sum(axis=3)    # add up each block's sh rows,
    return sum(rows[..., j::sw] for j in range(sw))         # then its sw columns


# --- bilinear --------------------------------------------------------------------------------

def _along(axis: int, index):
    """An index tuple that applies ``index`` (a slice) to ``axis`` only."""
    return (slice(None),) * axis + (index,)


def _phases(s: int):
    """For each phase ``r`` of scale ``s``: ``(e, f)`` such that output ``s*k + r`` is
    ``(1 - f) * xe[k + e] + f * xe[k + e + 1]``, where ``xe`` is the input with its edge
    pixels repeated once on each side (``xe[m]`` is ``x[m - 1]``)."""
    phases = []
    for r in range(s):
        u = (r + 0.5) / s - 0.5             # offset from input pixel k, in (-0.5, 0.5)
        e = 0 if u < 0 else 1               # left neighbour: pixel k-1 or k, i.e. xe[k + e]
        phases.append((e, u + 1 - e))
    return phases


def _bilinear_1d(x, axis: int, s: int):
    """Bilinear upsampling by ``s`` along one ``axis`` of ``x``."""
    xp = array_module(x)
    n = x.shape[axis]
    widths = [(0, 0)] * x.ndim
    widths[axis] = (1, 1)
    xe = xp.pad(x, widths, mode="edge")                   # xe[m] = x[m - 1], edges repeated
    out = xp.empty(x.shape[:axis] + (n * s,) + x.shape[axis + 1:], dtype=x.dtype)
    for r, (e, f) in enumerate(_phases(s)):
        left = xe[_along(axis, slice(e, e + n))]
        right = xe[_along(axis, slice(e + 1, e + 1 + n))]
        out[_along(axis, slice(r, None, s))] = (1 - f) * left + f * right
    return out


def _bilinear_1d_backward(dout, axis: int, s: int):
    """Gradient of :func:`_bilinear_1d`: each phase sends ``1 - f`` and ``f`` of its
    gradient back to the two shifted copies it read."""
    xp = array_module(dout)
    n = dout.shape[axis] // s
    dxe = xp.zeros(dout.shape[:axis] + (n + 2,) + dout.shape[axis + 1:], dtype=dout.dtype)
    for r, (e, f) in enumerate(_phases(s)):
        d = dout[_along(axis, slice(r, None, s))]
        dxe[_along(axis, slice(e, e + n))] += (1 - f) * d
        dxe[_along(axis, slice(e + 1, e + 1 + n))] += f * d
    # the two repeated edge pixels of xe were x's first and last: fold their gradient back
    dx = dxe[_along(axis, slice(1, n + 1))].copy()
    dx[_along(axis, slice(0, 1))] += dxe[_along(axis, slice(0, 1))]
    dx[_along(axis, slice(n - 1, n))] += dxe[_along(axis, slice(n + 1, n + 2))]
    return dx


def interpolate(x, scale_factor, mode="nearest"):
    """Upsample by an integer factor, as ``torch.nn.functional.interpolate(x,
    scale_factor=scale_factor, mode=mode)`` (bilinear with ``align_corners=False``).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float
    scale_factor : int or (int, int)
    mode : ``"nearest"`` (copy each pixel into its block) or ``"bilinear"``

    Returns
    -------
    ndarray, shape (N, C, H*s_h, W*s_w)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    >>> interpolate(x, 2)[0, 0].tolist()
    [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0], [3.0, 3.0, 4.0, 4.0]]
    >>> x = np.array([0.0, 4.0]).reshape(1, 1, 1, 2)
    >>> interpolate(x, (1, 2), mode="bilinear")[0, 0].tolist()   # rows kept, columns doubled
    [[0.0, 1.0, 3.0, 4.0]]
    """
    sh, sw = _scales(x, scale_factor, mode)
    if mode == "nearest":
        return _nearest(x, sh, sw)
    return _bilinear_1d(_bilinear_1d(x, 2, sh), 3, sw)


def interpolate_backward(dout, x, scale_factor, mode="nearest"):
    """Gradient of :func:`interpolate` with respect to ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> interpolate_backward(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), 2)[0, 0].tolist()
    [[4.0, 4.0], [4.0, 4.0]]
    >>> interpolate_backward(np.ones((1, 1, 2, 4)), np.zeros((1, 1, 1, 2)), 2,
    ...                      mode="bilinear")[0, 0].tolist()
    [[4.0, 4.0]]
    """
    sh, sw = _scales(x, scale_factor, mode)
    _check_grad(dout, _upsampled_shape(x, (sh, sw)), "interpolate")
    if mode == "nearest":
        return _nearest_backward(dout, x, sh, sw)
    return _bilinear_1d_backward(_bilinear_1d_backward(dout, 3, sw), 2, sh)


# --- pixel shuffle ---------------------------------------------------------------------------

def _check_factor(x, r) -> None:
    check_array(x, "x", ndim=4)
    if not isinstance(r, numbers.Integral):
        raise ValueError(f"r must be a positive int, got {r!r}")
    check_positive(int(r), "r")


def _shuffled_shape(x, r) -> tuple[int, int, int, int]:
    _check_factor(x, r)
    n, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(f"x has {c} channels, not a multiple of r*r = {r * r}")
    return n, c // (r * r), h * r, w * r


def _unshuffled_shape(x, r) -> tuple[int, int, int, int]:
    _check_factor(x, r)
    n, c, hr, wr = x.shape
    if hr % r or wr % r:
        raise ValueError(f"x is {hr}x{wr}, not divisible into {r}x{r} blocks")
    return n, c * r * r, hr // r, wr // r


def pixel_shuffle(x, r):
    """Rearrange ``(N, C*r*r, H, W)`` into ``(N, C, H*r, W*r)``, as
    ``torch.nn.functional.pixel_shuffle(x, upscale_factor=r)``.

    Output pixel ``(h*r + i, w*r + j)`` of channel ``c`` is input channel ``c*r*r + i*r + j``
    at ``(h, w)``: each group of ``r*r`` channels becomes one ``r x r`` block.

    Examples
    --------
    >>> import numpy as np
    >>> pixel_shuffle(np.arange(4.0).reshape(1, 4, 1, 1), 2)[0, 0].tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """
    n, c, hr, wr = _shuffled_shape(x, r)
    h, w = x.shape[2:]
    y = x.reshape(n, c, r, r, h, w).transpose(0, 1, 4, 2, 5, 3)   # (n, c, h, i, w, j)
    return y.reshape(n, c, hr, wr)


def pixel_unshuffle(x, r):
    """Inverse of :func:`pixel_shuffle`: ``(N, C, H*r, W*r)`` into ``(N, C*r*r, H, W)``, as
    ``torch.nn.functional.pixel_unshuffle(x, downscale_factor=r)``.

    Examples
    --------
    >>> import numpy as np
    >>> pixel_unshuffle(np.arange(4.0).reshape(1, 1, 2, 2), 2)[0, :, 0, 0].tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    n, crr, h, w = _unshuffled_shape(x, r)
    c = x.shape[1]
    y = x.reshape(n, c, h, r, w, r).transpose(0, 1, 3, 5, 2, 4)   # (n, c, i, j, h, w)
    return y.reshape(n, crr, h, w)


def pixel_shuffle_backward(dout, x, r):
    """Gradient of :func:`pixel_shuffle`: the numbers only moved, so move them back."""
    _check_grad(dout, _shuffled_shape(x, r), "pixel_shuffle")
    return pixel_unshuffle(dout, r)


def pixel_unshuffle_backward(dout, x, r):
    """Gradient of :func:`pixel_unshuffle`: :func:`pixel_shuffle` of ``dout``."""
    _check_grad(dout, _unshuffled_shape(x, r), "pixel_unshuffle")
    return pixel_shuffle(dout, r)
