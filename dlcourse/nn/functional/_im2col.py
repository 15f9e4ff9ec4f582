"""im2col, a few images at a time: where every kernel tap of a convolution reads its input.

A convolution is a sum over the ``kh * kw`` taps of its kernel.  Tap ``(i, j)`` multiplies
weight ``w[:, :, i, j]``, a ``(C_out, C_in)`` matrix, with the input pixels it sees at every
output position -- a strided grid of the padded input::

    xpad[:, :, i*dh : i*dh + sh*(H_out-1) + 1 : sh,  j*dw : j*dw + sw*(W_out-1) + 1 : sw]

Stacking the ``kh * kw`` grids on top of each other gives the classic *im2col* matrix of
shape ``(kh*kw*C_in, N*H_out*W_out)``, and the whole convolution becomes one matrix
product: ``out = w_matrix @ im2col(x)`` with ``w_matrix`` of shape ``(C_out, kh*kw*C_in)``.

Chunks of the batch
-------------------
The im2col matrix is ``kh*kw`` times larger than the input (170 MB for a 64-image batch of
64-channel 32x32 maps).  Writing it to memory and reading it back would cost more than the
product itself, so we build it for a few images at a time (:func:`chunks`), small enough to
stay in the CPU's cache, and write each chunk's result straight into the output.  On a GPU
the whole batch is one chunk.

The stride-1 shortcut
---------------------
With stride 1 the grid of tap ``(i, j)`` is the padded image shifted by ``(i*dh, j*dw)``.
Flatten the padded images of a chunk into one long row per channel: a shift by ``(a, b)``
pixels becomes a shift by ``a * W_pad + b`` entries, i.e. a *slice* -- a view, no strided
gather.  The price: results are computed on the whole ``H_pad x W_pad`` grid, and the extra
rows and columns (where a window would wrap into the padding or the next image) are cropped
away.  That costs ``H_pad*W_pad / (H_out*W_out)`` times the arithmetic -- 13 % for a 3x3
"same" convolution of 32x32 maps, 56 % of 8x8 maps -- so we use the shortcut only while
that factor stays below :data:`MAX_SHIFT_OVERHEAD`; otherwise each tap's grid is a
strided slice.

Every array here is channels-first, ``(C, N, ...)``, so that a tap's grid reshaped to
``(C, N*H*W)`` is one block of rows of the im2col matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from dlcourse.backend import array_module

# Use the stride-1 shortcut while the padded grid is at most this many times the output:
# contiguous slices copy so much faster than strided grids that the shortcut still wins
# with twice the arithmetic (measured: 3x3 "same" convolutions of 8x8 maps, 1.56x the
# arithmetic, run 25 % faster with it; of 4x4 maps, 2.25x, they break even).
MAX_SHIFT_OVERHEAD = 2.0

# On the CPU, each chunk's im2col matrix takes about this many bytes (whole images, at
# least one): small enough to stay in cache, large enough for an efficient matrix product.
CHUNK_BYTES = 8 * 2**20


class TapLayout(NamedTuple):
    """Geometry of one convolution, shared by its forward and both gradients."""

    batch: int
    in_size: tuple[int, int]     # (H, W) of the input, before padding
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    out_size: tuple[int, int]    # (H_out, W_out)
    padded_size: tuple[int, int]  # (H + 2*ph, W + 2*pw)
    shifted: bool                # True: taps are slices of the flat image (stride-1 shortcut)

    @property
    def grid(self) -> tuple[int, int]:
        """Size of the output grid that the matrix products fill (cropped to ``out_size``)."""
        return self.padded_size if self.shifted else self.out_size

    @property
    def tail(self) -> int:
        """Spare zeros after the flat image so that the largest shift stays in bounds."""
        if not self.shifted:
            return 0
        (kh, kw), (dh, dw), width = self.kernel, self.dilation, self.padded_size[1]
        return (kh - 1) * dh * width + (kw - 1) * dw


def tap_layout(x_shape, kernel, stride, padding, dilation) -> TapLayout:
    """The :class:`TapLayout` of a convolution of an ``(N, C, H, W)`` input (args validated)."""
    n, _, h, w = x_shape
    hp, wp = h + 2 * padding[0], w + 2 * padding[1]
    out_size = tuple((size - d * (k - 1) - 1) // s + 1
                     for size, k, s, d in zip((hp, wp), kernel, stride, dilation, strict=True))
    shifted = stride == (1, 1) and hp * wp <= MAX_SHIFT_OVERHEAD * out_size[0] * out_size[1]
    return TapLayout(n, (h, w), kernel, stride, padding, dilation, out_size, (hp, wp), shifted)


def chunks(lay: TapLayout, column_bytes: int, *, gpu: bool) -> Iterator[tuple[slice, TapLayout]]:
    """Split the batch into runs of whole images: ``(images, layout of those images)`` pairs.

    On the CPU each run's im2col matrix, ``column_bytes`` per output position, takes about
    :data:`CHUNK_BYTES`; on a GPU (``gpu``, from :func:`dlcourse.backend.on_gpu`) the whole
    batch is one run.
    """
    if not gpu:
        image_bytes = column_bytes * lay.grid[0] * lay.grid[1]
        size = max(1, CHUNK_BYTES // image_bytes)
    else:
        size = max(1, lay.batch)
    for start in range(0, lay.batch, size):
        stop = min(start + size, lay.batch)
        yield slice(start, stop), lay._replace(batch=stop - start)


def padded_image(flat, lay: TapLayout):
    """The ``(C, N, H_pad, W_pad)`` padded images inside a flat buffer (a view)."""
    (hp, wp), n = lay.padded_size, lay.batch
    return flat[:, : n * hp * wp].reshape(flat.shape[0], n, hp, wp)


def zeros_flat(xp, channels: int, lay: TapLayout, dtype):
    """A zero ``(channels, N*H_pad*W_pad + tail)`` buffer: flat padded images of the batch."""
    hp, wp = lay.padded_size
    return xp.zeros((channels, lay.batch * hp * wp + lay.tail), dtype=dtype)


def to_flat(x, lay: TapLayout):
    """``x`` of shape ``(N, C, H, W)`` zero-padded into a flat ``(C, N*H_pad*W_pad + tail)``."""
    (h, w), (ph, pw) = lay.in_size, lay.padding
    flat = zeros_flat(array_module(x), x.shape[1], lay, x.dtype)
    padded_image(flat, lay)[:, :, ph:ph + h, pw:pw + w] = x.transpose(1, 0, 2, 3)
    return flat


def from_flat(flat, lay: TapLayout):
    """Inverse of :func:`to_flat`: crop the padding, a ``(N, C, H, W)`` view."""
    (h, w), (ph, pw) = lay.in_size, lay.padding
    return padded_image(flat, lay)[:, :, ph:ph + h, pw:pw + w].transpose(1, 0, 2, 3)


def tap(flat, lay: TapLayout, i: int, j: int):
    """The input pixels that kernel tap ``(i, j)`` reads at every output position: a view.

    Its elements are the ``(C, N, *grid)`` grid in C order.  With the stride-1 shortcut the
    view is already that grid as a ``(C, N*grid_h*grid_w)`` matrix; otherwise it is
    ``(C, N, H_out, W_out)``.  Adding into the view (``+=``) adds into ``flat``, which is
    how :func:`col2im_add` sends each tap's contribution back.
    """
    (sh, sw), (dh, dw), (ho, wo) = lay.stride, lay.dilation, lay.out_size
    if lay.shifted:  # stride 1: a shift of the flattened images is a slice
        start = i * dh * lay.padded_size[1] + j * dw
        return flat[:, start:start + flat.shape[1] - lay.tail]
    rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
    cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
    return padded_image(flat, lay)[:, :, rows, cols]


def im2col(flat, lay: TapLayout):
    """The im2col matrix, ``(kh*kw*C, N*grid_h*grid_w)``: tap ``(i, j)``'s grid in block
    ``i*kw + j`` of ``C`` rows (the row order of ``w.transpose(0, 2, 3, 1)``)."""
    xp, channels = array_module(flat), flat.shape[0]
    (kh, kw), (gh, gw) = lay.kernel, lay.grid
    cols = xp.empty((kh * kw, channels, lay.batch * gh * gw), flat.dtype)
    for i in range(kh):
        for j in range(kw):
            grid = tap(flat, lay, i, j)
            cols[i * kw + j].reshape(grid.shape)[...] = grid
    return cols.reshape(kh * kw * channels, -1)


def col2im_add(flat, cols, lay: TapLayout) -> None:
    """The inverse gather of :func:`im2col`: add every block of ``cols`` into the pixels its
    tap read (pixels read by several taps receive the sum)."""
    (kh, kw), channels = lay.kernel, flat.shape[0]
    for i in range(kh):
        for j in range(kw):
            grid = tap(flat, lay, i, j)
            block = i * kw + j
            grid += cols[block * channels:(block + 1) * channels].reshape(grid.shape)


def to_grid(y, lay: TapLayout):
    """``y`` of shape ``(N, C, h, w)`` (``h, w <= grid``) as ``(C, N*grid)``, zeros elsewhere."""
    xp = array_module(y)
    n, c, h, w = y.shape
    grid = xp.zeros((c, n, *lay.grid), dtype=y.dtype)
    grid[:, :, :h, :w] = y.transpose(1, 0, 2, 3)
    return grid.reshape(c, -1)


def from_grid(grid, lay: TapLayout):
    """Inverse of :func:`to_grid` for a ``(C, N*grid)`` result: a ``(N, C, H_out, W_out)``
    view, cropped."""
    (ho, wo) = lay.out_size
    full = grid.reshape(grid.shape[0], lay.batch, *lay.grid)[:, :, :ho, :wo]
    return full.transpose(1, 0, 2, 3)
