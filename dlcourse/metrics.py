"""Counting right and wrong predictions of classes: the confusion matrix.

Shared by the chapters that score classifiers (class imbalance, ch07) and segmentations
(every pixel is a prediction, ch09).  Rows are true classes and columns predicted ones, as
in scikit-learn.
"""

from __future__ import annotations

from dlcourse.backend import array_module

__all__ = ["confusion_matrix"]


def confusion_matrix(y_true, y_pred, num_classes: int):
    """Counts ``C[t, p]`` of samples of true class ``t`` predicted as class ``p``.

    Parameters
    ----------
    y_true, y_pred : integer ndarray, same shape (labels in ``0 .. num_classes - 1``)
        Any shape: every entry is one prediction (a sample, or a pixel).
    num_classes : int

    Returns
    -------
    ndarray, shape (num_classes, num_classes), int64, on the inputs' backend

    Examples
    --------
    >>> import numpy as np
    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist()
    [[1, 0], [1, 1]]
    """
    xp = array_module(y_true, y_pred)
    flat = y_true.reshape(-1).astype(xp.int64) * num_classes + y_pred.reshape(-1)
    counts = xp.bincount(flat, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)
