"""Choosing hyperparameters: grid search vs random search, and a real k-NN search.

Hyperparameters (k of k-NN, a learning rate, a layer width) are not learned by ``fit``: we try
several values, score each on a *validation* set and keep the best.  The *test* set is used
once, at the very end, for the final number; had it helped choose, it would no longer be
unseen data and its accuracy would be optimistic (split with
:func:`dlcourse.data.train_val_test_split`).

Grid search tries every combination of a few values per hyperparameter; random search draws
each trial's values at random.  With the same budget of ``n`` trials over two
hyperparameters, a grid tries only ``sqrt(n)`` distinct values of each, a random search
``n``.  When only one of them matters, random search explores it ``sqrt(n)`` times more
finely (Bergstra and Bengio, JMLR 2012).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from dlcourse._validate import check_positive
from dlcourse.backend import array_module
from dlcourse.chapters.learning_from_data.knn import (
    METRICS,
    DecisionGrid,
    KNeighborsClassifier,
    box_grid,
    majority_vote,
)

__all__ = ["BOUNDS", "BudgetCurve", "KNNSearch", "SearchComparison", "SearchResult",
           "best_vs_budget", "compare_search", "grid_points", "grid_search",
           "knn_validation_search", "one_knob_objective", "random_points", "random_search"]

BOUNDS = ((0.0, 1.0), (0.0, 1.0))   # search box of the two-knob toy problem


# --- grid vs random on a toy problem ------------------------------------------------------

def one_knob_objective(important, unimportant):
    """A pretend validation accuracy over two hyperparameters in [0, 1]: only one matters.

    A narrow bump (standard deviation 0.025) at ``important = 0.47`` lifts the score from
    0.5 to 0.9; ``unimportant`` moves it by at most 0.01.  Works elementwise on arrays.

    >>> [round(float(one_knob_objective(i, 0.0)), 4) for i in (0.47, 0.5, 0.9)]
    [0.9, 0.6947, 0.5]
    """
    return 0.5 + 0.4 * np.exp(-0.5 * ((important - 0.47) / 0.025) ** 2) + 0.01 * unimportant


class SearchResult(NamedTuple):
    """The trials of a search: ``points`` ``(n, d)`` and their ``scores`` ``(n,)``."""

    points: np.ndarray
    scores: np.ndarray

    @property
    def best_point(self) -> np.ndarray:
        return self.points[int(np.argmax(self.scores))]

    @property
    def best_score(self) -> float:
        return float(np.max(self.scores))


def _check_bounds(bounds) -> np.ndarray:
    bounds = np.asarray(bounds, dtype=np.float64)
    if bounds.ndim != 2 or bounds.shape[1] != 2 or not (bounds[:, 0] < bounds[:, 1]).all():
        raise ValueError(f"bounds must be a list of (low, high) pairs with low < high, "
                         f"got {bounds.tolist()}")
    return bounds


def grid_points(budget: int, bounds=BOUNDS) -> np.ndarray:
    """All combinations of ``m`` evenly spaced values per hyperparameter, ``m**d <= budget``.

    ``m = floor(budget ** (1/d))``, so a budget that is not a perfect power leaves some
    trials unused: a grid cannot spend an arbitrary budget.

    >>> grid_points(4).tolist()
    [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    >>> len(grid_points(10))                      # a 3 x 3 grid: one trial of 10 unused
    9
    """
    check_positive(budget, "budget")
    bounds = _check_bounds(bounds)
    d = len(bounds)
    m = int(math.floor(budget ** (1 / d) + 1e-9))            # + 1e-9: 9 ** 0.5 may be 2.999...
    axes = [np.linspace(low, high, m) if m > 1 else np.array([(low + high) / 2])
            for low, high in bounds]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)


def random_points(budget: int, bounds=BOUNDS, *, seed=0) -> np.ndarray:
    """``budget`` points drawn uniformly from the box ``bounds`` ``(d, 2)``; ``(budget, d)``.

    >>> random_points(3, seed=0).shape
    (3, 2)
    """
    check_positive(budget, "budget")
    bounds = _check_bounds(bounds)
    rng = np.random.default_rng(seed)
    return rng.uniform(bounds[:, 0], bounds[:, 1], size=(budget, len(bounds)))


def grid_search(objective: Callable, budget: int, bounds=BOUNDS) -> SearchResult:
    """Score ``objective(*point)`` on :func:`grid_points`; higher is better.

    ``objective`` takes one array per hyperparameter and scores all trials at once.

    >>> grid_search(one_knob_objective, 9).best_point.tolist()
    [0.5, 1.0]
    """
    points = grid_points(budget, bounds)
    return SearchResult(points, np.asarray(objective(*points.T), dtype=np.float64))


def random_search(objective: Callable, budget: int, bounds=BOUNDS, *, seed=0) -> SearchResult:
    """Score ``objective(*point)`` on :func:`random_points`; higher is better.

    >>> random = random_search(one_knob_objective, 100, seed=0)
    >>> round(random.best_score, 2), round(grid_search(one_knob_objective, 100).best_score, 2)
    (0.87, 0.75)
    """
    points = random_points(budget, bounds, seed=seed)
    return SearchResult(points, np.asarray(objective(*points.T), dtype=np.float64))


class BudgetCurve(NamedTuple):
    """Best score found against the budget: grid search (deterministic) and random search
    (mean and 10 %/90 % quantiles over repeated runs)."""

    budgets: np.ndarray
    grid: np.ndarray
    random_mean: np.ndarray
    random_low: np.ndarray
    random_high: np.ndarray


def best_vs_budget(objective: Callable = one_knob_objective, max_budget: int = 100,
                   bounds=BOUNDS, *, repeats: int = 200, seed=0) -> BudgetCurve:
    """Best score found by grid and by random search for every budget ``1 .. max_budget``.

    One random run of ``max_budget`` trials also answers every smaller budget: its best
    score after ``n`` trials is the running maximum of its first ``n`` scores.

    >>> curve = best_vs_budget(max_budget=25, repeats=50)
    >>> bool(curve.random_mean[-1] > curve.grid[-1])
    True
    """
    check_positive(max_budget, "max_budget")
    check_positive(repeats, "repeats")
    bounds = _check_bounds(bounds)
    budgets = np.arange(1, max_budget + 1)
    grid = np.array([grid_search(objective, int(n), bounds).best_score for n in budgets])
    rng = np.random.default_rng(seed)
    trials = rng.uniform(bounds[:, 0], bounds[:, 1], size=(repeats, max_budget, len(bounds)))
    scores = objective(*np.moveaxis(trials, -1, 0))                 # (repeats, max_budget)
    best = np.maximum.accumulate(scores, axis=1)
    low, high = np.quantile(best, [0.1, 0.9], axis=0)
    return BudgetCurve(budgets, grid, best.mean(axis=0), low, high)


class SearchComparison(NamedTuple):
    """What the grid-vs-random panel shows for one budget."""

    grid: SearchResult
    random: SearchResult
    curve: BudgetCurve
    landscape: DecisionGrid


def compare_search(budget: int = 16, *, max_budget: int = 100, repeats: int = 200,
                   seed: int = 0) -> SearchComparison:
    """Grid and random search with the same ``budget`` on :func:`one_knob_objective`.

    Returns both searches' trials, the best-vs-budget curves up to ``max_budget`` and the
    objective on a 100 x 100 grid (for a contour plot behind the trials).

    >>> c = compare_search(16)
    >>> len(np.unique(c.grid.points[:, 0])), len(np.unique(c.random.points[:, 0]))
    (4, 16)
    """
    check_positive(budget, "budget")
    return SearchComparison(
        grid_search(one_knob_objective, budget),
        random_search(one_knob_objective, budget, seed=seed),
        (_budget_curve if isinstance(seed, int) else best_vs_budget)(   # None: fresh each time
            max_budget=max(max_budget, budget), repeats=repeats, seed=seed),
        _landscape(),
    )


@functools.lru_cache(maxsize=32)
def _budget_curve(*, max_budget: int, repeats: int, seed: int) -> BudgetCurve:
    """:func:`best_vs_budget` of the one-knob objective, computed once per setting (a panel
    asks again for every budget); read-only, as it is shared."""
    curve = best_vs_budget(max_budget=max_budget, repeats=repeats, seed=seed)
    for values in curve:
        values.setflags(write=False)
    return curve


@functools.lru_cache(maxsize=1)
def _landscape() -> DecisionGrid:
    """The one-knob objective on a 100 x 100 grid over the box (read-only, shared)."""
    (x_min, x_max), (y_min, y_max) = BOUNDS
    landscape = box_grid(lambda p: one_knob_objective(p[:, 0], p[:, 1]),
                         (x_min, x_max, y_min, y_max), resolution=100)
    for values in landscape:
        if isinstance(values, np.ndarray):
            values.setflags(write=False)
    return landscape


# --- a real search: k and the metric of k-NN, scored on a validation set ------------------

class KNNSearch(NamedTuple):
    """Validation accuracy ``accuracy[i, j]`` of k-NN with ``metrics[i]`` and ``ks[j]``."""

    ks: tuple
    metrics: tuple
    accuracy: np.ndarray

    @property
    def best(self) -> tuple[int, str]:
        """``(k, metric)`` with the highest validation accuracy (the smaller k on ties)."""
        i, j = np.unravel_index(int(np.argmax(self.accuracy)), self.accuracy.shape)
        return self.ks[j], self.metrics[i]


def knn_validation_search(X_train, y_train, X_val, y_val, *,
                          ks: Sequence[int] = (1, 3, 5, 7, 9, 11, 15, 21),
                          metrics: Sequence[str] = METRICS) -> KNNSearch:
    """Grid search over ``k`` and the distance metric of k-NN, scored on ``(X_val, y_val)``.

    The neighbours are found once per metric; every ``k`` then votes among the first
    ``k`` of them, so the sweep costs little more than one prediction.  Each entry equals
    ``KNeighborsClassifier(k, metric=m).fit(X_train, y_train).score(X_val, y_val)`` (up to
    how ties at exactly the k-th distance are broken).

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]]), np.repeat([0, 1], 3)
    >>> knn_validation_search(X, y, np.array([[0.5], [11.5]]), np.array([0, 1]), ks=(1, 3),
    ...                       metrics=("euclidean",)).accuracy.tolist()
    [[1.0, 1.0]]
    """
    ks, metrics = tuple(int(k) for k in ks), tuple(metrics)
    if not ks or not metrics:
        raise ValueError("give at least one k and one metric")
    accuracy = np.zeros((len(metrics), len(ks)))
    for i, metric in enumerate(metrics):
        model = KNeighborsClassifier(max(ks), metric=metric).fit(X_train, y_train)
        neighbors = model.kneighbors(X_val, return_distance=False)  # (n_val, max k), sorted
        labels = model._y[neighbors]
        xp = array_module(labels)
        for j, k in enumerate(ks):
            check_positive(k, "k")
            votes = majority_vote(labels[:, :k], len(model.classes_))
            predicted = model.classes_[votes.argmax(axis=1)]
            accuracy[i, j] = float(xp.mean(predicted == y_val))
    return KNNSearch(ks, metrics, accuracy)
