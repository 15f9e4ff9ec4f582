"""Image augmentations that run on NumPy or CuPy arrays (the device follows the data).

Images are ``(N, C, H, W)``, ``(N, H, W)`` or ``(H, W)``; the result has the same shape
and dtype.  Rotation and scaling map every *output* pixel back to the point of the input it
comes from and read that point by bilinear interpolation; points outside the image read
``fill``.  Positive angles turn the picture counter-clockwise, as ``np.rot90`` does.

Randomness (``rng``: an int seed, ``None`` or a NumPy ``Generator``) is drawn on the host,
so the same seed gives the same augmentation on CPU and GPU.
"""

from __future__ import annotations

import numbers

import numpy as np

from dlcourse._validate import check_array, check_non_negative, check_positive
from dlcourse.backend import array_module
from dlcourse.data._rng import rng_from

__all__ = ["add_noise", "flip_horizontal", "random_augment", "rotate", "scale", "shift"]


def _batch(images, *, floating: bool = False):
    """``images`` viewed as ``(N, C, H, W)``, for the three accepted layouts."""
    check_array(images, "images", ndim=(2, 3, 4), floating=floating)
    if images.ndim == 2:
        return images[None, None]
    return images[:, None] if images.ndim == 3 else images


def _span(d: int, n: int) -> tuple[slice, slice]:
    """Destination and source slices that move ``n`` pixels by ``d`` (positive: forward)."""
    d = max(-n, min(n, d))
    return slice(max(d, 0), n + min(d, 0)), slice(max(-d, 0), n - max(d, 0))


def shift(images, dx: int, dy: int, *, fill: float = 0.0):
    """Move the content ``dx`` pixels right and ``dy`` pixels down; vacated pixels get ``fill``.

    >>> import numpy as np
    >>> shift(np.eye(3), 1, 0).astype(int).tolist()
    [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    """
    check_array(images, "images", ndim=(2, 3, 4))
    if not (isinstance(dx, numbers.Integral) and isinstance(dy, numbers.Integral)):
        raise TypeError(f"dx and dy must be whole pixels (ints), got {dx!r} and {dy!r}")
    h, w = images.shape[-2:]
    (rows_to, rows_from), (cols_to, cols_from) = _span(int(dy), h), _span(int(dx), w)
    out = array_module(images).full_like(images, fill)
    out[..., rows_to, cols_to] = images[..., rows_from, cols_from]
    return out


def flip_horizontal(images):
    """Mirror left-right (a new array).  Fine for cats, wrong for digits: a flipped 2 is no 2.

    >>> import numpy as np
    >>> flip_horizontal(np.array([[1, 2, 3]])).tolist()
    [[3, 2, 1]]
    """
    check_array(images, "images", ndim=(2, 3, 4))
    return images[..., ::-1].copy()


def _bilinear(images, rows, cols, fill: float):
    """Read ``images`` (N, C, H, W) at the real-valued points ``rows, cols`` (N, H', W').

    Each of the four neighbouring pixels contributes with weight ``(1 - |dr|)(1 - |dc|)``;
    a neighbour outside the image contributes ``fill`` instead.
    """
    xp = array_module(images)
    n, _, h, w = images.shape
    batch = xp.arange(n)[:, None, None]
    top, left = xp.floor(rows), xp.floor(cols)
    out = 0.0
    for r in (top, top + 1):
        for c in (left, left + 1):
            weight = (1 - abs(rows - r)) * (1 - abs(cols - c))              # (N, H', W')
            inside = (r >= 0) & (r <= h - 1) & (c >= 0) & (c <= w - 1)
            ri = xp.clip(r, 0, h - 1).astype(np.int64)
            ci = xp.clip(c, 0, w - 1).astype(np.int64)
            values = xp.where(inside[..., None], images[batch, :, ri, ci], fill)  # (N, H', W', C)
            out = out + weight[..., None] * values
    return xp.moveaxis(out, -1, 1).astype(images.dtype)                     # (N, C, H', W')


