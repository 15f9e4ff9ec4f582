"""Chapter 01 panels (dlcourse.chapters.learning_from_data.panels) and plots
(dlcourse.chapters.learning_from_data.plots)."""

import asyncio

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.chapters.learning_from_data import knn
from dlcourse.chapters.learning_from_data import plots as viz
from dlcourse.chapters.learning_from_data.bandit import epsilon_greedy_bandit
from dlcourse.chapters.learning_from_data.clustering import kmeans
from dlcourse.chapters.learning_from_data.features import PCA, hog
from dlcourse.chapters.learning_from_data.knn import decision_grid, knn_demo
from dlcourse.chapters.learning_from_data.linear_classifier import (
    LogisticRegression,
    SoftmaxClassifier,
)
from dlcourse.chapters.learning_from_data.panels import knn_panel, search_panel
from dlcourse.chapters.learning_from_data.search import KNNSearch, compare_search
from dlcourse.data import SEGMENTATION_CLASSES, blobs, shapes_detection, shapes_segmentation
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel

matplotlib.use("Agg")


def _knn_shown(panel):
    """The k-NN panel's title, its regions image and the training points of class 0."""
    ax = panel.figure.axes[0]
    return ax.get_title(), ax.images[0].get_array(), ax.collections[0].get_offsets()


def test_an_idle_knn_panel_ranks_the_other_metrics_and_noise_levels_ahead():
    ranked = knn._ranked_moons.cache_info

    async def cell():   # built in a notebook cell: the kernel's loop runs on
        before = ranked().misses
        panel = knn_panel(noise=0.1, seed=7)      # data sets no other test ranks
        while ranked().misses < before + 19:      # its own, 2 metrics, 16 noise levels
            await asyncio.sleep(0.01)
        return panel

    panel = asyncio.run(cell())
    misses = ranked().misses
    for name, value in (("metric", "cosine"), ("metric", "euclidean"), ("noise", 0.05),
                        ("noise", 0.1 + 0.05),   # 0.15000000000000002, as a slider may say
                        ("noise", 0.8), ("noise", 0.0)):
        panel.controls[name].value = value
    panel.controls["noise"].value = 0.1 + 0.05
    assert ranked().misses == misses and panel.result.metric == "euclidean"
    levels = [i / 20 for i in range(17)]                  # the slider's 0 .. 0.8
    expected = knn_demo(5, "euclidean", 0.15, seed=7, extent=knn.moons_extent(levels, seed=7))
    assert panel.result.grid.values.tolist() == expected.grid.values.tolist()


def test_the_knn_panels_frame_holds_every_noise_levels_data_and_stays_put():
    panel = knn_panel(noise=0.0)
    ax = panel.figure.axes[0]
    limits = ax.get_xlim(), ax.get_ylim()
    for noise in (0.8, 0.35, 0.0):
        panel.controls["noise"].value = noise
        assert (ax.get_xlim(), ax.get_ylim()) == limits
        xx, yy = panel.result.grid.xx, panel.result.grid.yy
        for X in (panel.result.X_train, panel.result.X_val):
            assert xx.min() < X[:, 0].min() and X[:, 0].max() < xx.max()
            assert yy.min() < X[:, 1].min() and X[:, 1].max() < yy.max()
    np.testing.assert_allclose((xx.min(), xx.max()), limits[0], rtol=1e-6)
    np.testing.assert_allclose((yy.min(), yy.max()), limits[1], rtol=1e-6)


