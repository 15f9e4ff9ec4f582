"""RoI max pooling: a fixed-size feature grid from any box on a feature map (Fast R-CNN).

Fast R-CNN (Girshick, 2015) runs the backbone once per image, then cuts each region
proposal out of the feature map and max-pools it into a fixed ``out_h x out_w`` grid, so
that one small head can classify proposals of every size.  The rounding follows
``torchvision.ops.roi_pool`` (the original Caffe layer), so the two agree number for number.
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse._validate import check_array, pair
from dlcourse.backend import array_module, to_numpy

__all__ = ["roi_pool"]


def _round(value: float) -> int:
    """Round half away from zero, as C's ``round`` (NumPy rounds half to even)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def _bin_edges(start: int, length: int, bins: int, limit: int):
    """Start and end (exclusive) of each of ``bins`` bins over ``length`` cells from ``start``.

    Bin ``b`` covers ``floor(b * length / bins)`` to ``ceil((b + 1) * length / bins)``
    (neighbouring bins may share a cell), shifted by ``start`` and clipped to ``[0, limit]``.
    """
    size = length / bins
    lo = [min(max(math.floor(b * size) + start, 0), limit) for b in range(bins)]
    hi = [min(max(math.ceil((b + 1) * size) + start, 0), limit) for b in range(bins)]
    return lo, hi


def roi_pool(features, rois, output_size, spatial_scale: float = 1.0):
    """Max-pool every region of interest into an ``output_size`` grid.

    Each RoI's corners are scaled by ``spatial_scale`` (feature cells per image pixel,
    ``1 / stride``) and rounded to cells; as in Caffe and torchvision, the end corner counts
    as the last cell *inside* the region, so the region spans
    ``round(x2 * scale) - round(x1 * scale) + 1`` columns (at least 1).  That span is split
    into ``out_w`` bins of (fractional) width ``span / out_w``; bin ``b`` takes the maximum
    over the cells from ``floor(b * width)`` to ``ceil((b + 1) * width)``.  Cells outside
    the feature map are left out; a bin with no cell left gives 0.

    Parameters
    ----------
    features : ndarray, shape (N, C, H, W)
        Feature maps of ``N`` images.
    rois : ndarray, shape (K, 5)
        ``(batch_index, x1, y1, x2, y2)`` per region, in image pixels.
    output_size : int or (int, int)
        ``(out_h, out_w)``.
    spatial_scale : float
        Multiplies the box coordinates to get feature-map cells.

    Returns
    -------
    ndarray, shape (K, C, out_h, out_w)

    Examples
    --------
    >>> import numpy as np
    >>> fmap = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> roi_pool(fmap, np.array([[0, 0, 0, 3, 3]], dtype=float), 2)[0, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    check_array(features, "features", ndim=4)
    check_array(rois, "rois", ndim=2)
    if rois.shape[1] != 5:
        raise ValueError(f"rois must have shape (K, 5): (batch_index, x1, y1, x2, y2), got "
                         f"{tuple(rois.shape)}")
    out_h, out_w = pair(output_size, "output_size")
    if out_h < 1 or out_w < 1:
        raise ValueError(f"output_size must be positive, got {output_size!r}")
    if not spatial_scale > 0:
        raise ValueError(f"spatial_scale must be positive, got {spatial_scale!r}")
    host_rois = to_numpy(rois).astype(np.float64)
    batch = host_rois[:, 0]
    if np.any(batch != np.round(batch)) or np.any(batch < 0) or np.any(batch >= len(features)):
        raise ValueError(f"the batch indices in rois[:, 0] must be integers in "
                         f"[0, {len(features)}), got {np.unique(batch).tolist()}")
    xp = array_module(features)
    _, channels, height, width = features.shape
    out = xp.zeros((len(host_rois), channels, out_h, out_w), dtype=features.dtype)
    for k, (n, x1, y1, x2, y2) in enumerate(host_rois):
        col, row = _round(x1 * spatial_scale), _round(y1 * spatial_scale)
        span_w = max(_round(x2 * spatial_scale) - col + 1, 1)
        span_h = max(_round(y2 * spatial_scale) - row + 1, 1)
        h_lo, h_hi = _bin_edges(row, span_h, out_h, height)
        w_lo, w_hi = _bin_edges(col, span_w, out_w, width)
        fmap = features[int(n)]                                      # (C, H, W)
        for i in range(out_h):
            for j in range(out_w):
                if h_hi[i] > h_lo[i] and w_hi[j] > w_lo[j]:          # empty bins stay 0
                    out[k, :, i, j] = fmap[:, h_lo[i]:h_hi[i], w_lo[j]:w_hi[j]].max(axis=(1, 2))
    return out
