"""Two-dimensional toy data sets: XOR, spirals, moons, blobs, separable classes, mixtures.

Every function returns ``X`` of shape ``(n, 2)`` (float32) and labels ``y`` of shape ``(n,)``
(int64), shuffled, with the classes as equal in size as ``n`` allows.  The same ``seed``
gives the same data everywhere.
"""

from __future__ import annotations

import numpy as np

from dlcourse._validate import check_non_negative, check_positive
from dlcourse.data._rng import balanced_labels, rng_from

__all__ = ["blobs", "gaussian_mixture", "linearly_separable", "mixture_centers", "moons",
           "spirals", "xor", "xor_truth_table"]


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order].astype(np.int64)


def xor_truth_table() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR inputs and their labels: no single line separates the two classes.

    >>> X, y = xor_truth_table()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    return X, np.array([0, 1, 1, 0], dtype=np.int64)


def xor(n: int = 200, *, noise: float = 0.1, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy copies of the XOR truth table: Gaussian clouds (std ``noise``) at the 4 corners.

    >>> X, y = xor(8, seed=0)
    >>> X.shape, y.dtype, sorted(set(y.tolist()))
    ((8, 2), dtype('int64'), [0, 1])
    """
    check_positive(n, "n")
    check_non_negative(noise, "noise")
    rng = rng_from(seed)
    corners, labels = xor_truth_table()
    corner = balanced_labels(n, 4)                       # which corner each point starts at
    X = corners[corner] + noise * rng.standard_normal((n, 2))
    return _shuffled(X, labels[corner], rng)


def spirals(n: int = 300, *, classes: int = 3, noise: float = 0.2,
            seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the cs231n spiral data).

    Arm ``k`` has radii ``r`` from 0 to 1 and angles from ``4k`` to ``4(k + 1)`` radians plus
    Gaussian noise of std ``noise``; a point is ``r * (sin t, cos t)``.

    >>> X, y = spirals(30, classes=3)
    >>> X.shape, [int((y == k).sum()) for k in range(3)]
    ((30, 2), [10, 10, 10])
    """
    check_positive(n, "n")
    check_positive(classes, "classes")
    check_non_negative(noise, "noise")
    rng = rng_from(seed)
    y = balanced_labels(n, classes)
    X = np.empty((n, 2))
    for k in range(classes):
        arm = y == k
        m = int(arm.sum())
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), m) + noise * rng.standard_normal(m)
        X[arm] = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return _shuffled(X, y, rng)


def moons(n: int = 200, *, noise: float = 0.1, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the layout of scikit-learn's ``make_moons``).

    Class 0 lies on the upper half of the unit circle, class 1 on a lower half circle
    shifted to ``(1, 0.5)``; then Gaussian noise of std ``noise`` is added.

    >>> X, y = moons(10, noise=0.0)
    >>> X.shape, int(y.sum())
    ((10, 2), 5)
    """
    check_positive(n, "n")
    check_non_negative(noise, "noise")
    rng = rng_from(seed)
    y = balanced_labels(n, 2)
    n_upper = int((y == 0).sum())
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n - n_upper)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.vstack([upper, lower]) + noise * rng.standard_normal((n, 2))
    return _shuffled(X, y, rng)


def blobs(n: int = 200, *, centers=3, std: float = 1.0, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clouds of std ``std`` around ``centers``.

    ``centers`` is a number of clusters (centres drawn uniformly from ``[-5, 5]^2``) or an
    array ``(k, d)`` of centres.

    >>> X, y = blobs(6, centers=[[0, 0], [10, 10]], std=0.0)
    >>> sorted(X.tolist())
    [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [10.0, 10.0], [10.0, 10.0], [10.0, 10.0]]
    """
    check_positive(n, "n")
    check_non_negative(std, "std")
    rng = rng_from(seed)
    if np.ndim(centers) == 0:
        check_positive(int(centers), "centers")
        centers = rng.uniform(-5.0, 5.0, size=(int(centers), 2))
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2:
        raise ValueError(f"centers must be an int or a (k, d) array, got shape {centers.shape}")
    y = balanced_labels(n, len(centers))
    X = centers[y] + std * rng.standard_normal((n, centers.shape[1]))
    return _shuffled(X, y, rng)


def linearly_separable(n: int = 200, *, margin: float = 0.5,
                       seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Two classes on either side of a random line through the origin, ``margin`` apart.

    Every point lies between ``margin / 2`` and ``margin / 2 + 1.5`` from the line, so a
    perceptron converges and the widest separating band is at least ``margin`` wide.

    >>> X, y = linearly_separable(50, margin=1.0)
    >>> X.shape, int(y.sum())
    ((50, 2), 25)
    """
    check_positive(n, "n")
    check_non_negative(margin, "margin")
    rng = rng_from(seed)
    y = balanced_labels(n, 2)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])       # unit normal of the line
    along = np.array([-normal[1], normal[0]])                # unit direction of the line
    side = 2.0 * y - 1.0                                     # class 0 -> -1, class 1 -> +1
    distance = margin / 2 + rng.uniform(0.0, 1.5, n)         # signed distance to the line
    X = np.outer(side * distance, normal) + np.outer(rng.uniform(-1.5, 1.5, n), along)
    return _shuffled(X, y, rng)


def mixture_centers(modes: int = 8, *, radius: float = 2.0, layout: str = "ring") -> np.ndarray:
    """The ``(modes, 2)`` centres of :func:`gaussian_mixture`.

    ``"ring"``: equally spaced on a circle of ``radius``, the first at ``(radius, 0)``.
    ``"grid"``: a square grid (``modes`` must be a square) spanning ``[-radius, radius]^2``.

    >>> mixture_centers(4, radius=1.0, layout="grid").tolist()
    [[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]]
    """
    check_positive(modes, "modes")
    if layout == "ring":
        angles = 2.0 * np.pi * np.arange(modes) / modes
        return radius * np.column_stack([np.cos(angles), np.sin(angles)])
    if layout == "grid":
        side = int(round(np.sqrt(modes)))
        if side * side != modes:
            raise ValueError(f"a grid layout needs a square number of modes, got {modes}")
        ticks = np.linspace(-radius, radius, side) if side > 1 else np.zeros(1)
        xx, yy = np.meshgrid(ticks, ticks)
        return np.column_stack([xx.ravel(), yy.ravel()])
    raise ValueError(f"layout must be 'ring' or 'grid', got {layout!r}")


def gaussian_mixture(n: int = 1000, *, modes: int = 8, radius: float = 2.0, std: float = 0.02,
                     layout: str = "ring", seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Points from equally weighted Gaussians (std ``std``) at :func:`mixture_centers`.

    The classic GAN test: a generator that covers only some modes shows *mode collapse*.
    ``y`` is the index of the mode each point came from.

    >>> X, y = gaussian_mixture(16, modes=8)
    >>> X.shape, sorted(set(y.tolist())) == list(range(8))
    ((16, 2), True)
    """
    check_positive(n, "n")
    check_non_negative(std, "std")
    centers = mixture_centers(modes, radius=radius, layout=layout)
    rng = rng_from(seed)
    y = balanced_labels(n, modes)
    X = centers[y] + std * rng.standard_normal((n, 2))
    return _shuffled(X, y, rng)
