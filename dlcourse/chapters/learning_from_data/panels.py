"""Chapter 01 panels: k-NN decision regions, and grid vs random hyperparameter search.

Each panel wires a tested compute function
(:func:`dlcourse.chapters.learning_from_data.knn.knn_demo`,
:func:`dlcourse.chapters.learning_from_data.search.compare_search`) to a drawer in
:mod:`dlcourse.chapters.learning_from_data.plots`.
"""

from __future__ import annotations

import ipywidgets as widgets

from dlcourse.backend import to_numpy
from dlcourse.chapters.learning_from_data.knn import METRICS, knn_demo, moons_extent
from dlcourse.chapters.learning_from_data.plots import (
    knn_summary,
    knn_title,
    plot_knn_demo,
    plot_search,
    random_search_band,
    search_labels,
    search_summary,
    search_title,
)
from dlcourse.chapters.learning_from_data.search import compare_search
from dlcourse.ui.panel import Panel

__all__ = ["knn_panel", "nearby_knn_settings", "search_panel"]

NOISE_STEP, MAX_NOISE = 0.05, 0.8    # the k-NN panel's noise slider: 0 .. 0.8 in 0.05 steps


def _noise_level(noise: float) -> float:
    """``noise`` on the slider's grid, as the remembered rankings are keyed: the browser's
    0.1 + 0.05 is 0.15000000000000002.

    >>> _noise_level(0.1 + 0.05)
    0.15
    """
    return round(noise, 2)


NOISE_LEVELS = tuple(_noise_level(i * NOISE_STEP)           # every value the slider offers
                     for i in range(round(MAX_NOISE / NOISE_STEP) + 1))


def _draw_knn(fig, demo):
    """The axes, the labels and the legend once; the regions, the points and the title
    change.  The axes' limits are the grid's extent, the same for every noise level."""
    plot_knn_demo(fig, demo)
    ax = fig.axes[0]
    # the points are redrawn too, so that they stay above the regions
    return {"regions": ax.images[0], "points": list(ax.collections), "title": ax.title}


def _update_knn(artists, demo):
    artists["regions"].set_data(to_numpy(demo.grid.values))
    points = artists["points"]      # a scatter per class: training points, then validation
    train, val = points[:len(points) // 2], points[len(points) // 2:]
    for scatters, X, y in ((train, demo.X_train, demo.y_train), (val, demo.X_val, demo.y_val)):
        X, y = to_numpy(X), to_numpy(y)
        for c, scatter in enumerate(scatters):
            scatter.set_offsets(X[y == c])
    artists["title"].set_text(knn_title(demo))
    return knn_summary(demo)


def knn_panel(*, k: int = 5, metric: str = "euclidean", noise: float = 0.3,
              seed: int = 0) -> Panel:
    """Sliders for k, the distance metric and the noise of the two-moons data; the plot
    shows the decision regions, the summary the training and validation accuracy.

    >>> panel = knn_panel()
    >>> panel.controls["k"].value = 1
    >>> panel.result.train_accuracy
    1.0

    A new metric or noise level is a new data set to rank (about 15 ms); while the panel is
    idle, it ranks the noise levels either side, the other metrics, then every other noise
    level (:func:`nearby_knn_settings`, a quarter of a second in all), so that choosing one
    of them only counts votes.  The grid covers the data of every noise level
    (:func:`~dlcourse.chapters.learning_from_data.knn.moons_extent`): the points spread in a
    frame that stays put, and the axes are drawn once.
    """
    controls = {
        "k": widgets.IntSlider(value=k, min=1, max=51, step=2, description="k"),
        "metric": widgets.Dropdown(options=METRICS, value=metric, description="metric"),
        "noise": widgets.FloatSlider(value=noise, min=0.0, max=MAX_NOISE, step=NOISE_STEP,
                                     description="noise"),
    }

    extent = moons_extent(NOISE_LEVELS, seed=seed)

    def compute(k, metric, noise):
        return knn_demo(k, metric, _noise_level(noise), seed=seed, extent=extent)

    return Panel(compute, _draw_knn, controls, update=_update_knn,
                 prefetch=nearby_knn_settings, figsize=(7.5, 4.2))


def nearby_knn_settings(values: dict) -> list[dict]:
    """The k-NN panel's values a learner is likely to reach next, in that order: the noise
    one step either side, each other metric, then every other noise level, nearest first
    (the slider dragged on).

    >>> settings = nearby_knn_settings({"k": 5, "metric": "cosine", "noise": 0.1})
    >>> [(v["metric"], v["noise"]) for v in settings[:6]]  # doctest: +NORMALIZE_WHITESPACE
    [('cosine', 0.15), ('cosine', 0.05), ('euclidean', 0.1), ('manhattan', 0.1),
     ('cosine', 0.2), ('cosine', 0.0)]
    >>> len(settings)        # 16 other noise levels, 2 other metrics
    18
    """
    noise = _noise_level(values["noise"])
    others = sorted((level for level in NOISE_LEVELS if level != noise),
                    key=lambda level: (round(abs(level - noise), 2), -level))
    metrics = [{**values, "metric": metric} for metric in METRICS if metric != values["metric"]]
    by_noise = [{**values, "noise": level} for level in others]
    return by_noise[:2] + metrics + by_noise[2:]


def _draw_search(fig, comparison):
    """The landscape, the axes (the scores' range is the objective's) and the grid search's
    curve once; the trials, title, labels, the random search's curve and band and the budget
    line change."""
    plot_search(fig, comparison)
    ax_trials, ax_curve = fig.axes
    grid_line, mean, budget = ax_curve.lines
    # in drawing order: under the curves the band, then the curves, the legends
    return {"trials": list(ax_trials.collections), "title": ax_trials.title,
            "trials_legend": ax_trials.get_legend(), "band": ax_curve.collections[0],
            "curves": [grid_line, mean, budget], "curve_legend": ax_curve.get_legend()}


def _update_search(artists, comparison):
    for scatter, result in zip(artists["trials"], (comparison.grid, comparison.random),
                               strict=True):
        scatter.set_offsets(result.points)
    for text, label in zip(artists["trials_legend"].get_texts(), search_labels(comparison),
                           strict=True):
        text.set_text(label)
    artists["title"].set_text(search_title(comparison))
    ax_curve = artists["band"].axes
    artists["band"].remove()
    artists["band"] = random_search_band(ax_curve, comparison.curve)
    _, mean, budget = artists["curves"]
    mean.set_data(comparison.curve.budgets, comparison.curve.random_mean)
    n = len(comparison.random.points)
    budget.set_xdata([n, n])
    artists["curve_legend"].get_texts()[-1].set_text(f"budget = {n}")
    return search_summary(comparison)


def search_panel(*, budget: int = 16, seed: int = 1) -> Panel:
    """A budget slider: grid and random search spend the same number of trials on a problem
    where only one of two hyperparameters matters; the seed slider draws another random
    search (and another set of repeats for the band).

    >>> panel = search_panel(budget=9)
    >>> len(panel.result.random.points)
    9
    """
    controls = {
        "budget": widgets.IntSlider(value=budget, min=1, max=100, description="budget (trials)"),
        "seed": widgets.IntSlider(value=seed, min=0, max=20, description="random seed"),
    }
    return Panel(compare_search, _draw_search, controls, update=_update_search,
                 figsize=(10.0, 4.3))
