"""Anchors for a region proposal network: generate them, encode boxes against them, label them.

Faster R-CNN (Ren et al., 2015) places ``k = len(scales) * len(ratios)`` anchor boxes at every
cell of a backbone's feature map and predicts, per anchor, an objectness score and four box
deltas ``(tx, ty, tw, th)`` that move and stretch the anchor onto an object.  Boxes are
``(x1, y1, x2, y2)`` in image pixels, as everywhere in :mod:`dlcourse.detection`.
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse._validate import check_array, pair
from dlcourse.backend import array_module
from dlcourse.detection.boxes import _check_boxes, box_convert, box_iou

__all__ = ["anchor_shapes", "decode_deltas", "encode_deltas", "generate_anchors",
           "label_anchors"]


def _positive_list(values, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0 or not np.all(values > 0):
        raise ValueError(f"{name} must be a non-empty list of positive numbers, got "
                         f"{values.tolist()}")
    return values


def anchor_shapes(scales, ratios) -> np.ndarray:
    """Widths and heights of the ``len(ratios) * len(scales)`` anchor shapes of one cell.

    A shape of scale ``s`` and aspect ratio ``r = h / w`` has area ``s**2``:
    ``w = s / sqrt(r)``, ``h = s * sqrt(r)``.  Ordered ratio by ratio, each with every scale
    (as ``torchvision``'s ``AnchorGenerator``).

    Parameters
    ----------
    scales : sequence of float
        Square roots of the anchor areas, in pixels (Faster R-CNN: 128, 256, 512).
    ratios : sequence of float
        Height / width (Faster R-CNN: 0.5, 1, 2).

    Returns
    -------
    ndarray, shape (len(ratios) * len(scales), 2)
        ``(w, h)`` per shape.

    Examples
    --------
    >>> anchor_shapes([16], [0.25, 1.0]).tolist()
    [[32.0, 8.0], [16.0, 16.0]]
    """
    scales, ratios = _positive_list(scales, "scales"), _positive_list(ratios, "ratios")
    w = (scales[None, :] / np.sqrt(ratios)[:, None]).reshape(-1)
    h = (scales[None, :] * np.sqrt(ratios)[:, None]).reshape(-1)
    return np.stack([w, h], axis=1)


def generate_anchors(image_size, stride: int, scales, ratios) -> np.ndarray:
    """Every anchor of a feature map with the given stride over an image.

    A backbone with total stride ``stride`` turns an ``H x W`` image into a feature map of
    ``ceil(H / stride) x ceil(W / stride)`` cells (pooling that keeps partial windows, as
    VGG-16 in Caffe).  Cell ``(i, j)`` covers the image pixels around
    ``((j + 0.5) * stride, (i + 0.5) * stride)``; every shape of :func:`anchor_shapes` is
    centred there.  Anchors may stick out of the image.

    Parameters
    ----------
    image_size : int or (int, int)
        ``(H, W)`` of the image in pixels.
    stride : int
        Image pixels per feature-map cell (16 for VGG-16's conv5).
    scales, ratios : sequence of float
        As in :func:`anchor_shapes`.

    Returns
    -------
    ndarray, shape (H' * W' * k, 4)
        xyxy anchors, cell by cell in row-major order, the ``k`` shapes of a cell together.

    Examples
    --------
    >>> anchors = generate_anchors(32, 16, scales=[8], ratios=[1.0])
    >>> anchors.tolist()[:2]   # 2 x 2 cells, one 8 x 8 anchor each
    [[4.0, 4.0, 12.0, 12.0], [20.0, 4.0, 28.0, 12.0]]
    """
    height, width = pair(image_size, "image_size")
    if height <= 0 or width <= 0:
        raise ValueError(f"image_size must be positive, got {image_size!r}")
    if int(stride) != stride or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}")
    shapes = anchor_shapes(scales, ratios)                              # (k, 2)
    rows, cols = math.ceil(height / stride), math.ceil(width / stride)
    cy, cx = np.meshgrid((np.arange(rows) + 0.5) * stride, (np.arange(cols) + 0.5) * stride,
                         indexing="ij")
    centres = np.stack([cx.ravel(), cy.ravel()], axis=1)                # (H' W', 2)
    half = shapes / 2                                                   # (k, 2)
    top_left = centres[:, None, :] - half[None]                         # (H' W', k, 2)
    bottom_right = centres[:, None, :] + half[None]
    return np.concatenate([top_left, bottom_right], axis=2).reshape(-1, 4)


def _check_positive_size(boxes, name: str):
    xp = array_module(boxes)
    if boxes.shape[0] and not bool(xp.all((boxes[:, 2] > boxes[:, 0])
                                          & (boxes[:, 3] > boxes[:, 1]))):
        raise ValueError(f"every box in {name} needs x2 > x1 and y2 > y1 (a positive width "
                         f"and height): the deltas divide by them and take their log")


def encode_deltas(boxes, anchors):
    """Box deltas ``(tx, ty, tw, th)`` that move each anchor onto its box (Ren et al., 2015).

    With centres ``(x, y)`` and sizes ``(w, h)`` of the box and ``(xa, ya)``, ``(wa, ha)``
    of the anchor::

        tx = (x - xa) / wa     ty = (y - ya) / ha     tw = log(w / wa)     th = log(h / ha)

    The shift is measured in anchor sizes and the size change as a log ratio, so a big and a
    small anchor that are off by the same *fraction* get the same targets.

    Parameters
    ----------
    boxes, anchors : ndarray, shape (N, 4)
        xyxy boxes and the anchors they are paired with, row by row; positive sizes.

    Returns
    -------
    ndarray, shape (N, 4)

    Examples
    --------
    >>> import numpy as np
    >>> anchor = np.array([[0.0, 0.0, 10.0, 10.0]])
    >>> encode_deltas(np.array([[5.0, 0.0, 15.0, 20.0]]), anchor).round(4).tolist()
    [[0.5, 0.5, 0.0, 0.6931]]
    """
    _check_boxes(boxes)
    _check_boxes(anchors, "anchors")
    if boxes.shape != anchors.shape:
        raise ValueError(f"boxes {tuple(boxes.shape)} and anchors {tuple(anchors.shape)} must "
                         f"pair up row by row (the same shape)")
    _check_positive_size(boxes, "boxes")
    _check_positive_size(anchors, "anchors")
    xp = array_module(boxes, anchors)
    b, a = box_convert(boxes, "xyxy", "cxcywh"), box_convert(anchors, "xyxy", "cxcywh")
    return xp.stack([(b[:, 0] - a[:, 0]) / a[:, 2], (b[:, 1] - a[:, 1]) / a[:, 3],
                     xp.log(b[:, 2] / a[:, 2]), xp.log(b[:, 3] / a[:, 3])], axis=1)


def decode_deltas(deltas, anchors):
    """Apply deltas ``(tx, ty, tw, th)`` to anchors: the inverse of :func:`encode_deltas`.

    ``x = xa + tx * wa``, ``y = ya + ty * ha``, ``w = wa * exp(tw)``, ``h = ha * exp(th)``.

    Parameters
    ----------
    deltas : ndarray, shape (N, 4)
    anchors : ndarray, shape (N, 4)
        xyxy anchors with positive sizes.

    Returns
    -------
    ndarray, shape (N, 4)
        xyxy boxes.

    Examples
    --------
    >>> import numpy as np
    >>> anchor = np.array([[0.0, 0.0, 10.0, 10.0]])
    >>> decode_deltas(np.array([[0.5, 0.5, 0.0, np.log(2)]]), anchor).tolist()
    [[5.0, 0.0, 15.0, 20.0]]
    """
    check_array(deltas, "deltas", ndim=2)
    _check_boxes(anchors, "anchors")
    if deltas.shape != anchors.shape:
        raise ValueError(f"deltas {tuple(deltas.shape)} and anchors {tuple(anchors.shape)} "
                         f"must pair up row by row (the same shape)")
    _check_positive_size(anchors, "anchors")
    xp = array_module(deltas, anchors)
    a = box_convert(anchors, "xyxy", "cxcywh")
    centre = a[:, :2] + deltas[:, :2] * a[:, 2:]
    size = a[:, 2:] * xp.exp(deltas[:, 2:])
    return box_convert(xp.concatenate([centre, size], axis=1), "cxcywh", "xyxy")


def label_anchors(anchors, gt_boxes, *, pos_iou: float = 0.7, neg_iou: float = 0.3):
    """Training labels of a region proposal network's anchors (Ren et al., 2015, §3.1.2).

    * positive (1): IoU >= ``pos_iou`` with some true box, **or** the anchor (ties included)
      with the highest IoU for some true box -- so every object gets at least one anchor;
    * negative (0): not positive and IoU < ``neg_iou`` with every true box;
    * ignored (-1): the rest; they add nothing to the loss.

    Parameters
    ----------
    anchors : ndarray, shape (A, 4)
    gt_boxes : ndarray, shape (G, 4)
        xyxy true boxes (``G`` may be 0: every anchor is then negative).
    pos_iou, neg_iou : float
        Thresholds with ``0 <= neg_iou <= pos_iou <= 1``.

    Returns
    -------
    labels : ndarray of int64, shape (A,)
        1, 0 or -1.
    matched : ndarray of int64, shape (A,)
        Index of the true box each anchor overlaps most (-1 when ``G == 0``); a positive
        anchor's regression target is ``encode_deltas(gt_boxes[matched], anchors)``.

    Examples
    --------
    >>> import numpy as np
    >>> anchors = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [30, 30, 40, 40]], dtype=float)
    >>> labels, matched = label_anchors(anchors, np.array([[0.0, 0.0, 10.0, 10.0]]))
    >>> labels.tolist()   # IoU 1, 8/12 (between 0.3 and 0.7), 0
    [1, -1, 0]
    """
    _check_boxes(anchors, "anchors")
    _check_boxes(gt_boxes, "gt_boxes")
    if not 0.0 <= neg_iou <= pos_iou <= 1.0:
        raise ValueError(f"need 0 <= neg_iou <= pos_iou <= 1, got neg_iou={neg_iou!r}, "
                         f"pos_iou={pos_iou!r}")
    xp = array_module(anchors, gt_boxes)
    labels = xp.full(anchors.shape[0], -1, dtype=xp.int64)
    if gt_boxes.shape[0] == 0:
        labels[:] = 0
        return labels, xp.full(anchors.shape[0], -1, dtype=xp.int64)
    iou = box_iou(anchors, gt_boxes)                            # (A, G)
    matched = xp.argmax(iou, axis=1)
    best = iou.max(axis=1)
    labels[best < neg_iou] = 0
    labels[best >= pos_iou] = 1
    best_per_gt = iou.max(axis=0)                               # (G,)
    is_best = (iou == best_per_gt[None, :]) & (best_per_gt[None, :] > 0)
    labels[is_best.any(axis=1)] = 1
    return labels, matched.astype(xp.int64)
