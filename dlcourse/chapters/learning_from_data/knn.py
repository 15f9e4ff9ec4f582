"""The k-nearest-neighbour classifier: remember the training set, vote among the k closest.

k-NN has no parameters to learn: ``fit`` only stores the data (a *lazy* learner) and all the
work happens in ``predict``, which measures the distance from every query to every stored
sample.  Its one knob, ``k``, and the distance ``metric`` are *hyperparameters*, chosen on a
validation set (see :mod:`dlcourse.chapters.learning_from_data.search`).

Distances are computed for whole blocks of queries at once (no Python loop over samples;
blocks of :data:`BLOCK_ENTRIES` distances, so that each stays in the processor's cache):

* euclidean ``||a - b||_2`` via ``||a||^2 + ||b||^2 - 2 a.b``, one matrix product;
* manhattan ``||a - b||_1``, one ``(n, m)`` array of ``|a_j - b_j|`` per feature ``j``;
* cosine ``1 - a.b / (||a|| ||b||)``, which ignores the length of the vectors.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from dlcourse._validate import check_array, check_positive
from dlcourse.backend import array_module
from dlcourse.data import moons

__all__ = ["GRID_PADDING", "METRICS", "DecisionGrid", "KNNDemo", "KNeighborsClassifier",
           "box_grid", "decision_grid", "knn_demo", "majority_vote", "moons_extent",
           "pairwise_distances", "ranked_neighbour_labels"]

METRICS = ("euclidean", "manhattan", "cosine")

GRID_PADDING = 0.1   # how far a decision grid reaches beyond its data, per unit of range

# distances ``kneighbors`` ranks at a time (with their int64 keys, under 1 MB): a block and
# its temporaries stay in the cache, which makes the panel's 10,000 x 200 ranking twice as
# fast as one whole matrix, and bounds the memory whatever the number of queries (as
# scikit-learn's ``working_memory``)
BLOCK_ENTRIES = 2**16


def _as_float(X, name: str):
    check_array(X, name, ndim=2)
    return X if X.dtype.kind == "f" else X.astype(array_module(X).float64)


def pairwise_distances(A, B, metric: str = "euclidean"):
    """Distance from every row of ``A`` to every row of ``B``.

    Parameters
    ----------
    A : ndarray, shape (n, d)
    B : ndarray, shape (m, d)
    metric : {"euclidean", "manhattan", "cosine"}

    Returns
    -------
    ndarray, shape (n, m), float; entry ``[i, j]`` is the distance of ``A[i]`` to ``B[j]``

    Examples
    --------
    >>> import numpy as np
    >>> A, B = np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [1.0, 0.0]])
    >>> pairwise_distances(A, B).tolist(), pairwise_distances(A, B, "manhattan").tolist()
    ([[5.0, 1.0]], [[7.0, 1.0]])
    """
    A, B = _as_float(A, "A"), _as_float(B, "B")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"A has {A.shape[1]} features but B has {B.shape[1]}")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    xp = array_module(A, B)
    if metric == "euclidean":
        squared = (A**2).sum(1)[:, None] + (B**2).sum(1)[None, :] - 2 * A @ B.T
        return xp.sqrt(xp.maximum(squared, 0))          # rounding can dip just below 0
    if metric == "cosine":
        tiny = xp.finfo(A.dtype).tiny                   # a zero vector stays zero
        A_unit = A / xp.maximum(xp.linalg.norm(A, axis=1, keepdims=True), tiny)
        B_unit = B / xp.maximum(xp.linalg.norm(B, axis=1, keepdims=True), tiny)
        return 1 - A_unit @ B_unit.T
    # manhattan: add up one feature at a time, so memory stays (n, m) instead of (n, m, d)
    distances = xp.zeros((len(A), len(B)), dtype=xp.result_type(A, B))
    for j in range(A.shape[1]):
        distances += xp.abs(A[:, j, None] - B[None, :, j])
    return distances


def _ranking_keys(distances):
    """One integer per distance that sorts as the distances do, ties by column; and the mask
    that reads the column back out of it (``key & mask``).

    Partitioning and sorting plain integers is two to three times faster than
    ``argpartition`` and ``argsort`` of the distances, which carry an index along with
    every value.  A float's bits, read as a signed integer, sort as the float does when it
    is >= 0 and in reverse when it is < 0; flipping every bit below the sign puts the
    negative ones in order too.  The column then goes into the low bits: below a float32's
    32 bits, exactly; a float64 gives up its lowest ``b`` bits (``2**b >= m``), so that
    distances less than ``2**(b - 52)`` of themselves apart (2**-44 for 200 columns) rank
    by column, far below the rounding of the distances themselves.

    Parameters
    ----------
    distances : ndarray, shape (n, m), float16, float32 or float64

    Returns
    -------
    keys : ndarray of int64, shape (n, m)
    mask : int
    """
    xp = array_module(distances)
    n_columns = distances.shape[1]
    bits = (distances + 0.0).view(f"i{distances.dtype.itemsize}")   # + 0.0: -0.0 is 0.0
    sign_bit = 8 * bits.dtype.itemsize - 1
    flip = bits >> sign_bit                     # all ones where negative, else zeros
    flip &= (1 << sign_bit) - 1
    bits ^= flip
    keys = bits.astype(xp.int64, copy=False)
    if bits.dtype.itemsize <= 4:
        keys <<= 32
        mask = (1 << 32) - 1
    else:
        mask = (1 << max(n_columns - 1, 1).bit_length()) - 1
        keys &= ~mask
    keys |= xp.arange(n_columns)
    return keys, mask


def majority_vote(neighbor_labels, n_classes: int):
    """Votes per class among each query's neighbours: the k-NN *class scores*.

    Parameters
    ----------
    neighbor_labels : ndarray of ints, shape (n, k)
        Class index ``0 .. n_classes - 1`` of each query's ``k`` neighbours.
    n_classes : int

    Returns
    -------
    ndarray of ints, shape (n, n_classes); each row sums to ``k``

    Examples
    --------
    >>> import numpy as np
    >>> majority_vote(np.array([[2, 0, 2, 2, 2]]), 3).tolist()   # the notes' w = (1, 0, 4)
    [[1, 0, 4]]
    """
    xp = array_module(neighbor_labels)
    classes = xp.arange(n_classes)
    return (neighbor_labels[:, :, None] == classes).sum(axis=1)


class KNeighborsClassifier:
    """Classify a sample by a majority vote of its ``n_neighbors`` closest training samples.

    Named and used like scikit-learn's class of the same name.  Ties between classes go
    to the class listed first in ``classes_`` (the smallest label), as in scikit-learn.
    Training samples at the same distance rank in the order they were stored, so when
    several lie at exactly the k-th distance, those stored first count (scikit-learn leaves
    that choice arbitrary and warns).

    Parameters
    ----------
    n_neighbors : int
        ``k``, how many neighbours vote.
    metric : {"euclidean", "manhattan", "cosine"}

    Attributes
    ----------
    classes_ : ndarray, shape (C,)
        The sorted labels seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]])
    >>> y = np.array([0, 0, 0, 1, 1])
    >>> model = KNeighborsClassifier(n_neighbors=3).fit(X, y)
    >>> model.predict(np.array([[1.5], [9.0]])).tolist()
    [0, 1]
    """

    def __init__(self, n_neighbors: int = 5, *, metric: str = "euclidean"):
        check_positive(n_neighbors, "n_neighbors")
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        self.n_neighbors = int(n_neighbors)
        self.metric = metric

    def fit(self, X, y):
        """Store the training samples ``X`` ``(n, d)`` and labels ``y`` ``(n,)``: that is all."""
        X = _as_float(X, "X")
        check_array(y, "y", ndim=1)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} samples but y has {len(y)} labels")
        if self.n_neighbors > len(X):
            raise ValueError(f"n_neighbors={self.n_neighbors} but only {len(X)} training samples")
        xp = array_module(X, y)
        self.classes_ = xp.unique(y)
        self._X = X
        self._y = xp.searchsorted(self.classes_, y)     # labels as indices 0 .. C-1
        return self

    def kneighbors(self, X, n_neighbors: int | None = None, return_distance: bool = True):
        """Distances ``(n, k)`` and training indices ``(n, k)`` of the nearest samples,
        nearest first; the indices alone if ``return_distance`` is false (as in
        scikit-learn)."""
        blocks = list(self._nearest_blocks(X, n_neighbors, return_distance))
        xp = array_module(self._X)
        nearest = xp.concatenate([indices for _, indices in blocks])
        if not return_distance:
            return nearest
        return xp.concatenate([distances for distances, _ in blocks]), nearest

    def _nearest_blocks(self, X, n_neighbors: int | None, return_distance: bool):
        """:meth:`_nearest` for one block of ``X``'s rows after another (at least one, if
        ``X`` is empty)."""
        if not hasattr(self, "_X"):
            raise RuntimeError("call fit(X, y) before asking for neighbours")
        k = self.n_neighbors if n_neighbors is None else int(n_neighbors)
        if not 1 <= k <= len(self._X):
            raise ValueError(f"n_neighbors must lie in 1..{len(self._X)}, got {k}")
        X = _as_float(X, "X")
        rows = max(1, BLOCK_ENTRIES // len(self._X))
        for start in range(0, max(len(X), 1), rows):
            yield self._nearest(X[start:start + rows], k, return_distance)

    def _nearest(self, X, k: int, return_distance: bool):
        """Distances ``(n, k)`` (None unless ``return_distance``) and indices ``(n, k)`` of
        the ``k`` nearest samples to each row of ``X``, nearest first."""
        distances = pairwise_distances(X, self._X, self.metric)        # (n, n_train)
        xp = array_module(distances)
        keys, column = _ranking_keys(distances)
        # partial sort: the k smallest in any order (much cheaper than sorting all), then
        # sort just those k (a copy: a view would keep every key of the block alive)
        nearest = xp.sort(xp.partition(keys, k - 1, axis=1)[:, :k], axis=1)
        nearest &= column
        distances = xp.take_along_axis(distances, nearest, axis=1) if return_distance else None
        return distances, nearest

    def vote_counts(self, X):
        """Class scores ``(n, C)``: how many of the ``k`` neighbours carry each class."""
        neighbors = self.kneighbors(X, return_distance=False)
        return majority_vote(self._y[neighbors], len(self.classes_))

    def predict_proba(self, X):
        """Vote fractions ``(n, C)``: ``vote_counts / k``, each row sums to 1."""
        return self.vote_counts(X) / self.n_neighbors

    def predict(self, X):
        """Predicted labels ``(n,)``: the class with the most votes."""
        votes = self.vote_counts(X)                     # (n, C)
        return self.classes_[votes.argmax(axis=1)]

    def score(self, X, y) -> float:
        """Accuracy: the fraction of samples in ``X`` whose label ``y`` is predicted."""
        return float((self.predict(X) == y).mean())


class DecisionGrid(NamedTuple):
    """A model's output on a regular grid over the plane: ``values[i, j]`` at
    ``(xx[i, j], yy[i, j])``."""

    xx: object
    yy: object
    values: object


def decision_grid(model_fn, X, resolution: int = 200, *,
                  padding: float = GRID_PADDING) -> DecisionGrid:
    """Evaluate ``model_fn`` on a ``resolution x resolution`` grid covering the 2-D points ``X``.

    Parameters
    ----------
    model_fn : callable
        ``model_fn(points)`` with ``points`` of shape ``(resolution**2, 2)`` returns one value
        per point (a label, a score, a probability), e.g. ``model.predict``.
    X : ndarray, shape (n, 2)
        The data the grid must cover; the grid extends ``padding`` times the data's range
        beyond it on each side.
    resolution : int
        Grid points per axis.

    Returns
    -------
    DecisionGrid
        ``xx``, ``yy`` and ``values``, each of shape ``(resolution, resolution)``; draw with
        ``imshow`` or ``contourf(xx, yy, values)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> grid = decision_grid(lambda p: p[:, 0] > 0.5, X, resolution=3, padding=0.0)
    >>> grid.xx[0].tolist(), grid.values.astype(int).tolist()
    ([0.0, 0.5, 1.0], [[0, 0, 1], [0, 0, 1], [0, 0, 1]])
    """
    X = _as_float(X, "X")
    return _grid(model_fn, _padded_extent(X, padding), resolution, array_module(X), X.dtype)


def box_grid(model_fn, extent, resolution: int = 200, *, xp=np,
             dtype="float64") -> DecisionGrid:
    """Evaluate ``model_fn`` on a ``resolution x resolution`` grid spanning a box exactly.

    Parameters
    ----------
    model_fn : callable
        As for :func:`decision_grid`.
    extent : (x_min, x_max, y_min, y_max)
        The box; its edges are the grid's first and last points.
    resolution : int
        Grid points per axis.
    xp, dtype
        The array module (NumPy or CuPy) and float type of the grid.

    Returns
    -------
    DecisionGrid

    >>> box_grid(lambda p: p[:, 1], (-1, 1, 0, 4), resolution=3).values.tolist()
    [[0.0, 0.0, 0.0], [2.0, 2.0, 2.0], [4.0, 4.0, 4.0]]
    """
    if len(extent) != 4 or not (extent[0] < extent[1] and extent[2] < extent[3]):
        raise ValueError(f"extent must be (x_min, x_max, y_min, y_max), each min below its "
                         f"max, got {tuple(extent)}")
    return _grid(model_fn, extent, resolution, xp, dtype)


def _grid(model_fn, extent, resolution: int, xp, dtype) -> DecisionGrid:
    """:func:`box_grid` without checking the box (a padded extent of data on a line is flat)."""
    check_positive(resolution, "resolution")
    # the edges in the grid's float type, so that the spacing is computed in it
    x_min, x_max, y_min, y_max = (xp.asarray(edge, dtype=dtype) for edge in extent)
    xs = xp.linspace(x_min, x_max, resolution, dtype=dtype)
    ys = xp.linspace(y_min, y_max, resolution, dtype=dtype)
    xx, yy = xp.meshgrid(xs, ys)
    values = model_fn(xp.stack([xx.ravel(), yy.ravel()], axis=1))
    return DecisionGrid(xx, yy, xp.asarray(values).reshape(resolution, resolution))


def _padded_extent(X, padding: float) -> tuple:
    """The extent ``(x_min, x_max, y_min, y_max)`` of the 2-D points ``X`` (n, 2), widened by
    ``padding`` times their range on each side: four scalars of ``X``'s array type."""
    if X.shape[1] != 2:
        raise ValueError(f"X must hold 2-D points, got {X.shape[1]} features")
    low, high = X.min(axis=0), X.max(axis=0)
    pad = padding * (high - low)
    return low[0] - pad[0], high[0] + pad[0], low[1] - pad[1], high[1] + pad[1]


