"""Splitting, batching, standardising and rebalancing data sets.

Works on NumPy arrays (and, except where noted, CuPy arrays); sample ``i`` of a data set is
row ``i`` of each array.  Seeds follow the rest of :mod:`dlcourse.data`: an int, ``None``
or a NumPy ``Generator``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from dlcourse import backend
from dlcourse._validate import check_positive
from dlcourse.data._rng import rng_from

__all__ = ["Split", "imbalance", "minibatches", "oversample", "standardize", "to_backend",
           "train_val_test_split"]


class Split(NamedTuple):
    """Three parts of a data set; each is a tuple with one entry per array that was split."""

    train: tuple
    val: tuple
    test: tuple


def _take(a, index: np.ndarray):
    """Rows ``index`` of an array, or items of a list (e.g. per-image box lists)."""
    if isinstance(a, list):
        return [a[i] for i in index]
    return a[backend.array_module(a).asarray(index)]


def _check_lengths(arrays) -> int:
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError(f"all arrays must have the same number of samples, got {sorted(lengths)}")
    return lengths.pop()


def train_val_test_split(*arrays, val: float = 0.15, test: float = 0.15, seed=0,
                         stratify=None) -> Split:
    """Shuffle and cut ``arrays`` into training, validation and test parts.

    The validation set chooses hyperparameters and the epoch to stop at; the test set is
    looked at once, at the very end.  ``round(val * n)`` and ``round(test * n)`` samples go
    to the two held-out parts (per class when ``stratify`` is a label array, which keeps
    the class proportions of every part close to the whole set's).

    >>> import numpy as np
    >>> X, y = np.arange(20).reshape(10, 2), np.arange(10) % 2
    >>> split = train_val_test_split(X, y, val=0.2, test=0.2)
    >>> X_train, y_train = split.train
    >>> len(X_train), len(split.val[0]), len(split.test[0])
    (6, 2, 2)
    """
    if not arrays:
        raise ValueError("give at least one array to split")
    n = _check_lengths(arrays)
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise ValueError(f"val and test must be fractions in [0, 1) with val + test < 1, "
                         f"got val={val}, test={test}")
    rng = rng_from(seed)
    if stratify is None:
        groups = [np.arange(n)]
    else:
        labels = backend.to_numpy(stratify)
        if len(labels) != n:
            raise ValueError(f"stratify has {len(labels)} labels but the arrays have {n} samples")
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    parts: tuple[list, list, list] = ([], [], [])
    for group in groups:
        group = rng.permutation(group)
        n_val, n_test = round(val * len(group)), round(test * len(group))
        parts[1].append(group[:n_val])
        parts[2].append(group[n_val:n_val + n_test])
        parts[0].append(group[n_val + n_test:])
    index = [rng.permutation(np.concatenate(p)) for p in parts]
    return Split(*(tuple(_take(a, i) for a in arrays) for i in index))


def minibatches(X, y=None, batch_size: int = 32, *, shuffle: bool = True, seed=None,
                drop_last: bool = False) -> Iterator:
    """Yield ``(X_batch, y_batch)`` (or ``X_batch`` when ``y`` is None) covering one epoch.

    Pass one ``Generator`` as ``seed`` for the whole run: every epoch then gets a new order,
    and the run is still reproducible.  An int seed repeats the same order each time.

    >>> import numpy as np
    >>> [len(xb) for xb, yb in minibatches(np.zeros((10, 2)), np.zeros(10), 4)]
    [4, 4, 2]
    """
    check_positive(batch_size, "batch_size")
    n = _check_lengths([X] if y is None else [X, y])
    order = rng_from(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        index = order[start:start + batch_size]
        yield _take(X, index) if y is None else (_take(X, index), _take(y, index))


def standardize(train, *others, axis=0, eps: float = 1e-8):
    """Subtract the training mean and divide by the training standard deviation.

    The statistics come from ``train`` only and are applied unchanged to ``others``
    (validation, test): using the test data here would leak it into training.
    ``axis=0`` standardises each feature (each pixel); use ``axis=(0, 2, 3)`` for per-channel
    statistics of images.  Features that are constant in ``train`` are only centred.

    >>> import numpy as np
    >>> train, test = standardize(np.array([[1.0], [3.0]]), np.array([[5.0]]))
    >>> train.ravel().tolist(), test.ravel().tolist()
    ([-1.0, 1.0], [3.0])
    """
    xp = backend.array_module(train)
    mean = xp.mean(train, axis=axis, keepdims=True)
    std = xp.std(train, axis=axis, keepdims=True)
    std = xp.where(std > eps, std, 1.0)
    out = [((a - mean) / std).astype(a.dtype) for a in (train, *others)]
    return tuple(out) if others else out[0]


def imbalance(X, y, fractions, *, seed=0):
    """Keep ``fractions[c]`` of the samples of each class ``c`` (a dict or a sequence).

    Classes not named in a dict are kept whole.  Returns ``(X_subset, y_subset)`` in the
    original order.  NumPy arrays.

    >>> import numpy as np
    >>> X, y = np.zeros((20, 2)), np.arange(20) % 2
    >>> np.bincount(imbalance(X, y, [1.0, 0.2])[1]).tolist()
    [10, 2]
    """
    y = np.asarray(y)
    if not isinstance(fractions, dict):
        fractions = dict(enumerate(fractions))
    rng = rng_from(seed)
    keep = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        fraction = fractions.get(int(c), 1.0)
        if not 0 <= fraction <= 1:
            raise ValueError(f"fraction for class {c} must lie in [0, 1], got {fraction}")
        keep.append(rng.choice(members, size=round(fraction * len(members)), replace=False))
    keep = np.sort(np.concatenate(keep))
    return X[keep], y[keep]


def oversample(X, y, *, seed=0):
    """Random oversampling: repeat samples of the smaller classes until all are equal.

    Returns ``(X_balanced, y_balanced)``: every original sample plus random duplicates
    (drawn with replacement), shuffled.  NumPy arrays.

    >>> import numpy as np
    >>> X, y = np.zeros((5, 2)), np.array([0, 0, 0, 0, 1])
    >>> np.bincount(oversample(X, y)[1]).tolist()
    [4, 4]
    """
    y = np.asarray(y)
    rng = rng_from(seed)
    classes, counts = np.unique(y, return_counts=True)
    extra = [rng.choice(np.flatnonzero(y == c), size=counts.max() - k, replace=True)
             for c, k in zip(classes, counts, strict=True)]
    index = rng.permutation(np.concatenate([np.arange(len(y)), *extra]))
    return X[index], y[index]


def to_backend(*arrays):
    """The arrays on the active backend (:func:`dlcourse.backend.use`): GPU if CuPy is on.

    Returns one array for one argument, a tuple otherwise.

    >>> import numpy as np
    >>> X, y = to_backend(np.zeros((2, 3)), np.zeros(2))
    >>> type(X).__module__
    'numpy'
    """
    moved = tuple(backend.asarray(a) for a in arrays)
    return moved[0] if len(moved) == 1 else moved
