"""Bounding boxes: formats, areas, intersection over union, non-maximum suppression.

Modelled on ``torchvision.ops.boxes``.  Unless a function says otherwise, boxes are
``(x1, y1, x2, y2)`` in pixels ("xyxy"), with ``x`` along the width, ``y`` along the height,
and ``x1 <= x2``, ``y1 <= y2``; a set of ``N`` boxes is an array of shape ``(N, 4)``.
"""

from __future__ import annotations

from dlcourse._validate import check_array
from dlcourse.backend import array_module

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "nms"]

FORMATS = ("xyxy", "xywh", "cxcywh")


def _check_boxes(boxes, name: str = "boxes"):
    check_array(boxes, name, ndim=2)
    if boxes.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4), got {tuple(boxes.shape)}")
    return boxes


def box_convert(boxes, in_fmt: str, out_fmt: str):
    """Convert boxes between the formats ``"xyxy"``, ``"xywh"`` and ``"cxcywh"``.

    * ``xyxy``: ``(x1, y1, x2, y2)``, the top-left and bottom-right corners;
    * ``xywh``: ``(x1, y1, w, h)``, the top-left corner, width and height;
    * ``cxcywh``: ``(cx, cy, w, h)``, the centre, width and height (YOLO's format).

    Parameters
    ----------
    boxes : ndarray, shape (N, 4)
    in_fmt, out_fmt : {"xyxy", "xywh", "cxcywh"}

    Returns
    -------
    ndarray, shape (N, 4), in ``out_fmt``

    Examples
    --------
    >>> import numpy as np
    >>> box_convert(np.array([[10.0, 20.0, 30.0, 60.0]]), "xyxy", "cxcywh").tolist()
    [[20.0, 40.0, 20.0, 40.0]]
    """
    _check_boxes(boxes)
    for fmt, name in ((in_fmt, "in_fmt"), (out_fmt, "out_fmt")):
        if fmt not in FORMATS:
            raise ValueError(f"{name} must be one of {', '.join(FORMATS)}, got {fmt!r}")
    xp = array_module(boxes)
    a, b, c, d = (boxes[:, i] for i in range(4))
    if in_fmt == "xywh":  # to xyxy first
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return xp.stack([a, b, c, d], axis=1)


def box_area(boxes):
    """Areas ``(x2 - x1) (y2 - y1)`` of xyxy boxes, shape ``(N, 4)`` -> ``(N,)``.

    Examples
    --------
    >>> import numpy as np
    >>> box_area(np.array([[0, 0, 2, 3], [1, 1, 2, 2]])).tolist()
    [6, 1]
    """
    _check_boxes(boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _inter_union(boxes1, boxes2):
    """Intersection and union areas of every pair: ``(N, 4), (M, 4) -> (N, M), (N, M)``."""
    xp = array_module(boxes1, boxes2)
    top_left = xp.maximum(boxes1[:, None, :2], boxes2[None, :, :2])  # (N, M, 2)
    bottom_right = xp.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    sides = xp.clip(bottom_right - top_left, 0, None)  # no overlap: a side of 0
    inter = sides[..., 0] * sides[..., 1]
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter
    return inter, union


def box_iou(boxes1, boxes2):
    """Intersection over union of every pair of xyxy boxes.

    ``IoU = area(A ∩ B) / area(A ∪ B)``, between 0 (disjoint) and 1 (identical).  Two
    boxes of zero area get an IoU of 0.

    Parameters
    ----------
    boxes1 : ndarray, shape (N, 4)
    boxes2 : ndarray, shape (M, 4)

    Returns
    -------
    ndarray, shape (N, M)
        ``iou[i, j]`` compares ``boxes1[i]`` and ``boxes2[j]``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0.0, 0.0, 2.0, 2.0]])
    >>> b = np.array([[1.0, 0.0, 3.0, 2.0], [5.0, 5.0, 6.0, 6.0]])
    >>> box_iou(a, b).tolist()  # overlap 2, union 4 + 4 - 2 = 6
    [[0.3333333333333333, 0.0]]
    """
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    xp = array_module(boxes1, boxes2)
    inter, union = _inter_union(boxes1, boxes2)
    return inter / xp.where(union > 0, union, 1)


def nms(boxes, scores, iou_threshold: float):
    """Non-maximum suppression: keep the best box, drop the boxes that overlap it, repeat.

    Greedy, as ``torchvision.ops.nms``: take the highest-scoring remaining box, discard
    every remaining box whose IoU with it is *greater* than ``iou_threshold``, and go on.

    Parameters
    ----------
    boxes : ndarray, shape (N, 4)
        xyxy boxes.
    scores : ndarray, shape (N,)
    iou_threshold : float
        Overlap above which a lower-scoring box counts as a duplicate.

    Returns
    -------
    ndarray of int64, shape (K,)
        Indices of the kept boxes, by decreasing score.

    Examples
    --------
    >>> import numpy as np
    >>> boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=float)
    >>> nms(boxes, np.array([0.9, 0.8, 0.7]), iou_threshold=0.5).tolist()
    [0, 2]
    """
    _check_boxes(boxes)
    check_array(scores, "scores", ndim=1)
    if scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"{boxes.shape[0]} boxes but {scores.shape[0]} scores")
    xp = array_module(boxes, scores)
    iou = box_iou(boxes, boxes)
    remaining = xp.argsort(-scores, kind="stable")  # best first
    keep = []
    while remaining.size > 0:
        best, rest = remaining[0], remaining[1:]
        keep.append(int(best))
        remaining = rest[iou[best, rest] <= iou_threshold]
    return xp.asarray(keep, dtype=xp.int64)


def batched_nms(boxes, scores, idxs, iou_threshold: float):
    """NMS within each category: boxes with different ``idxs`` never suppress each other.

    Same trick as torchvision: shift each category's boxes by its own offset so that
    boxes of different categories cannot overlap, then run one :func:`nms`.

    Parameters
    ----------
    boxes : ndarray, shape (N, 4)
        xyxy boxes.
    scores : ndarray, shape (N,)
    idxs : ndarray of int, shape (N,)
        The category (e.g. class label) of each box.
    iou_threshold : float

    Returns
    -------
    ndarray of int64, shape (K,)
        Indices of the kept boxes, by decreasing score.

    Examples
    --------
    >>> import numpy as np
    >>> boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11]], dtype=float)
    >>> batched_nms(boxes, np.array([0.9, 0.8]), np.array([0, 1]), 0.5).tolist()
    [0, 1]
    """
    _check_boxes(boxes)
    check_array(idxs, "idxs", ndim=1)
    if idxs.shape[0] != boxes.shape[0]:
        raise ValueError(f"{boxes.shape[0]} boxes but {idxs.shape[0]} category indices")
    if boxes.shape[0] == 0:
        return nms(boxes, scores, iou_threshold)
    span = boxes.max() - boxes.min() + 1
    shifted = boxes + (idxs * span)[:, None]
    return nms(shifted, scores, iou_threshold)
