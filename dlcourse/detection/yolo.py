"""YOLO's output grid: how big it is, how targets are written into it, how it is read out.

The image is divided into an ``S x S`` grid.  The cell that contains a box's centre is
*responsible* for the box and predicts it as ``(x, y, w, h, p)``: ``x, y`` the centre's
offset inside the cell (in cell units, ``[0, 1)``), ``w, h`` the size relative to the
whole image, ``p`` the confidence that an object is there.  Two layouts exist:

* ``"v1"`` (YOLOv1, Redmon et al. 2016): each cell predicts ``B`` boxes but only *one*
  class vector: ``B * 5 + C`` numbers per cell, stored as an array ``(S, S, B * 5 + C)``
  with the boxes first, ``[x, y, w, h, p] * B``, then the ``C`` class probabilities.
* ``"anchors"`` (YOLOv2 and later): every box slot (anchor) has its own class vector:
  ``B * (5 + C)`` numbers per cell, stored as ``(S, S, B, 5 + C)``.  (Real anchor-based
  YOLOs predict ``w, h`` relative to the anchor's shape; we keep ``w, h`` relative to the
  image in both layouts, so the two differ only in where the classes live.)

Boxes given to or returned from this module are xyxy in pixels: ``(x1, y1, x2, y2)``,
``x`` along the width.  ``image_size`` is ``(height, width)`` or one int for a square.
"""

from __future__ import annotations

import numpy as np

from dlcourse._validate import check_array, check_positive, pair
from dlcourse.backend import array_module, to_numpy
from dlcourse.detection.boxes import _check_boxes, box_convert

__all__ = ["decode_yolo", "encode_yolo_targets", "responsible_cell", "yolo_output_size"]

LAYOUTS = ("v1", "anchors")


def _check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be 'v1' or 'anchors', got {layout!r}")
    return layout


def _check_grid(S: int, B: int, C: int) -> None:
    for value, name in ((S, "S"), (B, "B"), (C, "C")):
        if not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an int, got {value!r}")
    check_positive(S, "S")
    check_positive(B, "B")
    check_positive(C, "C")


def _cell_shape(B: int, C: int, layout: str) -> tuple[int, ...]:
    return (B * 5 + C,) if layout == "v1" else (B, 5 + C)


def yolo_output_size(S: int, B: int, C: int, layout: str = "v1") -> int:
    """How many numbers YOLO predicts: ``S S (B 5 + C)`` for v1, ``S S B (5 + C)`` with anchors.

    Parameters
    ----------
    S : int
        Grid size (``S x S`` cells).
    B : int
        Boxes (anchors) per cell.
    C : int
        Number of classes.
    layout : {"v1", "anchors"}
        One class vector per cell (YOLOv1) or one per box (anchor-based YOLO).

    Examples
    --------
    >>> yolo_output_size(7, 2, 20)  # the YOLOv1 paper: a 7 x 7 x 30 tensor
    1470
    >>> yolo_output_size(1, 2, 5), yolo_output_size(1, 2, 5, layout="anchors")  # per cell
    (15, 20)
    """
    _check_grid(S, B, C)
    _check_layout(layout)
    return S * S * int(np.prod(_cell_shape(B, C, layout)))


def _cell_sizes(S: int, image_size) -> tuple[float, float]:
    height, width = pair(image_size, "image_size")
    check_positive((height, width), "image_size")
    return height / S, width / S


