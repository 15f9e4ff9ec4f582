"""Chapter 10 exercises: intersection over union, non-maximum suppression, writing boxes into
a YOLO grid and reading them out of it, and the average precision of one class.

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


def yolo_encode(boxes, labels, S, B, C, image_size, layout="v1"):
    """Ground-truth boxes written into a YOLO target grid of a square ``image_size`` image.

    Each box goes to the cell holding its centre (row from y, column from x; a centre on
    the image's far edge belongs to the last cell), into that cell's first free slot:
    ``[x, y, w, h, 1]`` with x, y the centre's offset inside the cell in cell units and
    w, h relative to the image, plus a one-hot class.  ``"v1"``: shape (S, S, B*5 + C), one
    class vector per cell after the B slots; ``"anchors"``: shape (S, S, B, 5 + C), one
    class vector per slot.  Everything else is 0."""
    cell = image_size / S
    shape = (S, S, B, 5 + C) if layout == "anchors" else (S, S, B * 5 + C)
    target = np.zeros(shape)
    used = np.zeros((S, S), dtype=int)
    for (x1, y1, x2, y2), label in zip(boxes, labels, strict=True):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        row, col = min(int(cy // cell), S - 1), min(int(cx // cell), S - 1)
        values = [cx / cell - col, cy / cell - row, (x2 - x1) / image_size,
                  (y2 - y1) / image_size, 1.0]
        slot = used[row, col]
        used[row, col] += 1
        if layout == "anchors":
            target[row, col, slot, :5] = values
            target[row, col, slot, 5 + int(label)] = 1.0
        else:
            target[row, col, 5 * slot:5 * slot + 5] = values
            target[row, col, 5 * B + int(label)] = 1.0
    return target


def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5):
    """AP of one class, PASCAL VOC all-point: sort the detections by score (ties keep their
    order); each is a hit when its best-overlapping ground-truth box has IoU >= the
    threshold and was not taken by a better detection; precision and recall after each;
    the area under the precision envelope (best precision at that recall or higher)."""
    if len(pred_boxes) == 0:
        return 0.0
    iou = box_iou(pred_boxes, gt_boxes)
    taken = np.zeros(len(gt_boxes), dtype=bool)
    hits = []
    for i in np.argsort(-pred_scores, kind="stable"):
        j = int(np.argmax(iou[i]))
        hit = bool(iou[i, j] >= iou_threshold and not taken[j])
        taken[j] |= hit
        hits.append(hit)
    true_positives = np.cumsum(hits)
    precision = true_positives / np.arange(1, len(hits) + 1)
    recall = true_positives / len(gt_boxes)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * envelope))


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


# --- cases: YOLO encoding ------------------------------------------------------------------

CELL_HINT = ("the responsible cell holds the box's centre: column = floor(cx / cell size), "
             "row = floor(cy / cell size) -- the row goes with y")


def _scene(rng, n, S, size):
    """``n`` boxes whose centres fall in ``n`` different cells of an S x S grid."""
    cell = size / S
    cells = rng.choice(S * S, size=n, replace=False)
    centres = np.stack([cells % S, cells // S], axis=1) + rng.uniform(0.05, 0.95, size=(n, 2))
    half = rng.uniform(0.1, 0.45, size=(n, 2)) * size / 2
    return np.concatenate([centres * cell - half, centres * cell + half], axis=1).round(3)


def _encode_public():
    one = A([[0.0, 0.0, 20.0, 10.0]])
    two = A([[0.0, 0.0, 20.0, 10.0], [24.0, 28.0, 36.0, 40.0]])
    shared = A([[2.0, 2.0, 10.0, 12.0], [4.0, 6.0, 14.0, 8.0]])  # both centres in cell (0, 0)
    return [
        Case((one, A([1]), 2, 1, 2, 40), label="one box, centre (10, 5) in cell (0, 0) of 20x20",
             hint="x, y = centre / cell size - column, row; w, h = size / image size"),
        Case((two, A([0, 2]), 2, 1, 3, 40), label="two boxes in cells (0, 0) and (1, 1)",
             hint=CELL_HINT),
        Case((A([[20.0, 0.0, 40.0, 8.0]]), A([0]), 2, 1, 1, 40),
             label="a box in row 0, column 1", hint=CELL_HINT),
        Case((shared, A([1, 1]), 2, 2, 2, 32), label="two boxes of one class in one cell, B = 2",
             hint="the second box of a cell goes into its second slot, target[..., 5:10]"),
        Case((two, A([0, 2]), 2, 1, 3, 40), {"layout": "anchors"},
             label="the anchors layout: (S, S, B, 5 + C)",
             hint="with layout='anchors' every slot has its own class vector: "
                  "target[row, col, slot] = [x, y, w, h, 1, one-hot class]"),
        Case((shared, A([0, 1]), 2, 2, 2, 32), {"layout": "anchors"},
             label="two classes in one cell: only the anchors layout can hold them"),
    ]


def _encode_edge():
    return [Case((np.zeros((0, 4)), np.zeros(0, dtype=np.int64), 3, 2, 2, 30),
                 label="no boxes: a grid of zeros"),
            Case((A([[28.0, 28.0, 32.0, 32.0]]), A([0]), 2, 1, 1, 32),
                 label="a box in the image's far corner: the last cell", hint=CELL_HINT)]


def _encode_hidden(rng, student):
    cases = []
    for layout in ("v1", "anchors", "v1", "anchors"):
        S, B, C = int(rng.integers(2, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 6))
        n, size = int(rng.integers(1, min(S * S, 6) + 1)), int(rng.choice([32, 64, 96, 448]))
        cases.append(Case((_scene(rng, n, S, size), rng.integers(0, C, size=n), S, B, C, size),
                          {"layout": layout},
                          label=f"random {n} boxes, S={S}, B={B}, C={C}, {layout}"))
    return cases


# --- cases: average precision ---------------------------------------------------------------

TP_HINT = ("a detection is a true positive only if its best-matching true box has IoU >= 0.5 "
           "AND no higher-scoring detection took that box already")


def _ap_public():
    gt = A([[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]])
    return [
        Case((A([[0.0, 0.0, 10.0, 10.0], [50.0, 50.0, 60.0, 60.0], [20.0, 0.0, 30.0, 10.0]]),
              A([0.9, 0.8, 0.7]), gt), label="hit, miss, hit: 0.5 * 1 + 0.5 * 2/3",
             hint="walk the detections best score first; after each, precision = TP/detections, "
                  "recall = TP/true boxes"),
        Case((gt, A([0.6, 0.9]), gt), label="two perfect detections: 1.0"),
        Case((A([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 9.0], [20.0, 0.0, 30.0, 10.0]]),
              A([0.9, 0.8, 0.7]), gt), label="a duplicate of the first box is a false positive",
             hint=TP_HINT),
        Case((A([[50.0, 50.0, 60.0, 60.0], [0.0, 0.0, 10.0, 10.0]]), A([0.9, 0.5]), gt),
             label="the best-scored detection is wrong",
             hint="the area uses the precision envelope: at each recall, the best precision at "
                  "that recall or higher"),
        Case((A([[0.0, 0.0, 10.0, 10.0]]), A([0.9]), gt), {"iou_threshold": 0.75},
             label="iou_threshold given as a keyword"),
    ]


def _ap_edge():
    gt = A([[0.0, 0.0, 10.0, 10.0]])
    return [Case((np.zeros((0, 4)), np.zeros(0), gt), label="no detections: AP 0"),
            Case((A([[0.0, 0.0, 10.0, 5.0]]), A([0.9]), gt),
                 label="IoU exactly 0.5 counts as a hit", hint="hit when IoU >= threshold")]


def _ap_hidden(rng, student):
    cases = []
    for _ in range(5):
        gt = _random_boxes(rng, int(rng.integers(1, 6)), size=40.0)
        noisy = gt[rng.integers(0, len(gt), size=int(rng.integers(1, 8)))]
        noisy = noisy + rng.normal(0, 1.5, size=noisy.shape)
        noisy[:, 2:] = np.maximum(noisy[:, 2:], noisy[:, :2] + 0.5)
        pred = np.concatenate([noisy, _random_boxes(rng, int(rng.integers(0, 3)), size=40.0)])
        cases.append(Case((pred.round(2), rng.permutation(len(pred)) / len(pred) + 0.01, gt),
                          label=f"random {len(pred)} detections of {len(gt)} objects"))
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
    Exercise("ch10.yolo_encode", "yolo_encode", 3, yolo_encode, _encode_public, _encode_hidden,
             edge=_encode_edge, forbidden=FORBIDDEN, hint=CELL_HINT),
    Exercise("ch10.average_precision", "average_precision", 3, average_precision, _ap_public,
             _ap_hidden, edge=_ap_edge, forbidden=FORBIDDEN, hint=TP_HINT),
]
