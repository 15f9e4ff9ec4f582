"""Hyperparameter search (dlcourse.chapters.learning_from_data.search): grids, random trials, the
budget curves, and the k-NN validation sweep (checked against one KNeighborsClassifier per
setting)."""

import numpy as np
import pytest

from dlcourse.chapters.learning_from_data.knn import KNeighborsClassifier
from dlcourse.chapters.learning_from_data.search import (
    best_vs_budget,
    compare_search,
    grid_points,
    grid_search,
    knn_validation_search,
    one_knob_objective,
    random_points,
    random_search,
)
from dlcourse.data import digits, train_val_test_split


@pytest.mark.parametrize("budget, per_axis", [(1, 1), (4, 2), (9, 3), (10, 3), (99, 9), (100, 10)])
def test_grid_of_budget_n_tries_floor_sqrt_n_values_per_parameter(budget, per_axis):
    points = grid_points(budget)
    assert points.shape == (per_axis**2, 2)
    assert len(np.unique(points[:, 0])) == len(np.unique(points[:, 1])) == per_axis


def test_grid_in_three_dimensions_uses_the_cube_root_and_the_bounds():
    points = grid_points(30, [(0, 1), (10, 20), (-1, 1)])     # 3 per axis: 27 <= 30 < 64
    assert points.shape == (27, 3)
    np.testing.assert_array_equal(np.unique(points[:, 1]), [10.0, 15.0, 20.0])


def test_random_points_are_inside_the_box_distinct_and_reproducible():
    bounds = [(2.0, 3.0), (-5.0, -4.0)]
    points = random_points(50, bounds, seed=4)
    assert points.shape == (50, 2)
    assert (points[:, 0] >= 2).all() and (points[:, 0] <= 3).all()
    assert (points[:, 1] >= -5).all() and (points[:, 1] <= -4).all()
    assert len(np.unique(points[:, 0])) == 50
    np.testing.assert_array_equal(points, random_points(50, bounds, seed=4))


def test_bad_bounds_and_budgets_are_rejected():
    with pytest.raises(ValueError, match="low < high"):
        grid_points(4, [(1.0, 0.0)])
    with pytest.raises(ValueError, match="budget must be positive"):
        random_points(0)


def test_one_knob_objective_barely_depends_on_the_unimportant_parameter():
    important = np.linspace(0, 1, 101)
    spread = one_knob_objective(important, 1.0) - one_knob_objective(important, 0.0)
    np.testing.assert_allclose(spread, 0.01)
    assert one_knob_objective(0.47, 0.0) == pytest.approx(0.9)


def test_searches_score_every_trial_and_report_the_best():
    result = grid_search(one_knob_objective, 16)
    np.testing.assert_allclose(result.scores, one_knob_objective(*result.points.T))
    assert result.best_score == result.scores.max()
    assert one_knob_objective(*result.best_point) == pytest.approx(result.best_score)
    assert len(random_search(one_knob_objective, 16, seed=0).points) == 16


@pytest.mark.kernel_sensitive
def test_random_search_beats_grid_search_on_average_when_one_parameter_matters():
    curve = best_vs_budget(max_budget=100, repeats=200, seed=0)
    assert curve.budgets.tolist() == list(range(1, 101))
    assert (curve.random_low <= curve.random_mean).all()
    assert (curve.random_mean <= curve.random_high).all()
    # averaged over budgets 10..100, random search finds a clearly better score
    assert curve.random_mean[9:].mean() > curve.grid[9:].mean() + 0.1
    # and its mean best score can only grow with the budget
    assert (np.diff(curve.random_mean) >= 0).all()


def test_compare_search_spends_the_same_budget_on_both():
    comparison = compare_search(25, max_budget=30, repeats=20, seed=1)
    assert len(comparison.grid.points) == len(comparison.random.points) == 25
    assert len(np.unique(comparison.grid.points[:, 0])) == 5
    assert len(np.unique(comparison.random.points[:, 0])) == 25
    assert comparison.landscape.values.shape == (100, 100)
    assert len(comparison.curve.budgets) == 30


@pytest.fixture(scope="module")
def digit_split():
    X, y = digits(flatten=True)
    # digit pixels take 17 grey levels, so distances tie; a tiny jitter makes the k nearest
    # unique, so "the first k of the 9 nearest" and "the 4 nearest" are the same samples
    X = X + 1e-4 * np.random.default_rng(0).standard_normal(X.shape).astype(np.float32)
    split = train_val_test_split(X, y, val=0.2, test=0.2, seed=0)
    (X_train, y_train), (X_val, y_val) = split.train, split.val
    return X_train[:500], y_train[:500], X_val[:150], y_val[:150]


@pytest.mark.kernel_sensitive
def test_knn_validation_search_equals_one_classifier_per_setting(digit_split):
    X_train, y_train, X_val, y_val = digit_split
    ks = (1, 2, 4, 9)
    search = knn_validation_search(X_train, y_train, X_val, y_val, ks=ks)
    assert search.accuracy.shape == (3, 4)
    for i, metric in enumerate(search.metrics):
        for j, k in enumerate(ks):
            model = KNeighborsClassifier(k, metric=metric).fit(X_train, y_train)
            assert search.accuracy[i, j] == pytest.approx(model.score(X_val, y_val))
    k, metric = search.best
    assert search.accuracy[search.metrics.index(metric), ks.index(k)] == search.accuracy.max()


def test_knn_validation_search_needs_settings_to_try(digit_split):
    with pytest.raises(ValueError, match="at least one k"):
        knn_validation_search(*digit_split, ks=())


def test_compare_search_computes_the_curve_of_a_seed_once_for_every_budget():
    a, b = compare_search(9, seed=4), compare_search(25, seed=4)
    assert a.curve is b.curve and not a.curve.random_mean.flags.writeable   # shared: read-only
    np.testing.assert_array_equal(a.curve.random_mean, best_vs_budget(seed=4).random_mean)
    assert compare_search(9, seed=5).curve is not a.curve
    assert compare_search(9, seed=None).curve is not compare_search(9, seed=None).curve