class KNNDemo(NamedTuple):
    """What the k-NN panel shows: the settings, the data, the decision regions and both
    accuracies."""

    k: int
    metric: str
    X_train: object
    y_train: object
    X_val: object
    y_val: object
    grid: DecisionGrid
    train_accuracy: float
    val_accuracy: float


def knn_demo(k: int = 5, metric: str = "euclidean", noise: float = 0.3, *, n: int = 200,
             resolution: int = 100, seed: int = 0, extent: tuple | None = None) -> KNNDemo:
    """k-NN on two interleaved half-moons: decision regions, training and validation accuracy.

    ``n`` noisy moon points train the classifier and ``n`` more from the same distribution
    validate it.  With ``k = 1`` every training point is its own nearest neighbour, so the
    training accuracy is 100 % however noisy the data; the validation accuracy tells the truth.

    The nearest 51 (or ``k``, if more) neighbours of every grid, training and validation
    point are ranked once per data set and metric (:func:`ranked_neighbour_labels`,
    remembered), so that another ``k`` only counts votes: what a panel's slider does most.

    The grid covers the data (see :func:`decision_grid`), or ``extent``, ``(x_min, x_max,
    y_min, y_max)``, if given: a panel passes :func:`moons_extent`, so that the picture's
    frame stays put while the noise changes.

    >>> demo = knn_demo(k=1, noise=0.3, resolution=10)
    >>> demo.train_accuracy, demo.grid.values.shape
    (1.0, (10, 10))
    """
    check_positive(k, "k")
    if k > n:
        raise ValueError(f"k={k} but only n={n} training samples")
    if extent is not None:
        extent = tuple(map(float, extent))    # a key of the ranked data sets' cache
    data = _ranked_moons(metric, float(noise), n, resolution, seed, min(n, max(k, 51)), extent)
    xp = array_module(data.y_train)

    def predict(ranked):  # the class with the most votes among the first k; ties: lowest
        return data.classes[majority_vote(ranked[:, :k], len(data.classes)).argmax(axis=1)]

    grid = DecisionGrid(data.xx, data.yy, predict(data.grid).reshape(data.xx.shape))
    return KNNDemo(k, metric, data.X_train, data.y_train, data.X_val, data.y_val, grid,
                   float(xp.mean(predict(data.train) == data.y_train)),
                   float(xp.mean(predict(data.val) == data.y_val)))


