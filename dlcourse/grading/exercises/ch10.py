"""Chapter 10 exercises: intersection over union, non-maximum suppression and reading boxes
out of a YOLO grid.

Boxes are ``(x1, y1, x2, y2)`` with ``x1 <= x2`` and ``y1 <= y2``, continuous coordinates
(width ``x2 - x1``, no "+1"), as in ``torchvision.ops``.  References are plain NumPy;
``tests/grading`` checks them against brute force (counting unit squares, a second greedy
suppression) and against :mod:`dlcourse.detection`, which the exercises refuse.
"""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT, NUMPY_ONLY
from dlcourse.grading.spec import Case, Exercise

A = np.array
FORBIDDEN = (*NUMPY_ONLY, "torchvision", "dlcourse.detection", "dlcourse.autograd")


# --- references ----------------------------------------------------------------------------

def box_iou(boxes1, boxes2):
    """IoU of every pair: boxes1 (N, 4), boxes2 (M, 4) -> (N, M); two empty boxes give 0."""
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    top_left = np.maximum(boxes1[:, None, :2], boxes2[None, :, :2])  # (N, M, 2)
    bottom_right = np.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    sides = np.clip(bottom_right - top_left, 0, None)  # no overlap -> side 0
    inter = sides[..., 0] * sides[..., 1]
    union = area1[:, None] + area2[None, :] - inter
    return inter / np.where(union > 0, union, 1)


def nms(boxes, scores, iou_threshold):
    """Greedy non-maximum suppression: indices of the kept boxes (int64), best score first.
    A box is dropped when its IoU with an already kept box is greater than the threshold."""
    iou = box_iou(boxes, boxes)
    keep = []
    for i in np.argsort(-scores, kind="stable"):
        if all(iou[i, k] <= iou_threshold for k in keep):
            keep.append(int(i))
    return np.array(keep, dtype=np.int64)


def yolo_decode(output, B, image_size):
    """Every box of a YOLOv1 output grid, in pixels.

    ``output`` (S, S, B*5 + C) holds per cell ``[x, y, w, h, p] * B`` then C class
    probabilities: x, y the centre's offset inside the cell (cell units), w, h relative to
    the image, p the confidence.  ``image_size`` is (height, width).  Returns ``boxes``
    (S*S*B, 4) xyxy, ``scores`` (S*S*B,) = p * the largest class probability and ``labels``
    (S*S*B,) int64, in the order row, column, slot."""
    s = output.shape[0]
    height, width = image_size
    cell_h, cell_w = height / s, width / s
    slots = output[..., :5 * B].reshape(s, s, B, 5)
    classes = output[..., 5 * B:]  # (S, S, C)
    rows = np.arange(s).reshape(s, 1, 1)
    cols = np.arange(s).reshape(1, s, 1)
    cx = (cols + slots[..., 0]) * cell_w
    cy = (rows + slots[..., 1]) * cell_h
    w, h = slots[..., 2] * width, slots[..., 3] * height
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)
    scores = slots[..., 4] * classes.max(axis=-1)[:, :, None]
    labels = np.broadcast_to(classes.argmax(axis=-1)[:, :, None], (s, s, B))
    return (boxes.reshape(-1, 4).astype(output.dtype), scores.reshape(-1).astype(output.dtype),
            labels.reshape(-1).astype(np.int64))


# --- cases: IoU ----------------------------------------------------------------------------

PLUS_ONE_HINT = ("coordinates are continuous: a box's width is x2 - x1 and its height "
                 "y2 - y1, with no '+ 1' (that is the old pixel-index convention)")
DISJOINT_HINT = ("when two boxes do not overlap, the intersection's width or height comes "
                 "out negative: clip each side at 0 separately before multiplying")


def _random_boxes(rng, n, size=20.0):
    corners = rng.uniform(0, size, size=(n, 2))
    sides = rng.uniform(0.5, size / 2, size=(n, 2))
    return np.concatenate([corners, corners + sides], axis=1)


