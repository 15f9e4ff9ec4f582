"""One rule for seeds in :mod:`dlcourse.data`: an int, ``None`` or a NumPy ``Generator``."""

from __future__ import annotations

import numpy as np


def rng_from(seed) -> np.random.Generator:
    """A NumPy generator from ``seed``; a ``Generator`` is used as it is (and advanced).

    Data are always generated on the host with NumPy, so the same seed gives the same data
    on every machine; move them with :func:`dlcourse.data.to_backend`.
    """
    if seed is not None and not isinstance(seed, (int, np.integer, np.random.Generator)):
        raise TypeError(
            f"seed must be an int, None or a numpy Generator, got {type(seed).__name__}"
        )
    return np.random.default_rng(seed)


def balanced_labels(n: int, classes: int) -> np.ndarray:
    """``n`` labels ``0 .. classes - 1``, as equal in number as possible, in order.

    >>> balanced_labels(7, 3).tolist()
    [0, 0, 0, 1, 1, 2, 2]
    """
    counts = np.full(classes, n // classes)
    counts[: n % classes] += 1          # the first n % classes classes get one more
    return np.repeat(np.arange(classes), counts)