def ranked_neighbour_labels(model: KNeighborsClassifier, X, depth: int):
    """The labels (as indices into ``model.classes_``) of the ``depth`` nearest training
    samples, nearest first.

    k-NN for every ``k <= depth`` at once: the first ``k`` columns are the votes of ``k``
    neighbours.

    Parameters
    ----------
    model : KNeighborsClassifier
        Fitted.
    X : ndarray, shape (n, d)
    depth : int
        How many neighbours, ``1 .. n_train``.

    Returns
    -------
    ndarray of int8, shape (n, depth)

    Examples
    --------
    >>> import numpy as np
    >>> model = KNeighborsClassifier(1).fit(np.array([[0.0], [1.0], [5.0]]), np.array([7, 7, 9]))
    >>> ranked_neighbour_labels(model, np.array([[4.0]]), 3).tolist()   # 5, then 1, then 0
    [[1, 0, 0]]
    """
    if len(model.classes_) > 127:
        raise ValueError(f"int8 labels hold up to 127 classes, got {len(model.classes_)}")
    labels = model._y.astype(array_module(model._y).int8)
    # label each block's neighbours as it comes: no (n, depth) array of int64 indices
    return array_module(labels).concatenate(
        [labels[nearest] for _, nearest in model._nearest_blocks(X, depth, False)])