def responsible_cell(box, S: int, image_size) -> tuple[int, int]:
    """``(row, column)`` of the grid cell that contains the centre of an xyxy box.

    A centre exactly on the bottom or right border of the image belongs to the last cell.

    Parameters
    ----------
    box : sequence of 4 floats
        ``(x1, y1, x2, y2)`` in pixels.
    S : int
        Grid size.
    image_size : int or (int, int)
        ``(height, width)`` in pixels.

    Examples
    --------
    >>> responsible_cell((100, 40, 160, 120), S=7, image_size=448)  # centre (130, 80)
    (1, 2)
    """
    x1, y1, x2, y2 = (float(v) for v in to_numpy(box).reshape(-1))
    cell_h, cell_w = _cell_sizes(S, image_size)
    row = min(int((y1 + y2) / 2 // cell_h), S - 1)
    col = min(int((x1 + x2) / 2 // cell_w), S - 1)
    return row, col


def encode_yolo_targets(boxes, labels, S: int, B: int, C: int, image_size,
                        layout: str = "v1"):
    """Write ground-truth boxes into a YOLO target array.

    Each box goes to its responsible cell (see :func:`responsible_cell`), into the first
    free box slot there: ``x, y`` = centre offset within the cell in ``[0, 1)``, ``w, h`` =
    size relative to the image, confidence 1, and a one-hot class vector (per cell for
    ``"v1"``, per slot for ``"anchors"``).  Everything else is 0.  (Which of the ``B``
    predictors learns the box is decided by the loss during training -- YOLOv1 picks the
    one with the highest IoU -- so the slot order here carries no meaning.)

    Parameters
    ----------
    boxes : ndarray, shape (N, 4)
        xyxy boxes in pixels.
    labels : ndarray of int, shape (N,)
        Classes in ``[0, C)``.
    S, B, C : int
        Grid size, boxes per cell, classes.
    image_size : int or (int, int)
        ``(height, width)`` in pixels.
    layout : {"v1", "anchors"}

    Returns
    -------
    ndarray, shape (S, S, B * 5 + C) for "v1" or (S, S, B, 5 + C) for "anchors"
        Float dtype of ``boxes`` (float64 for integer boxes), on the device of ``boxes``.

    Raises
    ------
    ValueError
        If more than ``B`` boxes fall in one cell, or, for "v1", two boxes of different
        classes do (one class vector per cell cannot hold both).

    Examples
    --------
    >>> import numpy as np
    >>> t = encode_yolo_targets(np.array([[0.0, 0.0, 20.0, 10.0]]), np.array([1]),
    ...                         S=2, B=1, C=2, image_size=40)
    >>> t[0, 0].tolist()  # centre (10, 5) in cell (0, 0) of size 20 x 20
    [0.5, 0.25, 0.5, 0.25, 1.0, 0.0, 1.0]
    """
    _check_grid(S, B, C)
    _check_layout(layout)
    _check_boxes(boxes)
    check_array(labels, "labels", ndim=1)
    if labels.shape[0] != boxes.shape[0]:
        raise ValueError(f"{boxes.shape[0]} boxes but {labels.shape[0]} labels")
    xp = array_module(boxes)
    dtype = boxes.dtype if boxes.dtype.kind == "f" else np.float64
    host_boxes, host_labels = to_numpy(boxes).astype(np.float64), to_numpy(labels)
    if host_labels.size and (host_labels.min() < 0 or host_labels.max() >= C):
        raise ValueError(f"labels must lie in [0, {C}), got {host_labels.tolist()}")
    height, width = pair(image_size, "image_size")
    cell_h, cell_w = _cell_sizes(S, image_size)

    # Fill on the host: a short loop over the objects of one image.
    target = np.zeros((S, S, B, 5 + C) if layout == "anchors" else (S, S, B * 5 + C))
    used = np.zeros((S, S), dtype=int)  # box slots taken in each cell
    cell_class = {}
    for box, label in zip(host_boxes, host_labels, strict=True):
        row, col = responsible_cell(box, S, image_size)
        slot = used[row, col]
        if slot == B:
            raise ValueError(f"more than B={B} boxes have their centre in cell ({row}, {col})")
        if layout == "v1" and cell_class.setdefault((row, col), label) != label:
            raise ValueError(
                f"cell ({row}, {col}) holds boxes of classes {cell_class[row, col]} and "
                f"{label}, but YOLOv1 predicts one class per cell; use layout='anchors'"
            )
        cx, cy, w, h = box_convert(box[None], "xyxy", "cxcywh")[0]
        values = [cx / cell_w - col, cy / cell_h - row, w / width, h / height, 1.0]
        if layout == "v1":
            target[row, col, 5 * slot:5 * slot + 5] = values
            target[row, col, 5 * B + label] = 1.0
        else:
            target[row, col, slot, :5] = values
            target[row, col, slot, 5 + label] = 1.0
        used[row, col] += 1
    return xp.asarray(target, dtype=dtype)


def decode_yolo(output, S: int, B: int, C: int, image_size, layout: str = "v1",
                conf_threshold: float = 0.5):
    """Read boxes out of a YOLO output (or target) array: the inverse of the encoding.

    For every cell and box slot: centre = (cell index + offset) x cell size, size = ``w, h``
    times the image size; score = confidence x the largest class probability (YOLOv1's
    class-specific confidence), label = that class.  Boxes scoring above ``conf_threshold``
    are returned; follow with :func:`~dlcourse.detection.nms` or ``batched_nms``.

    Parameters
    ----------
    output : ndarray, shape (S, S, B * 5 + C) for "v1", (S, S, B, 5 + C) for "anchors"
        Or flat, of size :func:`yolo_output_size`.  Probabilities, not logits.
    S, B, C : int
    image_size : int or (int, int)
        ``(height, width)`` in pixels.
    layout : {"v1", "anchors"}
    conf_threshold : float

    Returns
    -------
    boxes : ndarray, shape (K, 4)
        xyxy in pixels, in grid order (row, column, slot).
    scores : ndarray, shape (K,)
    labels : ndarray of int64, shape (K,)

    Examples
    --------
    >>> import numpy as np
    >>> t = encode_yolo_targets(np.array([[4.0, 6.0, 20.0, 10.0]]), np.array([1]),
    ...                         S=2, B=1, C=2, image_size=40)
    >>> boxes, scores, labels = decode_yolo(t, S=2, B=1, C=2, image_size=40)
    >>> boxes.tolist(), scores.tolist(), labels.tolist()
    ([[4.0, 6.0, 20.0, 10.0]], [1.0], [1])
    """
    _check_grid(S, B, C)
    _check_layout(layout)
    check_array(output, "output")
    expected = (S, S, *_cell_shape(B, C, layout))
    if output.size != int(np.prod(expected)):
        raise ValueError(
            f"output has shape {tuple(output.shape)} but layout {layout!r} with S={S}, "
            f"B={B}, C={C} needs {expected} ({yolo_output_size(S, B, C, layout)} numbers)"
        )
    xp = array_module(output)
    output = output.reshape(expected)
    if layout == "v1":
        predictions = output[..., :5 * B].reshape(S, S, B, 5)
        classes = xp.broadcast_to(output[:, :, None, 5 * B:], (S, S, B, C))
    else:
        predictions, classes = output[..., :5], output[..., 5:]
    height, width = pair(image_size, "image_size")
    cell_h, cell_w = _cell_sizes(S, image_size)
    rows = xp.arange(S, dtype=output.dtype)[:, None, None]  # broadcast to (S, S, B)
    cols = xp.arange(S, dtype=output.dtype)[None, :, None]
    cx = (cols + predictions[..., 0]) * cell_w
    cy = (rows + predictions[..., 1]) * cell_h
    w, h = predictions[..., 2] * width, predictions[..., 3] * height
    scores = predictions[..., 4] * classes.max(axis=-1)
    keep = scores > conf_threshold
    boxes = box_convert(xp.stack([cx[keep], cy[keep], w[keep], h[keep]], axis=1),
                        "cxcywh", "xyxy")
    return boxes, scores[keep], classes.argmax(axis=-1)[keep].astype(xp.int64)
