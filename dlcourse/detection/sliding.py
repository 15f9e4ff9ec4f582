"""The sliding-window detector's cost: how many windows a classifier has to look at.

Before YOLO, a detector slid a window over the image and ran a (C + 1)-class classifier
(C objects or background) on every crop -- at every position, and again for every window
size and aspect ratio.  :func:`sliding_windows` lists the crops of one window size.
"""

from __future__ import annotations

import numpy as np

from dlcourse._validate import check_positive, pair
from dlcourse.backend import xp

__all__ = ["sliding_windows"]


def sliding_windows(image_size, window, stride):
    """All positions of a ``window`` slid over an image with ``stride``, as xyxy boxes.

    Windows start at the top-left corner and stay inside the image, so along each axis
    there are ``(N - F) // S + 1`` of them -- the convolution output-size formula.

    Parameters
    ----------
    image_size : int or (int, int)
        ``(height, width)`` in pixels.
    window : int or (int, int)
        ``(height, width)`` of the window.
    stride : int or (int, int)
        Step between neighbouring windows, vertically and horizontally.

    Returns
    -------
    boxes : ndarray of int64, shape (K, 4)
        ``(x1, y1, x2, y2)`` in pixels, row by row from the top-left.
    count : int
        ``K``, the number of classifier evaluations for this window size.

    Examples
    --------
    >>> boxes, count = sliding_windows(4, window=2, stride=2)
    >>> count, boxes[:2].tolist()
    (4, [[0, 0, 2, 2], [2, 0, 4, 2]])
    """
    height, width = pair(image_size, "image_size")
    win_h, win_w = pair(window, "window")
    stride_h, stride_w = pair(stride, "stride")
    check_positive((height, width), "image_size")
    check_positive((win_h, win_w), "window")
    check_positive((stride_h, stride_w), "stride")
    if win_h > height or win_w > width:
        raise ValueError(f"window {(win_h, win_w)} does not fit in image {(height, width)}")
    module = xp()
    ys = module.arange(0, height - win_h + 1, stride_h, dtype=np.int64)
    xs = module.arange(0, width - win_w + 1, stride_w, dtype=np.int64)
    y1, x1 = (a.reshape(-1) for a in module.meshgrid(ys, xs, indexing="ij"))
    boxes = module.stack([x1, y1, x1 + win_w, y1 + win_h], axis=1)
    return boxes, int(boxes.shape[0])