class _RankedMoons(NamedTuple):
    X_train: object
    y_train: object
    X_val: object
    y_val: object
    classes: object
    xx: object
    yy: object
    grid: object       # ranked neighbour labels of the grid points, (resolution**2, depth)
    train: object      # ... of the training points, (n, depth)
    val: object        # ... of the validation points, (n, depth)


def moons_extent(noises, *, n: int = 200, seed: int = 0) -> tuple[float, float, float, float]:
    """The extent ``(x_min, x_max, y_min, y_max)`` of :func:`knn_demo`'s grid that covers
    its data at every one of these noise levels.

    >>> x_min, x_max, y_min, y_max = moons_extent([0.0, 0.5])
    >>> x_min < -1.0 and x_max > 2.0       # the noiseless moons span -1 .. 2, and more
    True
    """
    X = np.concatenate([moons(2 * n, noise=noise, seed=seed)[0] for noise in noises])
    return tuple(float(edge) for edge in _padded_extent(X, GRID_PADDING))


@functools.lru_cache(maxsize=48)
def _ranked_moons(metric: str, noise: float, n: int, resolution: int, seed: int,
                  depth: int, extent: tuple | None) -> _RankedMoons:
    """The moons data of :func:`knn_demo` and every point's ``depth`` nearest neighbours'
    labels (~0.7 MB with the grid's coordinates, for the panel's 100 x 100 grid and depth
    51).  Kept: 48, the panel's 17 noise levels of every metric but a few (34 MB at most)."""
    X, y = moons(2 * n, noise=noise, seed=seed)
    X_train, y_train, X_val, y_val = X[:n], y[:n], X[n:], y[n:]
    model = KNeighborsClassifier(1, metric=metric).fit(X_train, y_train)
    xp = array_module(X)
    def zeros(points):       # only the grid's coordinates are wanted
        return xp.zeros(len(points))

    coordinates = (decision_grid(zeros, X, resolution) if extent is None else
                   box_grid(zeros, extent, resolution, xp=xp, dtype=X.dtype))
    points = xp.stack([coordinates.xx.ravel(), coordinates.yy.ravel()], axis=1)
    return _RankedMoons(X_train, y_train, X_val, y_val, model.classes_, coordinates.xx,
                        coordinates.yy, *(ranked_neighbour_labels(model, Q, depth)
                                          for Q in (points, X_train, X_val)))
