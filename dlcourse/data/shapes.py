"""Synthetic scenes of circles, squares and triangles for segmentation and detection.

Shapes are drawn with NumPy alone: a pixel (centre ``(col + 0.5, row + 0.5)``) belongs to a
shape when it satisfies the shape's inequality.  Each shape has a random size, position
(always fully inside the image) and grey level in [0.5, 1]; the background is exactly 0.
Later shapes are painted over earlier ones, but a placement that would hide more than half
of an earlier shape is rejected, so every listed object is clearly visible.
"""

from __future__ import annotations

import numpy as np

from dlcourse._validate import check_positive
from dlcourse.data._rng import rng_from

__all__ = ["SEGMENTATION_CLASSES", "SHAPE_NAMES", "shape_mask", "shapes_detection",
           "shapes_segmentation"]

SHAPE_NAMES = ("circle", "square", "triangle")          # detection labels 0, 1, 2
SEGMENTATION_CLASSES = ("background",) + SHAPE_NAMES    # mask values 0, 1, 2, 3

_ATTEMPTS = 50   # placements tried per shape before giving up on it


def shape_mask(kind: str, cx: float, cy: float, r: float, size: int) -> np.ndarray:
    """Boolean ``(size, size)`` mask of one shape centred at ``(cx, cy)`` (x = column).

    A circle of radius ``r``, an axis-aligned square of side ``2 r``, or an upright
    isosceles triangle with apex ``(cx, cy - r)`` and base from ``cx - r`` to ``cx + r``
    at height ``cy + r``.

    >>> shape_mask("square", 2, 2, 1, 4).astype(int).tolist()
    [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    """
    y, x = np.mgrid[0:size, 0:size] + 0.5               # pixel centres
    if kind == "circle":
        return (x - cx) ** 2 + (y - cy) ** 2 <= r**2
    if kind == "square":
        return (np.abs(x - cx) <= r) & (np.abs(y - cy) <= r)
    if kind == "triangle":                               # half-width grows from 0 to r
        return (y <= cy + r) & (np.abs(x - cx) <= (y - (cy - r)) / 2)
    raise ValueError(f"kind must be one of {SHAPE_NAMES}, got {kind!r}")


def _scene(rng: np.random.Generator, size: int, max_shapes: int, overlap: bool):
    """One image ``(size, size)``, its class map, and ``(k, 4)`` boxes and ``(k,)`` labels."""
    image = np.zeros((size, size))
    owner = np.full((size, size), -1)                    # index of the shape on top, -1 = none
    masks, labels = [], []
    for _ in range(rng.integers(1, max_shapes + 1)):
        for _ in range(_ATTEMPTS):
            r = rng.uniform(size / 10, size / 5)
            cx, cy = rng.uniform(r, size - r, 2)         # fully inside the image
            label = int(rng.integers(len(SHAPE_NAMES)))
            mask = shape_mask(SHAPE_NAMES[label], cx, cy, r, size)
            if _acceptable(mask, masks, owner, overlap):
                break
        else:
            continue                                     # no room for this shape
        owner[mask] = len(masks)
        image[mask] = rng.uniform(0.5, 1.0)
        masks.append(mask)
        labels.append(label)
    classes = np.zeros((size, size), dtype=np.int64)     # 0 = background
    for i, label in enumerate(labels):
        classes[owner == i] = label + 1
    boxes = np.array([_box(m) for m in masks], dtype=np.float32).reshape(-1, 4)
    return image, classes, boxes, np.array(labels, dtype=np.int64)


def _acceptable(mask, masks, owner, overlap: bool) -> bool:
    """Whether a new shape may be painted: no box overlap if ``overlap`` is false, and
    each earlier shape keeps at least half of its pixels visible."""
    for i, earlier in enumerate(masks):
        if not overlap and _boxes_intersect(_box(mask), _box(earlier)):
            return False
        still_visible = (owner == i) & ~mask
        if still_visible.sum() < earlier.sum() / 2:
            return False
    return True


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Tight ``(x1, y1, x2, y2)`` box of a mask in pixel-edge coordinates (x2, y2 exclusive)."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return cols[0], rows[0], cols[-1] + 1, rows[-1] + 1


def _boxes_intersect(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def shapes_segmentation(n: int = 200, *, size: int = 32, max_shapes: int = 3,
                        seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Scenes with 1..``max_shapes`` shapes and their per-pixel class masks.

    Returns images ``(n, 1, size, size)`` float32 in [0, 1] and masks ``(n, size, size)``
    int64 with 0 background, 1 circle, 2 square, 3 triangle (``SEGMENTATION_CLASSES``).
    A pixel is non-zero in the image exactly where its mask is non-zero.

    >>> images, masks = shapes_segmentation(4, size=32)
    >>> images.shape, masks.shape, bool(((images[:, 0] > 0) == (masks > 0)).all())
    ((4, 1, 32, 32), (4, 32, 32), True)
    """
    check_positive(n, "n")
    check_positive(max_shapes, "max_shapes")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    rng = rng_from(seed)
    scenes = [_scene(rng, size, max_shapes, overlap=True) for _ in range(n)]
    images = np.stack([s[0] for s in scenes])[:, None].astype(np.float32)
    masks = np.stack([s[1] for s in scenes]).astype(np.int64)
    return images, masks


def shapes_detection(n: int = 200, *, size: int = 64, max_objects: int = 3, overlap: bool = True,
                     seed=0) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Scenes with 1..``max_objects`` shapes, their boxes and class labels.

    Returns images ``(n, 1, size, size)`` float32 in [0, 1]; ``boxes``, a list of ``n``
    float32 arrays ``(k_i, 4)`` in ``(x1, y1, x2, y2)`` pixel coordinates with
    ``0 <= x1 < x2 <= size`` (the tight box of the whole shape, ``x2`` one past the last
    column); ``labels``, a list of ``n`` int64 arrays ``(k_i,)`` with 0 circle, 1 square,
    2 triangle (``SHAPE_NAMES``).  With ``overlap=False`` no two boxes of an image intersect.

    >>> images, boxes, labels = shapes_detection(2, size=64)
    >>> images.shape, boxes[0].shape[1], len(boxes[0]) == len(labels[0])
    ((2, 1, 64, 64), 4, True)
    """
    check_positive(n, "n")
    check_positive(max_objects, "max_objects")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    rng = rng_from(seed)
    scenes = [_scene(rng, size, max_objects, overlap) for _ in range(n)]
    images = np.stack([s[0] for s in scenes])[:, None].astype(np.float32)
    return images, [s[2] for s in scenes], [s[3] for s in scenes]