def _iou_public():
    a = A([[0.0, 0.0, 2.0, 2.0]])
    return [
        Case((a, A([[1.0, 0.0, 3.0, 2.0]])),
             label="two 2x2 boxes overlapping by half: 2 / (4 + 4 - 2) = 1/3",
             hint=PLUS_ONE_HINT),
        Case((a, A([[0.0, 0.0, 2.0, 2.0], [0.5, 0.5, 1.5, 1.5]])),
             label="the same box (1) and a box inside it (1/4)",
             hint="union = area1 + area2 - intersection"),
        Case((A([[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 3.0, 1.0]]), A([[0.0, 2.0, 1.0, 3.0]])),
             label="boxes that do not overlap: 0", hint=DISJOINT_HINT),
        Case((A([[0.0, 0.0, 4.0, 2.0], [1.0, 1.0, 5.0, 4.0], [3.0, 0.0, 6.0, 6.0]]),
              A([[2.0, 1.0, 4.0, 5.0], [0.0, 0.0, 6.0, 6.0]])),
             label="three boxes against two: a 3x2 matrix",
             hint="broadcast: boxes1[:, None, :] against boxes2[None, :, :] gives (N, M, 4)"),
        Case((A([[0.0, 0.0, 2.0, 2.0]], dtype=np.float32),
              A([[1.0, 1.0, 3.0, 3.0]], dtype=np.float32)), label="float32 boxes",
             hint=DTYPE_HINT),
    ]


def _iou_edge():
    return [Case((A([[1.0, 1.0, 1.0, 1.0]]), A([[1.0, 1.0, 1.0, 1.0]])),
                 label="two empty boxes: IoU 0, not a division by zero"),
            Case((A([[0.0, 0.0, 1.0, 1.0]]), A([[1.0, 0.0, 2.0, 1.0]])),
                 label="boxes that only touch along an edge: 0"),
            Case((np.zeros((0, 4)), A([[0.0, 0.0, 1.0, 1.0]])), label="no boxes at all")]


def _iou_hidden(rng, student):
    return [Case((_random_boxes(rng, n), _random_boxes(rng, m)), label=f"random {n} x {m} boxes")
            for n, m in rng.integers(1, 8, size=(5, 2))]


# --- cases: NMS ----------------------------------------------------------------------------

SORT_HINT = ("start from the box with the highest score, not the first box: visit the boxes "
             "in the order np.argsort(-scores)")


