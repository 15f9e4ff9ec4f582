"""Covariate shift between training and test data: the inputs move, the labels' rule does not.

>>> r = covariate_shift_accuracy(seed=0)
>>> r["shifted"] < r["clean"]
True
"""

from __future__ import annotations

import numpy as np

from dlcourse import data


def covariate_shift_accuracy(*, dx: int = 2, seed: int = 0) -> dict:
    """Fit a nearest-class-mean classifier on digits (8×8), test it on the test digits as they are
    and moved ``dx`` pixels right.

    The digits and their labels are the same in every test; only p(x) changes -- covariate
    shift.  Returns ``{"clean": acc, "shifted": acc, "shifted_trained": acc}``,
    the last one after training on shifted copies too (augmentation, the usual remedy).
    """
    X, y = data.digits(seed=seed)
    (X_tr, y_tr), _, (X_te, y_te) = data.train_val_test_split(X, y, seed=seed)

    def fit(images, labels):  # one mean image per class
        flat = images.reshape(len(images), -1).astype(np.float64)
        return np.stack([flat[labels == c].mean(axis=0) for c in range(10)])

    def score(means, images):
        flat = images.reshape(len(images), -1).astype(np.float64)
        distances = ((flat[:, None, :] - means[None]) ** 2).sum(axis=2)
        return float((distances.argmin(axis=1) == y_te).mean())

    plain = fit(X_tr, y_tr)
    moved = data.shift(X_te, dx, 0)
    both = fit(np.concatenate([X_tr, data.shift(X_tr, dx, 0)]), np.concatenate([y_tr, y_tr]))
    return dict(clean=score(plain, X_te), shifted=score(plain, moved),
                shifted_trained=score(both, moved))
