"""k-means (dlcourse.chapters.learning_from_data.clustering), checked against scikit-learn's Lloyd
iterations."""

import numpy as np
import pytest
from sklearn.cluster import KMeans

from dlcourse.chapters.learning_from_data.clustering import kmeans
from dlcourse.data import blobs


@pytest.mark.kernel_sensitive
def test_kmeans_matches_sklearn_lloyd_from_the_same_start():
    X, _ = blobs(300, centers=4, std=1.2, seed=3)
    X = X.astype(np.float64)
    ours = kmeans(X, 4, seed=7)
    start = X[np.random.default_rng(7).permutation(len(X))[:4]]   # kmeans' documented start
    theirs = KMeans(4, init=start, n_init=1, algorithm="lloyd", tol=0.0).fit(X)
    np.testing.assert_allclose(ours.centers, theirs.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(ours.labels, theirs.labels_)
    assert ours.inertia[-1] == pytest.approx(theirs.inertia_, rel=1e-10)
    assert ours.converged


def test_kmeans_inertia_never_increases():
    X, _ = blobs(200, centers=5, std=2.0, seed=0)
    inertia = kmeans(X, 5, seed=1).inertia
    assert all(b <= a + 1e-3 for a, b in zip(inertia, inertia[1:], strict=False))


@pytest.mark.kernel_sensitive
def test_kmeans_finds_well_separated_blobs_without_labels():
    centres = np.array([[-6.0, 0.0], [0.0, 6.0], [6.0, 0.0]])
    X, y = blobs(150, centers=centres, std=0.5, seed=2)
    result = kmeans(X, 3, seed=0)
    # every true blob lands in exactly one cluster (cluster numbers are arbitrary)
    for c in range(3):
        assert len(np.unique(result.labels[y == c])) == 1
    assert len(np.unique(result.labels)) == 3
    assert result.centers.dtype == np.float32


def test_kmeans_checks_its_arguments():
    with pytest.raises(ValueError, match="n_clusters=5 but X has only 3 points"):
        kmeans(np.zeros((3, 2)), 5)
    with pytest.raises(TypeError, match="floating"):
        kmeans(np.zeros((3, 2), dtype=int), 2)
