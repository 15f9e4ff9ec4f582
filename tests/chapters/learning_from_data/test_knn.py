"""k-NN (dlcourse.chapters.learning_from_data.knn): distances, votes, predictions, decision grids,
the panel's compute (its neighbours ranked once for every k).

Oracles: torch.cdist / cosine similarity in float64 for the distances, scikit-learn's
KNeighborsClassifier (brute force) for neighbours, vote fractions and predictions.
"""

import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from sklearn.neighbors import KNeighborsClassifier as SkKNN

from dlcourse.chapters.learning_from_data import knn
from dlcourse.chapters.learning_from_data.knn import (
    METRICS,
    KNeighborsClassifier,
    decision_grid,
    knn_demo,
    majority_vote,
    pairwise_distances,
    ranked_neighbour_labels,
)

torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def torch_distances(A, B, metric):
    a, b = torch.tensor(A), torch.tensor(B)
    if metric == "euclidean":
        return torch.cdist(a, b, p=2).numpy()
    if metric == "manhattan":
        return torch.cdist(a, b, p=1).numpy()
    return (1 - TF.cosine_similarity(a[:, None, :], b[None, :, :], dim=-1)).numpy()


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("shape", [(1, 1, 1), (5, 7, 3), (40, 30, 64)])
def test_pairwise_distances_match_torch(rng, metric, shape):
    n, m, d = shape
    A, B = rng.standard_normal((n, d)), rng.standard_normal((m, d))
    np.testing.assert_allclose(pairwise_distances(A, B, metric), torch_distances(A, B, metric),
                               rtol=1e-6, atol=1e-7)


def test_euclidean_distance_of_a_point_to_itself_is_zero_not_nan(rng):
    A = rng.standard_normal((6, 5)) * 1e3
    d = pairwise_distances(A, A)
    assert not np.isnan(d).any()
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-4)


def test_cosine_distance_ignores_vector_length(rng):
    A = rng.standard_normal((4, 3))
    np.testing.assert_allclose(pairwise_distances(A, 7.5 * A, "cosine"),
                               pairwise_distances(A, A, "cosine"), atol=1e-12)


@pytest.mark.parametrize("metric", METRICS)
def test_distances_keep_float32(rng, metric):
    A = rng.standard_normal((3, 4)).astype(np.float32)
    assert pairwise_distances(A, A, metric).dtype == np.float32


def test_distances_name_the_feature_mismatch():
    with pytest.raises(ValueError, match="A has 3 features but B has 2"):
        pairwise_distances(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="metric must be one of"):
        pairwise_distances(np.zeros((2, 3)), np.zeros((2, 3)), "chebyshev")


def test_majority_vote_gives_the_notes_class_scores_1_0_4():
    # the notes' example: k = 5 neighbours, classes (red, green, blue) -> w = (1, 0, 4)
    labels = np.array([[2, 2, 0, 2, 2]])
    assert majority_vote(labels, 3).tolist() == [[1, 0, 4]]