@pytest.mark.slow
def test_knn_panel_redraws_when_k_metric_or_noise_change():
    panel = knn_panel()
    first_image, first_summary = panel.image.value, panel.summary.value
    assert "validation accuracy" in first_summary
    panel.controls["k"].value = 1
    assert panel.result.k == 1 and panel.result.train_accuracy == 1.0
    assert panel.image.value != first_image
    panel.controls["metric"].value = "cosine"
    assert panel.result.metric == "cosine"
    title, regions, _ = _knn_shown(panel)
    assert title == "k-NN decision regions (k = 1, cosine)"
    np.testing.assert_array_equal(regions, panel.result.grid.values)
    before = panel.summary.value
    panel.controls["noise"].value = 0.0
    assert panel.summary.value != before
    title, regions, points = _knn_shown(panel)
    np.testing.assert_array_equal(regions, panel.result.grid.values)
    np.testing.assert_array_equal(points, panel.result.X_train[panel.result.y_train == 0])
    assert panel.last_update_ms > 0


@pytest.mark.slow
def test_search_panel_spends_the_chosen_budget_on_both_searches():
    panel = search_panel(budget=16)
    assert "4 distinct values" in panel.summary.value
    panel.controls["budget"].value = 49
    assert len(panel.result.grid.points) == len(panel.result.random.points) == 49
    assert "7 distinct values" in panel.summary.value
    assert "49 distinct values" in panel.summary.value
    first = panel.result.random.points
    panel.controls["seed"].value = 5
    assert not np.array_equal(panel.result.random.points, first)


@pytest.fixture(scope="module")
def blob_model():
    X, y = blobs(90, centers=[[-2, -2], [2, -1], [0, 2.5]], std=0.7, seed=0)
    model = SoftmaxClassifier(epochs=100).fit(X, y)
    return X, y, model, decision_grid(model.predict, X, 40)


def test_plot_hyperplanes_draws_one_dashed_line_per_class(blob_model):
    X, y, model, grid = blob_model
    ax = viz.plot_hyperplanes(Figure().add_subplot(), model.weight, model.bias, X, y, grid)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[3:] == ["$w_0 x + b_0 = 0$", "$w_1 x + b_1 = 0$", "$w_2 x + b_2 = 0$"]
    assert labels[:3] == ["class 0", "class 1", "class 2"]


def test_panel_drawers_return_summaries():
    fig = Figure()
    assert "training accuracy" in viz.plot_knn_demo(fig, knn_demo(resolution=10))
    fig = Figure()
    assert "grid: 9 trials" in viz.plot_search(fig, compare_search(9, max_budget=20, repeats=5))
    assert len(fig.axes) == 2


def test_plots_set_titles_and_labels(blob_model):
    X, y, model, grid = blob_model
    fig = Figure()
    axes = fig.subplots(2, 4).ravel()
    drawn = [
        viz.plot_decision_regions(axes[0], grid, X, y),
        viz.plot_regression(axes[1], X[:, 0], X[:, 1], np.array([0.5]), 1.0),
        viz.plot_clusters(axes[2], X, kmeans(X, 3)),
        viz.plot_knn_search(axes[3], KNNSearch((1, 3), ("euclidean", "cosine"),
                                               np.array([[0.9, 0.95], [0.8, 0.85]]))),
        viz.plot_feature_comparison(axes[4], {"pixels": (64, 0.98), "HoG": (36, 0.94)}),
        viz.plot_explained_variance(axes[5], PCA().fit(np.random.default_rng(0).random((30, 6)))),
        viz.plot_probabilities(axes[6], {"softmax(x)": [0.05, 0.02, 0.93]}, ["a", "b", "c"]),
        viz.plot_entropy(axes[7]),
    ]
    for ax in drawn:
        assert ax.get_title() and ax.get_xlabel()


def test_image_plots_make_one_panel_per_image_or_task():
    fig = viz.show_images(Figure(), np.zeros((5, 1, 4, 4)), titles=list("abcde"), ncols=3)
    assert len(fig.axes) == 6 and fig.axes[4].get_title() == "e"
    _, masks = shapes_segmentation(1, size=16, seed=0)
    scenes, boxes, labels = shapes_detection(1, size=16, seed=0)
    fig = viz.plot_tasks(Figure(), np.zeros((8, 8)), "0", scenes[0], boxes[0], labels[0],
                         masks[0], SEGMENTATION_CLASSES)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == [
        "classification", "detection", "segmentation"]


