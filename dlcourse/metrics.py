"""Scores of predicted classes: the confusion matrix and what is read off it.

Every function takes the truth first and the prediction second, ``(y_true, y_pred)``, as in
scikit-learn, and counts every entry as one prediction: a sample of a classifier (class
imbalance, ch07) or a pixel of a label map (segmentation, ch09).  Labels are integer class
indices ``0 .. num_classes - 1``; arrays may be NumPy or CuPy.

* :func:`confusion_matrix` -- ``C[t, p]``: entries of true class ``t`` predicted as ``p``.
* :func:`pixel_accuracy` -- the fraction predicted right (for label maps: of pixels).
* **IoU** (intersection over union, Jaccard) of class ``c`` -- ``TP / (TP + FP + FN)``;
  **Dice** (F1) -- ``2 TP / (2 TP + FP + FN) = 2 IoU / (1 + IoU)``.  Mean IoU and mean Dice
  average over the classes present in the truth or the prediction (a class absent from
  both has no defined score: ``nan``, skipped by the mean).

Examples
--------
>>> import numpy as np
>>> y_true = np.array([[0, 0, 1, 1]])
>>> y_pred = np.array([[0, 0, 0, 1]])
>>> pixel_accuracy(y_true, y_pred), iou_per_class(y_true, y_pred, 2).round(4).tolist()
(0.75, [0.6667, 0.5])
"""

from __future__ import annotations

import numpy as np

from dlcourse._validate import check_array, check_positive, check_same_shape
from dlcourse.backend import array_module, to_numpy

__all__ = ["confusion_matrix", "dice_per_class", "iou_per_class", "mean_dice", "mean_iou",
           "pixel_accuracy", "segmentation_metrics"]


def _check_labels(y_true, y_pred, num_classes=None) -> None:
    check_array(y_true, "y_true")
    check_array(y_pred, "y_pred")
    check_same_shape(y_true, y_pred, ("y_true", "y_pred"))
    for name, a in (("y_true", y_true), ("y_pred", y_pred)):
        if a.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integer class indices, got dtype {a.dtype}")
        if num_classes is not None and a.size and (int(a.min()) < 0
                                                   or int(a.max()) >= num_classes):
            raise ValueError(f"{name} has labels outside 0..{num_classes - 1}")


def confusion_matrix(y_true, y_pred, num_classes: int | None = None):
    """Counts ``C[t, p]`` of entries of true class ``t`` predicted as class ``p``.

    Parameters
    ----------
    y_true, y_pred : integer ndarray, same shape (labels in ``0 .. num_classes - 1``)
        Any shape: every entry is one prediction (a sample, or a pixel).
    num_classes : int, optional
        Default: one more than the largest label in either array.

    Returns
    -------
    ndarray, shape (num_classes, num_classes), int64, on the inputs' backend
        Rows are true classes, columns predicted ones; the diagonal holds the hits.

    Examples
    --------
    >>> import numpy as np
    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist()
    [[1, 0], [1, 1]]
    """
    if num_classes is None:
        _check_labels(y_true, y_pred)
        num_classes = 1 + max((int(a.max()) for a in (y_true, y_pred) if a.size), default=0)
    check_positive(num_classes, "num_classes")
    _check_labels(y_true, y_pred, num_classes)
    xp = array_module(y_true, y_pred)
    flat = y_true.reshape(-1).astype(xp.int64) * num_classes + y_pred.reshape(-1)
    counts = xp.bincount(flat, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def pixel_accuracy(y_true, y_pred) -> float:
    """Fraction of entries (pixels) whose predicted class equals the true class.

    >>> import numpy as np
    >>> pixel_accuracy(np.array([[0, 1], [0, 1]]), np.array([[0, 1], [1, 1]]))
    0.75
    """
    _check_labels(y_true, y_pred)
    return float((y_pred == y_true).mean())


def _tp_fp_fn(y_true, y_pred, num_classes):
    m = confusion_matrix(y_true, y_pred, num_classes).astype(float)
    xp = array_module(m)
    tp = xp.diag(m)
    return tp, m.sum(axis=0) - tp, m.sum(axis=1) - tp   # FP: column rest, FN: row rest


def _ratio(numerator, denominator):
    xp = array_module(numerator)
    safe = xp.where(denominator > 0, denominator, 1.0)
    return xp.where(denominator > 0, numerator / safe, xp.nan)


def iou_per_class(y_true, y_pred, num_classes: int):
    """Intersection over union ``TP / (TP + FP + FN)`` of every class.

    Returns
    -------
    ndarray, shape (num_classes,), float64
        ``nan`` for a class that appears neither in ``y_true`` nor in ``y_pred``.

    Examples
    --------
    >>> import numpy as np
    >>> iou_per_class(np.array([0, 0, 1]), np.array([0, 1, 1]), 3).tolist()
    [0.5, 0.5, nan]
    """
    tp, fp, fn = _tp_fp_fn(y_true, y_pred, num_classes)
    return _ratio(tp, tp + fp + fn)


def dice_per_class(y_true, y_pred, num_classes: int):
    """Dice coefficient ``2 TP / (2 TP + FP + FN)`` of every class (``nan`` if absent).

    >>> import numpy as np
    >>> dice_per_class(np.array([0, 0, 1]), np.array([0, 1, 1]), 2).round(4).tolist()
    [0.6667, 0.6667]
    """
    tp, fp, fn = _tp_fp_fn(y_true, y_pred, num_classes)
    return _ratio(2 * tp, 2 * tp + fp + fn)


def mean_iou(y_true, y_pred, num_classes: int) -> float:
    """Mean of :func:`iou_per_class` over the classes present in either array.

    >>> import numpy as np
    >>> mean_iou(np.array([0, 0, 1]), np.array([0, 1, 1]), 3)
    0.5
    """
    scores = iou_per_class(y_true, y_pred, num_classes)
    return float(array_module(scores).nanmean(scores))


def mean_dice(y_true, y_pred, num_classes: int) -> float:
    """Mean of :func:`dice_per_class` over the classes present in either array."""
    scores = dice_per_class(y_true, y_pred, num_classes)
    return float(array_module(scores).nanmean(scores))


def segmentation_metrics(y_true, y_pred, num_classes: int) -> dict:
    """Pixel accuracy, per-class and mean IoU and Dice of one prediction, on the host.

    Returns
    -------
    dict
        ``pixel_accuracy``, ``mean_iou``, ``mean_dice`` (floats) and ``iou``, ``dice``
        (NumPy arrays of shape ``(num_classes,)``).

    Examples
    --------
    >>> import numpy as np
    >>> m = segmentation_metrics(np.array([0, 0, 1]), np.array([0, 1, 1]), 2)
    >>> m["pixel_accuracy"], m["mean_iou"]
    (0.6666666666666666, 0.5)
    """
    iou = iou_per_class(y_true, y_pred, num_classes)
    dice = dice_per_class(y_true, y_pred, num_classes)
    return {"pixel_accuracy": pixel_accuracy(y_true, y_pred),
            "mean_iou": float(np.nanmean(to_numpy(iou))),
            "mean_dice": float(np.nanmean(to_numpy(dice))),
            "iou": to_numpy(iou), "dice": to_numpy(dice)}