@pytest.mark.kernel_sensitive
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [1, 4, 7])
def test_knn_matches_sklearn_neighbours_votes_and_predictions(rng, metric, k):
    X = rng.standard_normal((60, 5))
    y = rng.integers(0, 3, 60) * 10 + 5                     # labels 5, 15, 25: not 0..C-1
    Q = rng.standard_normal((25, 5))
    ours = KNeighborsClassifier(k, metric=metric).fit(X, y)
    theirs = SkKNN(n_neighbors=k, metric=metric, algorithm="brute").fit(X, y)
    dist, idx = ours.kneighbors(Q)
    their_dist, their_idx = theirs.kneighbors(Q)
    np.testing.assert_array_equal(idx, their_idx)
    np.testing.assert_allclose(dist, their_dist, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(ours.kneighbors(Q, return_distance=False),
                                  theirs.kneighbors(Q, return_distance=False))
    np.testing.assert_allclose(ours.predict_proba(Q), theirs.predict_proba(Q))
    np.testing.assert_array_equal(ours.predict(Q), theirs.predict(Q))
    assert ours.score(Q, y[:25]) == pytest.approx(theirs.score(Q, y[:25]))


@pytest.mark.parametrize("metric", METRICS)
def test_queries_in_many_blocks_the_last_one_short_give_sklearns_neighbours(
        rng, metric, monkeypatch):
    monkeypatch.setattr(knn, "BLOCK_ENTRIES", 2 * 60 + 1)   # 2 queries a block: 13 blocks
    X, y, Q = rng.standard_normal((60, 3)), rng.integers(0, 2, 60), rng.standard_normal((25, 3))
    dist, idx = KNeighborsClassifier(4, metric=metric).fit(X, y).kneighbors(Q)
    their_dist, their_idx = SkKNN(n_neighbors=4, metric=metric, algorithm="brute").fit(
        X, y).kneighbors(Q)
    np.testing.assert_array_equal(idx, their_idx)
    np.testing.assert_allclose(dist, their_dist, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_ranking_keys_sort_as_the_distances_then_the_columns(rng, dtype):
    # negative (cosine's rounding), both zeros, ties within a row, infinities; values on a
    # grid of eighths so that float64's dropped low bits cannot merge two of them
    values = rng.integers(-40, 40, (50, 300)) / 8
    values[:, :5] = [0.0, -0.0, np.inf, -np.inf, 0.0]
    distances = values.astype(dtype)
    keys, mask = knn._ranking_keys(distances)
    columns = np.broadcast_to(np.arange(300), distances.shape)
    expected = np.lexsort((columns, np.where(distances == 0, 0, distances)), axis=1)
    np.testing.assert_array_equal(np.argsort(keys, axis=1), expected)
    np.testing.assert_array_equal(keys & mask, columns)


def test_float64_ranking_keys_keep_distances_apart_by_more_than_their_dropped_bits(rng):
    distances = rng.uniform(0, 10, (20, 1000))          # 10 bits of columns dropped
    distances[:, 1] = distances[:, 0] * (1 + 2.0**-40)  # 2**-40 > 2**(10 - 52): kept apart
    keys, mask = knn._ranking_keys(distances)
    np.testing.assert_array_equal(np.argsort(keys, axis=1),
                                  np.argsort(distances, axis=1, kind="stable"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_samples_at_the_same_distance_rank_in_the_order_stored(rng, dtype):
    near = rng.permutation(60) < 30                     # 30 copies of one point, 30 farther
    X = np.where(near[:, None], [1.0, 0.0], [3.0, 0.0]).astype(dtype)
    y = np.zeros(60, dtype=int)
    y[np.flatnonzero(near)[:12]] = 1                    # the 12 stored first are class 1
    model = KNeighborsClassifier(12).fit(X, y)
    dist, idx = model.kneighbors(np.zeros((1, 2), dtype=dtype))
    assert idx.tolist() == [np.flatnonzero(near)[:12].tolist()]
    assert dist.tolist() == [[1.0] * 12]
    assert model.predict(np.zeros((1, 2), dtype=dtype)).tolist() == [1]


def test_knn_demo_covers_the_extent_it_is_given():
    demo = knn_demo(3, noise=0.1, resolution=5, extent=(-4, 5, -3, 2.5))
    assert demo.grid.xx[0].tolist() == [-4.0, -1.75, 0.5, 2.75, 5.0]
    assert demo.grid.yy[:, 0].tolist() == [-3.0, -1.625, -0.25, 1.125, 2.5]
    # the accuracies come from the data, whatever the frame
    assert demo.val_accuracy == knn_demo(3, noise=0.1, resolution=5).val_accuracy


@pytest.mark.parametrize("extent", [(0, 1, 0), (1, 0, 0, 1), (0, 1, 2, 2)])
def test_knn_demo_refuses_an_extent_that_is_not_a_box(extent):
    with pytest.raises(ValueError, match="extent must be"):
        knn_demo(3, extent=extent)


def test_no_queries_give_no_neighbours(rng):
    model = KNeighborsClassifier(3).fit(rng.standard_normal((10, 2)), np.arange(10) % 2)
    dist, idx = model.kneighbors(np.empty((0, 2)))
    assert dist.shape == idx.shape == (0, 3)


def test_memory_stays_a_block_of_distances_whatever_the_number_of_queries(rng):
    model = KNeighborsClassifier(5).fit(rng.standard_normal((500, 2)), np.arange(500) % 2)
    Q = rng.standard_normal((20_000, 2))
    one_matrix = 20_000 * 500 * 8               # every distance at once: 80 MB
    tracemalloc.start()
    try:
        model.kneighbors(Q)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < one_matrix / 4                # blocks of 2 MB and their temporaries


def test_1nn_has_perfect_training_accuracy_because_each_point_is_its_own_neighbour(rng):
    X, y = rng.standard_normal((50, 2)), rng.integers(0, 2, 50)      # labels are pure noise
    assert KNeighborsClassifier(1).fit(X, y).score(X, y) == 1.0


def test_vote_ties_go_to_the_smallest_label():
    X, y = np.array([[0.0], [1.0]]), np.array([3, 1])
    assert KNeighborsClassifier(2).fit(X, y).predict(np.array([[0.4]])).tolist() == [1]


def test_knn_rejects_bad_settings_before_computing():
    with pytest.raises(ValueError, match="n_neighbors must be positive"):
        KNeighborsClassifier(0)
    with pytest.raises(ValueError, match="only 3 training samples"):
        KNeighborsClassifier(5).fit(np.zeros((3, 2)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        KNeighborsClassifier(1).fit(np.zeros((3, 2)), np.zeros(2, dtype=int))
    with pytest.raises(RuntimeError, match="call fit"):
        KNeighborsClassifier(1).predict(np.zeros((1, 2)))


def test_decision_grid_covers_the_data_and_evaluates_every_point(rng):
    X = rng.uniform(-3, 5, (30, 2))
    grid = decision_grid(lambda p: p[:, 0] + 10 * p[:, 1], X, resolution=17, padding=0.1)
    assert grid.xx.shape == grid.yy.shape == grid.values.shape == (17, 17)
    np.testing.assert_allclose(grid.values, grid.xx + 10 * grid.yy)
    span = X.max(0) - X.min(0)
    assert grid.xx.min() == pytest.approx(X[:, 0].min() - 0.1 * span[0])
    assert grid.yy.max() == pytest.approx(X[:, 1].max() + 0.1 * span[1])


def test_decision_grid_needs_2d_points():
    with pytest.raises(ValueError, match="2-D points"):
        decision_grid(lambda p: p[:, 0], np.zeros((4, 3)))


@pytest.mark.kernel_sensitive
def test_knn_demo_1nn_memorises_training_set_but_validation_tells_the_truth():
    demo = knn_demo(k=1, noise=0.4, resolution=20)
    assert demo.train_accuracy == 1.0
    assert demo.val_accuracy < 0.95
    assert demo.grid.values.shape == (20, 20)


@pytest.mark.kernel_sensitive
def test_knn_demo_more_noise_lowers_validation_accuracy():
    clean = knn_demo(k=5, noise=0.05, resolution=10)
    noisy = knn_demo(k=5, noise=0.6, resolution=10)
    assert clean.val_accuracy > 0.97 > noisy.val_accuracy


@pytest.mark.parametrize("metric", METRICS)
def test_knn_demo_matches_sklearn_for_every_k_from_one_ranking(metric):
    from dlcourse.data import moons
    noise, n, resolution = 0.35, 60, 12
    X, y = moons(2 * n, noise=noise, seed=3)
    for k in (1, 4, 7, 51, 60):   # 4: vote ties; 60 > the 51 neighbours ranked by default
        demo = knn_demo(k, metric, noise, n=n, resolution=resolution, seed=3)
        sk = SkKNN(n_neighbors=k, metric=metric, algorithm="brute").fit(X[:n], y[:n])
        points = np.stack([demo.grid.xx.ravel(), demo.grid.yy.ravel()], axis=1)
        np.testing.assert_array_equal(demo.grid.values.ravel(), sk.predict(points))
        assert demo.train_accuracy == pytest.approx(sk.score(X[:n], y[:n]))
        assert demo.val_accuracy == pytest.approx(sk.score(X[n:], y[n:]))
        np.testing.assert_array_equal(demo.X_train, X[:n])


def test_ranked_neighbour_labels_are_the_labels_sorted_by_distance(rng):
    X, y = rng.normal(size=(30, 2)), rng.choice([3, 8, 9], size=30)
    Q = rng.normal(size=(7, 2))
    model = KNeighborsClassifier().fit(X, y)
    ranked = ranked_neighbour_labels(model, Q, 10)
    order = np.argsort(torch_distances(Q, X, "euclidean"), axis=1)[:, :10]
    assert ranked.shape == (7, 10)
    np.testing.assert_array_equal(np.array([3, 8, 9])[ranked], y[order])


def test_knn_demo_refuses_more_neighbours_than_training_points():
    with pytest.raises(ValueError, match="k=11 but only n=10"):
        knn_demo(11, n=10, resolution=5)
    with pytest.raises(ValueError, match="k"):
        knn_demo(0, n=10, resolution=5)
