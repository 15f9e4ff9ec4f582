"""The handwritten digits bundled with scikit-learn (offline), as NCHW image arrays.

1,797 grey images of 8x8 pixels with values 0..16, classes 0..9 (about 180 each), from the
UCI "Optical Recognition of Handwritten Digits" set.  Upsampling to 16x16 or 28x28 is
bilinear with PyTorch's ``align_corners=False`` convention, written as two small
interpolation matrices: ``up = A_rows @ image @ A_cols.T``.
"""

from __future__ import annotations

import numpy as np

from dlcourse.data._rng import rng_from

__all__ = ["bilinear_matrix", "digits"]


def bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """The ``(n_out, n_in)`` matrix of 1-D linear interpolation (``align_corners=False``).

    Output pixel ``i`` has its centre at input coordinate ``(i + 0.5) * n_in / n_out - 0.5``
    (clamped at 0) and mixes its two nearest input pixels in proportion to the distance.

    >>> bilinear_matrix(2, 4).tolist()
    [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
    """
    src = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0)
    left = np.minimum(np.floor(src).astype(int), n_in - 1)
    right = np.minimum(left + 1, n_in - 1)
    frac = src - left
    A = np.zeros((n_out, n_in))
    np.add.at(A, (np.arange(n_out), left), 1.0 - frac)
    np.add.at(A, (np.arange(n_out), right), frac)
    return A


def digits(*, upsample: int | None = None, normalize: bool = True, flatten: bool = False,
           seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Handwritten digits: images ``X`` (float32) and labels ``y`` (int64, 0..9).

    Parameters
    ----------
    upsample : None, 16 or 28 (or any size >= 8)
        Side of the returned images; ``None`` keeps 8x8.
    normalize : bool
        Divide by 16 so that pixels lie in [0, 1]; otherwise keep 0..16.
    flatten : bool
        Return ``X`` as ``(N, side * side)`` instead of ``(N, 1, side, side)``.
    seed : int, Generator or None
        ``None`` keeps scikit-learn's order; otherwise the samples are shuffled with it.

    >>> X, y = digits()
    >>> X.shape, X.dtype, float(X.max()), y.shape
    ((1797, 1, 8, 8), dtype('float32'), 1.0, (1797,))
    """
    from sklearn.datasets import load_digits  # bundled with scikit-learn, no download

    bunch = load_digits()
    X = bunch.images.astype(np.float64)          # (1797, 8, 8), values 0..16
    y = bunch.target.astype(np.int64)
    if normalize:
        X = X / 16.0
    if upsample is not None:
        if int(upsample) < 8:
            raise ValueError(f"upsample must be at least 8 (the original side), got {upsample}")
        A = bilinear_matrix(8, int(upsample))    # (side, 8)
        X = A @ X @ A.T                          # (1797, side, side)
    if seed is not None:
        order = rng_from(seed).permutation(len(y))
        X, y = X[order], y[order]
    X = X.astype(np.float32)
    X = X.reshape(len(y), -1) if flatten else X[:, None]
    return X, y
