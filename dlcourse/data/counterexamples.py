"""Tiny fixed data that contradict two sentences of the notes (chapter 12's "refute the
notes": its graded exercises, practice and lecture all use them).

>>> import numpy as np
>>> from dlcourse.data.counterexamples import lesion_and_vessel, overfitting_curves
>>> image, mask = lesion_and_vessel()
>>> np.unique(image[mask > 0]).tolist()
[0.9]
>>> train, val = overfitting_curves()
>>> bool((train[1:] < train[:-1]).all()), int(val.argmin())
(True, 6)
"""

from __future__ import annotations

import numpy as np


def lesion_and_vessel() -> tuple[np.ndarray, np.ndarray]:
    """A lesion (class 1) and a vessel (class 2), equally bright on a dark background
    (class 0): no grouping by brightness can tell the two classes apart.

    Returns
    -------
    image : (8, 8) float64 array
        0.9 on the lesion and the vessel, 0.1 elsewhere.
    mask : (8, 8) int64 array
        The labelled classes 0, 1, 2.
    """
    mask = np.zeros((8, 8), dtype=np.int64)
    mask[2:5, 1:4] = 1   # a 3x3 lesion
    mask[:, 6] = 2       # a vertical vessel
    return np.where(mask > 0, 0.9, 0.1), mask


def overfitting_curves() -> tuple[np.ndarray, np.ndarray]:
    """Loss curves of the usual overfitting run over 12 epochs: the training loss falls every
    epoch; the validation loss falls until epoch 6 (0-based), then rises.

    Returns
    -------
    train, val : (12,) float64 arrays, rounded to 4 decimals.
    """
    epochs = np.arange(12)
    train = 1.2 * 0.8 ** epochs
    val = 0.35 + 0.85 * 0.7 ** epochs + 0.02 * np.maximum(epochs - 4, 0) ** 1.5
    return train.round(4), val.round(4)
