"""k-means: the classic clustering algorithm, an example of *unsupervised* learning.

No labels are given.  The algorithm alternates two steps until nothing changes (Lloyd's
algorithm):

1. *assign* every point to its nearest centre;
2. *move* every centre to the mean of the points assigned to it.

Each step can only lower the *inertia*, the sum of squared distances of the points to their
centres, so the loop ends; which (local) optimum it reaches depends on the starting centres.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlcourse._validate import check_array, check_positive
from dlcourse.backend import array_module
from dlcourse.chapters.learning_from_data.knn import pairwise_distances

__all__ = ["KMeansResult", "kmeans"]


class KMeansResult(NamedTuple):
    """Centres ``(k, d)``, the cluster index of each point ``(n,)``, the inertia after
    each iteration (a list of floats) and whether the assignment stopped changing."""

    centers: object
    labels: object
    inertia: list
    converged: bool


def kmeans(X, n_clusters: int, *, max_iter: int = 100, seed: int = 0) -> KMeansResult:
    """Cluster the rows of ``X`` into ``n_clusters`` groups with Lloyd's algorithm.

    Parameters
    ----------
    X : ndarray, shape (n, d), float
    n_clusters : int
        ``k``, the number of clusters (a hyperparameter: k-means does not find it).
    max_iter : int
        Upper bound on assign/move rounds.
    seed : int
        Chooses the ``k`` data points that serve as the first centres.

    Returns
    -------
    KMeansResult

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> result = kmeans(X, 2, seed=0)
    >>> sorted(result.centers.tolist()), result.inertia[-1]
    ([[0.0, 0.5], [10.0, 0.5]], 1.0)
    """
    check_array(X, "X", ndim=2, floating=True)
    check_positive(n_clusters, "n_clusters")
    check_positive(max_iter, "max_iter")
    if n_clusters > len(X):
        raise ValueError(f"n_clusters={n_clusters} but X has only {len(X)} points")
    xp = array_module(X)
    # the starting centres are chosen on the host (CuPy's generators cannot permute), so
    # NumPy and CuPy start from the same points
    first = np.random.default_rng(seed).permutation(len(X))[:n_clusters]
    centers = X[xp.asarray(first)]
    labels, inertia, converged = None, [], False
    for _ in range(max_iter):
        squared = pairwise_distances(X, centers) ** 2                       # (n, k)
        new_labels = squared.argmin(axis=1)                                 # 1. assign
        inertia.append(float(squared.min(axis=1).sum()))
        if labels is not None and bool((new_labels == labels).all()):
            converged = True
            break
        labels = new_labels
        members = new_labels[:, None] == xp.arange(n_clusters)              # (n, k)
        counts = members.sum(axis=0)
        sums = members.T.astype(X.dtype) @ X                                # (k, d)
        # 2. move; a centre that lost all its points stays where it was
        means = (sums / xp.maximum(counts, 1)[:, None]).astype(X.dtype)
        centers = xp.where(counts[:, None] > 0, means, centers)
    return KMeansResult(centers, labels, inertia, converged)