def _crowd(seed, n=12):
    rng = np.random.default_rng(seed)
    centres = np.repeat(rng.uniform(5, 25, size=(3, 2)), n // 3, axis=0)
    centres += rng.normal(0, 1.5, size=centres.shape)
    half = rng.uniform(2, 5, size=(n, 2))
    return np.concatenate([centres - half, centres + half], axis=1).round(2), \
        rng.permutation(n) / n + 0.05


def _nms_public():
    three = A([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [20.0, 20.0, 30.0, 30.0]])
    boxes, scores = _crowd(0)
    return [
        Case((three, A([0.9, 0.8, 0.7]), 0.5),
             label="two overlapping boxes and a lone one: keep 0 and 2",
             hint="return the indices of the kept boxes as an int array, best score first"),
        Case((three, A([0.6, 0.8, 0.7]), 0.5),
             label="the second box has the best score: it suppresses the first", hint=SORT_HINT),
        Case((three, A([0.9, 0.8, 0.7]), 0.7),
             label="IoU 0.68 is below the threshold 0.7: nothing is suppressed",
             hint="drop a box only when its IoU with a kept box is GREATER than the threshold"),
        Case((boxes, scores, 0.4), label="a crowded scene: 12 boxes around three objects",
             hint="compare each candidate with the boxes KEPT so far only, not with boxes "
                  "that were themselves suppressed"),
    ]


def _nms_edge():
    return [Case((np.zeros((0, 4)), np.zeros(0), 0.5), label="no boxes: an empty int array"),
            Case((A([[0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]]), A([0.5, 0.9]), 1 / 3),
                 label="IoU equal to the threshold: both kept"),
            Case((A([[0.0, 0.0, 4.0, 4.0]] * 3), A([0.1, 0.3, 0.2]), 0.9),
                 label="three identical boxes: the best survives")]


def _nms_hidden(rng, student):
    cases = []
    for _ in range(5):
        n = int(rng.integers(1, 25))
        threshold = float(rng.uniform(0.2, 0.8))
        cases.append(Case((_random_boxes(rng, n, size=30.0), rng.permutation(n) / n + 0.01,
                           threshold), label=f"random {n} boxes, threshold {threshold:.2f}"))
    return cases


# --- cases: YOLO decoding ------------------------------------------------------------------

OFFSET_HINT = ("x and y are offsets inside the responsible cell: the centre is "
               "(column + x) * cell width and (row + y) * cell height -- add the cell's "
               "index before scaling")
AXES_HINT = ("output[row, column]: the row goes with y (the height), the column with x "
             "(the width)")


def _one_box(s, b, c, row, col, values, label_index, slot=0):
    out = np.zeros((s, s, b * 5 + c))
    out[row, col, 5 * slot:5 * slot + 5] = values
    out[row, col, 5 * b + label_index] = 1.0
    return out


def _grid(rng, s, b, c):
    out = rng.uniform(0, 1, size=(s, s, b * 5 + c))
    out[..., 5 * b:] /= out[..., 5 * b:].sum(axis=-1, keepdims=True)
    return out.round(3)


def _yolo_public():
    return [
        Case((_one_box(3, 1, 2, 1, 2, [0.5, 0.25, 0.2, 0.4, 0.8], 0), 1, (60, 90)),
             label="a box in row 1, column 2 of a 3x3 grid on a 60x90 (height x width) image",
             hint=OFFSET_HINT),
        Case((_one_box(2, 1, 2, 0, 0, [0.5, 0.5, 0.25, 0.25, 1.0], 1), 1, (40, 40)),
             label="one box at the centre of cell (0, 0), S = 2, a 40x40 image",
             hint="centre (10, 10), size 10x10, so xyxy = (5, 5, 15, 15); score p * max class; "
                  "the empty cells decode too, to boxes of size 0 at their own cell's corner"),
        Case((_one_box(2, 1, 1, 1, 0, [0.5, 0.5, 0.5, 0.5, 1.0], 0), 1, (40, 40)),
             label="a box in row 1, column 0", hint=AXES_HINT),
        Case((_one_box(2, 2, 3, 0, 1, [0.2, 0.6, 0.3, 0.1, 0.9], 2, slot=1), 2, (32, 32)),
             label="B = 2: the box is in the second slot of cell (0, 1)",
             hint="slot k of a cell is output[..., 5k:5k + 5]; the C class probabilities "
                  "come after all B slots and are shared by them"),
        Case((_grid(np.random.default_rng(0), 3, 2, 4), 2, (48, 48)),
             label="a full 3x3 grid, B = 2, C = 4",
             hint="return every slot, ordered by row, then column, then slot: reshape "
                  "(S, S, B, ...) to (S*S*B, ...)"),
        Case((_grid(np.random.default_rng(1), 2, 1, 2).astype(np.float32), 1, (20, 20)),
             label="float32 output", hint=DTYPE_HINT),
    ]


def _yolo_hidden(rng, student):
    cases = []
    for _ in range(5):
        s, b, c = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 6))
        size = (int(rng.integers(16, 200)), int(rng.integers(16, 200)))
        cases.append(Case((_grid(rng, s, b, c), b, size),
                          label=f"random S={s}, B={b}, C={c}, image {size}"))
    return cases


EXERCISES = [
    Exercise("ch10.box_iou", "box_iou", 2, box_iou, _iou_public, _iou_hidden, edge=_iou_edge,
             forbidden=FORBIDDEN, hint="IoU = intersection / (area1 + area2 - intersection)"),
    Exercise("ch10.nms", "nms", 3, nms, _nms_public, _nms_hidden, edge=_nms_edge,
             forbidden=FORBIDDEN,
             hint="repeat: keep the best remaining box, drop the others that overlap it by more "
                  "than the threshold"),
    Exercise("ch10.yolo_decode", "yolo_decode", 3, yolo_decode, _yolo_public, _yolo_hidden,
             forbidden=FORBIDDEN, output_names=("boxes", "scores", "labels"), hint=OFFSET_HINT),
]
