"""Average precision (AP) and its mean over classes (mAP), the detection benchmark numbers.

PASCAL VOC's recipe (all-point interpolation, VOC 2010 onwards):

1. Sort the detections by decreasing score.
2. Walk down the list; a detection is a *true positive* if its best-overlapping
   ground-truth box has IoU >= the threshold and was not claimed by a higher-scoring
   detection; otherwise it is a *false positive* (a duplicate or a miss).
3. After each detection, precision = TP so far / detections so far, recall = TP so far /
   ground-truth boxes.
4. Make precision non-increasing from the right (at each recall, the best precision
   reachable at that recall or higher) and take the area under that step curve.

Boxes are xyxy in pixels, ``(x1, y1, x2, y2)``.  Detections of several images can be
pooled: pass ``pred_image_ids`` and ``gt_image_ids`` so that a detection is only matched
with ground truth of its own image.
"""

from __future__ import annotations

import numpy as np

from dlcourse._validate import check_array
from dlcourse.backend import to_numpy
from dlcourse.detection.boxes import _check_boxes, box_iou

__all__ = ["average_precision", "mean_average_precision", "precision_recall"]


def _check_ids(ids, n: int, name: str):
    if ids is None:
        return np.zeros(n, dtype=np.int64)
    check_array(ids, name, ndim=1)
    if ids.shape[0] != n:
        raise ValueError(f"{name} has {ids.shape[0]} entries but there are {n} boxes")
    return to_numpy(ids)


def precision_recall(pred_boxes, pred_scores, gt_boxes, iou_threshold: float = 0.5, *,
                     pred_image_ids=None, gt_image_ids=None):
    """Precision and recall after each detection, best score first (steps 1-3 above).

    Parameters
    ----------
    pred_boxes : ndarray, shape (N, 4)
        Detected xyxy boxes of one class.
    pred_scores : ndarray, shape (N,)
    gt_boxes : ndarray, shape (M, 4)
        Ground-truth xyxy boxes of that class, ``M >= 1``.
    iou_threshold : float
        Minimum IoU for a detection to count as a hit.
    pred_image_ids, gt_image_ids : ndarray of int, shape (N,) and (M,), optional
        Which image each box belongs to; all one image if omitted.

    Returns
    -------
    precision, recall : ndarray of float64, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.array([[0.0, 0.0, 10.0, 10.0]])
    >>> pred = np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 9.0]])
    >>> p, r = precision_recall(pred, np.array([0.9, 0.8]), gt)  # the second is a duplicate
    >>> p.tolist(), r.tolist()
    ([1.0, 0.5], [1.0, 1.0])
    """
    _check_boxes(pred_boxes, "pred_boxes")
    _check_boxes(gt_boxes, "gt_boxes")
    check_array(pred_scores, "pred_scores", ndim=1)
    n, m = pred_boxes.shape[0], gt_boxes.shape[0]
    if pred_scores.shape[0] != n:
        raise ValueError(f"{n} predicted boxes but {pred_scores.shape[0]} scores")
    if m == 0:
        raise ValueError("recall needs at least one ground-truth box, got none")
    pred_ids = _check_ids(pred_image_ids, n, "pred_image_ids")
    gt_ids = _check_ids(gt_image_ids, m, "gt_image_ids")

    iou = to_numpy(box_iou(pred_boxes, gt_boxes)).astype(np.float64)  # (N, M)
    iou[pred_ids[:, None] != gt_ids[None, :]] = -1.0  # other images' boxes never match
    order = np.argsort(-to_numpy(pred_scores), kind="stable")
    claimed = np.zeros(m, dtype=bool)
    hit = np.zeros(n)
    for rank, i in enumerate(order):
        j = int(np.argmax(iou[i]))  # the best-overlapping ground truth ...
        if iou[i, j] >= iou_threshold and not claimed[j]:  # ... is a hit if still free
            hit[rank], claimed[j] = 1.0, True
    true_positives = np.cumsum(hit)
    return true_positives / np.arange(1, n + 1), true_positives / m


def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold: float = 0.5, *,
                      pred_image_ids=None, gt_image_ids=None) -> float:
    """Area under the interpolated precision-recall curve of one class (VOC all-point).

    Parameters are those of :func:`precision_recall`.  Returns ``nan`` when there is no
    ground truth (AP is undefined), 0 when there are no detections.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.array([[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]])
    >>> pred = np.array([[0.0, 0.0, 10.0, 10.0], [50.0, 50.0, 60.0, 60.0],
    ...                  [20.0, 0.0, 30.0, 10.0]])
    >>> average_precision(pred, np.array([0.9, 0.8, 0.7]), gt)  # 0.5 * 1 + 0.5 * 2/3
    0.8333333333333333
    """
    if gt_boxes.shape[0] == 0:
        return float("nan")
    precision, recall = precision_recall(pred_boxes, pred_scores, gt_boxes, iou_threshold,
                                         pred_image_ids=pred_image_ids,
                                         gt_image_ids=gt_image_ids)
    recall = np.concatenate([[0.0], recall])
    precision = np.concatenate([[0.0], precision])
    envelope = np.maximum.accumulate(precision[::-1])[::-1]  # best precision at >= recall
    return float(np.sum(np.diff(recall) * envelope[1:]))


def mean_average_precision(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels,
                           iou_threshold: float = 0.5, *, pred_image_ids=None,
                           gt_image_ids=None) -> float:
    """Mean of the per-class :func:`average_precision` (mAP at ``iou_threshold``).

    Averaged over the classes that have at least one ground-truth box; detections of
    other classes are ignored.

    Parameters
    ----------
    pred_boxes : ndarray, shape (N, 4)
        Detected xyxy boxes.
    pred_scores : ndarray, shape (N,)
    pred_labels : ndarray of int, shape (N,)
    gt_boxes : ndarray, shape (M, 4)
        Ground-truth xyxy boxes.
    gt_labels : ndarray of int, shape (M,)
    iou_threshold : float
    pred_image_ids, gt_image_ids : ndarray of int, optional

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.array([[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]])
    >>> pred = gt.copy()
    >>> mean_average_precision(pred, np.array([0.9, 0.8]), np.array([0, 1]),
    ...                        gt, np.array([0, 0]))  # class 0: AP 0.5; class 1: no gt
    0.5
    """
    check_array(pred_labels, "pred_labels", ndim=1)
    check_array(gt_labels, "gt_labels", ndim=1)
    if pred_labels.shape[0] != pred_boxes.shape[0] or gt_labels.shape[0] != gt_boxes.shape[0]:
        raise ValueError("need one label per box, for the predictions and the ground truth")
    if gt_labels.shape[0] == 0:
        raise ValueError("mAP needs at least one ground-truth box, got none")
    # Host arrays: the per-class matching below is a sequential walk anyway.
    pred_boxes, pred_scores, gt_boxes = map(to_numpy, (pred_boxes, pred_scores, gt_boxes))
    pred_labels, gt_labels = to_numpy(pred_labels), to_numpy(gt_labels)
    pred_ids = _check_ids(pred_image_ids, pred_labels.shape[0], "pred_image_ids")
    gt_ids = _check_ids(gt_image_ids, gt_labels.shape[0], "gt_image_ids")
    aps = []
    for label in np.unique(gt_labels):
        p, g = np.flatnonzero(pred_labels == label), np.flatnonzero(gt_labels == label)
        aps.append(average_precision(pred_boxes[p], pred_scores[p], gt_boxes[g],
                                     iou_threshold, pred_image_ids=pred_ids[p],
                                     gt_image_ids=gt_ids[g]))
    return float(np.mean(aps))
