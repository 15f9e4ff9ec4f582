"""Chapter 07 panel and plots: the signal explorer redraws and names the regime it shows."""

import asyncio

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dlcourse.chapters.training_deep_nets.panels import signal_explorer, signal_panel, verdict
from dlcourse.chapters.training_deep_nets.plots import (
    layer_histograms,
    plot_confusion,
    plot_covariate_shift,
    plot_gallery,
    plot_history,
    plot_signal,
    plot_std_per_layer,
    plot_weight_histograms,
    set_std_per_layer,
)
from dlcourse.chapters.training_deep_nets.regularisation import augmentation_gallery, train_mlp
from dlcourse.chapters.training_deep_nets.signal_propagation import propagate
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel


def test_verdict_thresholds_are_a_factor_of_100_either_way():
    assert [verdict(r) for r in (0.009, 0.011, 99.0, 101.0)] == [
        "vanishing", "stable", "stable", "exploding"]


def test_signal_explorer_names_vanishing_stable_and_exploding_regimes():
    assert signal_explorer(10, "tanh", "small")["verdict"] == "vanishing"
    assert signal_explorer(10, "relu", "he")["verdict"] == "stable"
    out = signal_explorer(30, "relu", "large")
    assert out["verdict"] == "exploding" and np.isfinite(out["stats"].act_std).all()


def test_signal_panel_redraws_when_init_and_depth_change():
    panel = signal_panel()
    image, summary = panel.image.value, panel.summary.value
    assert "stable" in summary and panel.result["depth"] == 10
    panel.controls["init"].value = "small"
    assert panel.result["verdict"] == "vanishing" and "vanishing" in panel.summary.value
    assert panel.image.value != image and panel.summary.value != summary
    panel.controls["depth"].value = 3
    assert len(panel.result["stats"].act_std) == 3


def test_an_idle_signal_panel_computes_the_other_depths_so_dragging_only_draws():
    async def cell():   # built in a notebook cell: the kernel's loop runs on
        panel = signal_panel(depth=10, activation="relu", init="he")
        while panel.compute.cache_info().currsize < 30:
            await asyncio.sleep(0.01)
        return panel

    panel = asyncio.run(cell())
    misses = panel.compute.cache_info().misses
    for depth in (11, 30, 1):
        panel.controls["depth"].value = depth
        assert len(panel.result["stats"].act_std) == depth
    assert panel.compute.cache_info().misses == misses
    fresh = signal_explorer(1, "relu", "he")["stats"]                # the same numbers
    assert panel.result["stats"].grad_std == fresh.grad_std


def test_layer_histograms_columns_sum_to_one_on_a_shared_range():
    density, limit = layer_histograms([np.array([-2.0, 0.0]), np.array([0.5, 0.5, 1.0])],
                                      bins=4)
    assert limit == 2.0 and density.shape == (4, 2)
    np.testing.assert_allclose(density.sum(axis=0), 1.0)


def test_plots_have_titles_and_labels():
    fig = plot_signal(Figure(), propagate(3, 8, "tanh", "xavier", batch=4))
    assert [ax.get_title() for ax in fig.axes[:3]] == ["activations", "gradients dL/dh",
                                                       "std per layer"]
    ax = plot_confusion(Figure().add_subplot(), [[5, 1], [2, 3]])
    assert ax.get_xlabel() == "predicted class"
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "3", "5"]
    ax = plot_weight_histograms(Figure().add_subplot(), {"L1": np.zeros(5), "L2": np.ones(5)})
    assert len(ax.get_legend().get_texts()) == 2
    ax = plot_covariate_shift(Figure().add_subplot(),
                              {"a": {"mean": np.zeros(3), "std": np.ones(3)}})
    assert ax.get_xlabel() == "training step"
    fig = plot_gallery(Figure(), augmentation_gallery(np.eye(8, dtype=np.float32)), cols=3)
    assert fig.axes[0].get_title() == "original"


def test_plot_history_marks_the_best_validation_epoch():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 4)).astype(np.float32), rng.integers(0, 2, 40)
    _, history = train_mlp((X, y), (X, y), hidden=(4,), epochs=3)
    ax = plot_history(Figure().add_subplot(), history)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["training loss", "validation loss"] and "best epoch" in labels[2]


def test_signal_panel_ticks_layers_at_whole_numbers_and_labels_no_minor_ticks():
    panel = signal_panel(depth=5)
    panel.figure.canvas.draw()
    for ax in panel.figure.axes:
        assert all(float(t).is_integer() for t in ax.get_xticks())
    std_axes = panel.figure.axes[2]
    assert not any(t.get_text() for t in std_axes.yaxis.get_minorticklabels())


def test_signal_panel_updated_in_place_shows_what_a_fresh_panel_shows():
    panel = signal_panel()
    for change in [("init", "small"), ("depth", 20), ("activation", "relu"), ("init", "large"),
                   ("depth", 3), ("activation", "selu"), ("init", "lecun"), ("bias_init", 0.1),
                   ("init", "zero"), ("init", "xavier")]:
        assert_shows_like_a_fresh_panel(panel, signal_panel, [change])


def test_std_per_layer_ticks_follow_the_range_when_the_curves_change():
    ax = plot_std_per_layer(Figure().add_subplot(), {"a": [1.0, 2.0], "b": [1.5, 3.0]})
    assert isinstance(ax.yaxis.get_major_formatter(), FuncFormatter)  # under 2 decades: plain
    set_std_per_layer(ax, ([1e-6, 1.0], [1e-3, 10.0]))
    assert ax.get_ylim()[0] < 1e-6 and ax.get_ylim()[1] > 10
    assert not isinstance(ax.yaxis.get_major_formatter(), FuncFormatter)
    np.testing.assert_array_equal(ax.lines[0].get_data()[1], [1e-6, 1.0])