def _warp(images, inverse, translation, fill: float):
    """Output pixel ``p`` reads input point ``centre + inverse @ (p - centre - translation)``.

    ``inverse`` is ``(N, 2, 2)`` and ``translation`` ``(N, 2)``, both in (row, col) order.
    """
    xp = array_module(images)
    h, w = images.shape[-2:]
    centre = xp.asarray([(h - 1) / 2, (w - 1) / 2])
    rows, cols = xp.meshgrid(xp.arange(h), xp.arange(w), indexing="ij")
    offset = xp.stack([rows, cols], axis=-1) - centre                        # (H, W, 2)
    offset = offset[None] - xp.asarray(translation)[:, None, None, :]        # (N, H, W, 2)
    source = centre + xp.einsum("nij,nhwj->nhwi", xp.asarray(inverse), offset)
    return _bilinear(images, source[..., 0], source[..., 1], fill)


def _rotation_inverse(degrees) -> np.ndarray:
    """``(..., 2, 2)`` matrices taking an output (row, col) offset to its source offset
    for a counter-clockwise turn by ``degrees`` (rows point down, hence the signs)."""
    t = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    cos, sin = np.cos(t), np.sin(t)
    return np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)


def rotate(images, degrees: float, *, fill: float = 0.0):
    """Rotate about the image centre by ``degrees`` counter-clockwise (bilinear).

    >>> import numpy as np
    >>> image = np.arange(9.0).reshape(3, 3)
    >>> bool(np.allclose(rotate(image, 90), np.rot90(image)))
    True
    """
    batch = _batch(images, floating=True)
    n = len(batch)
    inverse = np.broadcast_to(_rotation_inverse(degrees), (n, 2, 2))
    return _warp(batch, inverse, np.zeros((n, 2)), fill).reshape(images.shape)


def scale(images, factor: float, *, fill: float = 0.0):
    """Zoom about the image centre: ``factor > 1`` enlarges the content, ``< 1`` shrinks it.

    >>> import numpy as np
    >>> bool(np.allclose(scale(np.ones((4, 4)), 2.0), 1.0))
    True
    """
    check_positive(factor, "factor")
    batch = _batch(images, floating=True)
    n = len(batch)
    inverse = np.broadcast_to(np.eye(2) / factor, (n, 2, 2))
    return _warp(batch, inverse, np.zeros((n, 2)), fill).reshape(images.shape)


def add_noise(images, std: float = 0.1, *, rng=None, clip: bool = True):
    """Add Gaussian noise of standard deviation ``std``; clip to [0, 1] if ``clip``.

    >>> import numpy as np
    >>> noisy = add_noise(np.full((2, 8, 8), 0.5, dtype=np.float32), 0.1, rng=0)
    >>> noisy.dtype, bool(0.0 <= noisy.min() and noisy.max() <= 1.0)
    (dtype('float32'), True)
    """
    check_array(images, "images", floating=True)
    check_non_negative(std, "std")
    xp = array_module(images)
    noise = xp.asarray(rng_from(rng).standard_normal(images.shape))
    out = images + std * noise
    if clip:
        out = xp.clip(out, 0.0, 1.0)
    return out.astype(images.dtype)


def random_augment(images, rng=None, *, max_shift: int = 1, max_degrees: float = 10.0,
                   scale_range: tuple[float, float] = (0.9, 1.1), noise_std: float = 0.0,
                   flip: bool = False, fill: float = 0.0):
    """A random shift, rotation and zoom per image (one bilinear resampling), then noise.

    Each image gets whole-pixel shifts in ``[-max_shift, max_shift]``, an angle in
    ``[-max_degrees, max_degrees]``, a zoom factor in ``scale_range`` and, if ``flip``, a
    left-right mirror with probability 1/2.  Defaults suit 8x8 digits (no flips).

    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((5, 1, 8, 8))
    >>> random_augment(images, 0).shape
    (5, 1, 8, 8)
    """
    batch = _batch(images, floating=True)
    low, high = scale_range
    check_positive(low, "scale_range")
    check_non_negative(max_shift, "max_shift")
    gen = rng_from(rng)
    n = len(batch)
    shifts = gen.integers(-max_shift, max_shift + 1, size=(n, 2))           # (dy, dx)
    angles = gen.uniform(-max_degrees, max_degrees, size=n)
    factors = gen.uniform(low, high, size=n)
    inverse = _rotation_inverse(angles) / factors[:, None, None]
    out = _warp(batch, inverse, shifts, fill)
    if flip:
        mirror = array_module(out).asarray(gen.random(n) < 0.5)[:, None, None, None]
        out = array_module(out).where(mirror, out[..., ::-1], out)
    if noise_std > 0:
        out = add_noise(out, noise_std, rng=gen)
    return out.reshape(images.shape)