def test_logistic_plot_shows_sigmoid_probability_map_and_loss():
    X, y = blobs(60, centers=[[-1.0, -1.0], [1.0, 1.0]], std=0.8, seed=0)
    model = LogisticRegression(epochs=20).fit(X, y)
    fig = viz.plot_logistic(Figure(), model, X, y, decision_grid(model.predict_proba, X, 30))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("The sigmoid") and titles[1].startswith("Logistic regression")
    assert titles[2].startswith("Training loss")
    assert len(fig.axes[2].get_lines()[0].get_xdata()) == 20


def test_bandit_plot_draws_one_curve_per_run_and_the_ceiling():
    runs = {f"eps {e}": epsilon_greedy_bandit([0.0, 1.0], steps=50, epsilon=e) for e in (0, 0.5)}
    ax = viz.plot_bandit(Figure().add_subplot(), runs)
    assert len(ax.get_lines()) == 3
    assert ax.get_lines()[-1].get_ydata()[0] == 1.0


def test_hog_plot_draws_one_line_per_bin_and_cell():
    image = np.random.default_rng(0).random((1, 1, 8, 8))
    ax = viz.plot_hog(Figure().add_subplot(), image, hog(image, cell_size=4, bins=6),
                      cell_size=4, bins=6)
    assert len(ax.get_lines()) == 2 * 2 * 6


def test_show_images_centres_colours_on_zero_per_image_or_on_one_shared_scale():
    images = np.array([[[1.0, -0.5]], [[0.25, -4.0]]])                 # (2, 1, 2)
    each = viz.show_images(Figure(), images, symmetric=True)
    assert [ax.images[0].get_clim() for ax in each.axes[:2]] == [(-1.0, 1.0), (-4.0, 4.0)]
    shared = viz.show_images(Figure(), images, symmetric="shared")
    assert [ax.images[0].get_clim() for ax in shared.axes[:2]] == [(-4.0, 4.0)] * 2
    with pytest.raises(ValueError, match="symmetric"):
        viz.show_images(Figure(), images, symmetric="both")


@pytest.mark.slow
def test_knn_panel_after_changes_shows_what_a_fresh_panel_shows():
    # another noise level moves the points inside the frame, which stays put
    changes = [("noise", 0.7), ("k", 1), ("metric", "manhattan"), ("noise", 0.05), ("k", 21),
               ("noise", 0.4)]
    assert_shows_like_a_fresh_panel(knn_panel(), knn_panel, changes)


def test_search_panel_after_changes_shows_what_a_fresh_panel_shows():
    changes = [("budget", 9), ("seed", 3), ("budget", 100), ("budget", 1), ("seed", 0),
               ("budget", 37)]
    assert_shows_like_a_fresh_panel(search_panel(), search_panel, changes)


def test_search_panel_shows_the_trials_and_the_budget_it_is_set_to():
    panel = search_panel()
    panel.controls["budget"].value = 25
    panel.controls["seed"].value = 7
    ax_trials, ax_curve = panel.figure.axes
    grid, random = ax_trials.collections
    np.testing.assert_array_equal(grid.get_offsets(), panel.result.grid.points)
    np.testing.assert_array_equal(random.get_offsets(), panel.result.random.points)
    assert ax_trials.get_title().startswith("25 trials each")
    assert [t.get_text() for t in ax_trials.get_legend().get_texts()] == [
        f"grid: best {panel.result.grid.best_score:.3f}",
        f"random: best {panel.result.random.best_score:.3f}"]
    assert ax_curve.lines[2].get_xdata()[0] == 25
    assert ax_curve.get_legend().get_texts()[-1].get_text() == "budget = 25"
    band = ax_curve.collections
    assert len(band) == 1                   # the band of the last seed only
    low, high = ax_curve.get_ylim()
    assert low <= panel.result.curve.random_low.min() and high >= panel.result.curve.grid.max()
