"""Mixing augmentation: new training pairs as convex combinations of two (mixup).

>>> import numpy as np
>>> x, t = mixup(np.zeros((1, 2, 2)), 0, np.ones((1, 2, 2)), 2, lam=0.75, num_classes=3)
>>> float(x[0, 0, 0]), t.tolist()
(0.25, [0.75, 0.0, 0.25])
"""

from __future__ import annotations

import numpy as np


def mixup(x1, y1: int, x2, y2: int, *, lam: float, num_classes: int):
    """Mix two labelled examples: ``lam * x1 + (1 - lam) * x2`` with the soft label
    ``lam * onehot(y1) + (1 - lam) * onehot(y2)`` (Zhang et al., 2018).

    Parameters
    ----------
    x1, x2 : arrays of one shape
    y1, y2 : int, class labels in ``[0, num_classes)``
    lam : float in [0, 1]
    num_classes : int

    Returns
    -------
    x : array of the inputs' shape
    target : (num_classes,) float64 array summing to 1
    """
    if not 0 <= lam <= 1:
        raise ValueError(f"lam must be in [0, 1], got {lam}")
    for y in (y1, y2):
        if not 0 <= y < num_classes:
            raise ValueError(f"label {y} is outside [0, {num_classes})")
    x1, x2 = np.asarray(x1), np.asarray(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"the inputs differ in shape: {x1.shape} vs {x2.shape}")
    target = np.zeros(num_classes)
    target[y1] += lam
    target[y2] += 1 - lam
    return lam * x1 + (1 - lam) * x2, target
