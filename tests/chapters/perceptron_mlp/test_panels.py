"""Chapter 02 panels: the activation explorer and the XOR MLP redraw when a control changes."""

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.chapters.perceptron_mlp.mlp import train_xor_mlp, train_xor_mlp_frames
from dlcourse.chapters.perceptron_mlp.panels import (
    activation_explorer,
    activation_panel,
    xor_mlp_panel,
)
from dlcourse.chapters.perceptron_mlp.plots import (
    plot_activations,
    plot_decision_grids,
    plot_hidden_units,
    plot_mistakes,
    plot_perceptron,
    plot_weight_gradients,
)
from dlcourse.data import xor_truth_table
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel


def test_activation_explorer_reports_slopes_at_zero_and_at_the_edges():
    out = activation_explorer("tanh", x_max=3.0, num=61)
    assert out["x"].shape == out["f"].shape == out["df"].shape == (61,)
    assert out["df0"] == 1.0 and out["df_max"] == 1.0
    np.testing.assert_allclose(out["df_edge"], [1 - math.tanh(3.0) ** 2] * 2, rtol=1e-12)


def test_activation_panel_redraws_for_another_activation():
    panel = activation_panel()
    image, summary = panel.image.value, panel.summary.value
    assert "sigmoid" in summary and "f'(0) = 0.25" in summary
    panel.controls["activation"].value = "relu"
    assert panel.result["name"] == "relu" and "saturated" not in panel.summary.value
    assert panel.image.value != image and panel.summary.value != summary


def test_activation_panel_range_slider_widens_the_curve():
    panel = activation_panel("tanh")
    panel.controls["x_max"].value = 8.0
    assert panel.result["x"][-1] == 8.0 and "saturated" in panel.summary.value


def test_xor_panel_trains_and_redraws_when_a_control_changes():
    panel = xor_mlp_panel(epochs=200)
    first = panel.result
    assert len(first.history) == 200 and len(panel.figure.axes) == 2
    panel.controls["hidden"].value = 8
    assert panel.result is not first and panel.result.net[0].out_features == 8
    panel.controls["epochs"].value = 100
    assert len(panel.result.history) == 100
    assert "final loss" in panel.summary.value and panel.last_update_ms > 0


def test_xor_panel_zero_init_scale_is_stuck_at_log_two():
    panel = xor_mlp_panel(epochs=100)
    panel.controls["init_scale"].value = 0.0
    assert abs(panel.result.history[-1] - math.log(2)) < 1e-4
    assert "accuracy 50%" in panel.summary.value


def test_xor_panel_accepts_the_truth_table_as_data():
    panel = xor_mlp_panel(data=xor_truth_table())
    np.testing.assert_array_equal(panel.result.predict(panel.result.X), [0, 1, 1, 0])


def test_static_figures_have_titles_and_labels():
    fig = plot_activations(Figure(figsize=(10, 5)))
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 8 and all(ax.get_title() and ax.get_xlabel() for ax in visible)

    run = train_xor_mlp(epochs=50)
    fig = plot_decision_grids(Figure(), {"a": run, "b": run, "c": run}, cols=2)
    assert sum(ax.get_visible() for ax in fig.axes) == 3

    fig = plot_hidden_units(Figure(), {"random": run.net, "constant": run.net})
    assert fig.axes[0].get_title() == "random"

    X, y = xor_truth_table()
    ax = plot_perceptron(Figure().add_subplot(), np.array([1.0, 1.0]), -0.5, X + 2, y,
                         show_origin=True)
    assert ax.get_legend() is not None and len(ax.get_lines()) == 2     # origin + boundary
    assert ax.get_xlim()[0] <= 0 <= ax.get_xlim()[1]
    ax = plot_mistakes(Figure().add_subplot(), {"XOR": np.ones(5), "separable": np.zeros(5)})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["XOR", "separable"]
    ax = plot_weight_gradients(Figure().add_subplot(), np.array([[1.0, 2.0], [1.0, -1.0]]))
    assert ax.get_xlabel() and ax.get_legend() is not None


def test_activation_panel_keeps_the_y_label_inside_the_figure_when_ticks_grow():
    panel = activation_panel()              # laid out for sigmoid: ticks 0.0 ... 1.0
    panel.controls["activation"].value = "tanh"      # wider ticks: -1.0
    fig = panel.figure
    label = fig.axes[0].yaxis.label.get_window_extent(fig.canvas.get_renderer())
    assert label.x0 > 0


def test_xor_panel_leaves_a_gap_between_the_regions_and_the_loss_label():
    fig = xor_mlp_panel().figure
    renderer = fig.canvas.get_renderer()
    regions, loss = fig.axes
    gap = (loss.yaxis.label.get_window_extent(renderer).x0
           - regions.get_window_extent(renderer).x1)
    assert gap > 10                          # pixels


@pytest.mark.parametrize("build, changes", [
    (activation_panel, [("activation", "relu"), ("x_max", 9.0), ("activation", "tanh"),
                        ("x_max", 2.5), ("activation", "selu")]),
    (xor_mlp_panel, [("hidden", 2), ("activation", "relu"), ("lr", 1.0), ("epochs", 150),
                     ("init_scale", 0.0), ("init_scale", 2.0), ("seed", 3)]),
])
def test_panels_after_changes_show_what_a_fresh_panel_shows(build, changes):
    assert_shows_like_a_fresh_panel(build(), build, changes)


def test_xor_panel_shows_the_training_as_it_goes_and_a_setting_seen_before_at_once():
    panel = xor_mlp_panel()
    shown = []                               # what the browser sees: each frame, as it comes
    panel.summary.observe(lambda change: shown.append(
        (panel.figure.axes[1].get_title(), change["new"])), names="value")
    panel.controls["epochs"].value = 300
    assert [title for title, _ in shown] == [
        f"Loss at epoch {n}: {panel.result.history[n - 1]:.4f}" for n in (100, 200)] + [
        f"Loss, final {panel.result.history[-1]:.4f}"]
    assert "training: epoch 100 of 300" in shown[0][1] and "final loss" in shown[-1][1]
    ax_loss = panel.figure.axes[1]
    np.testing.assert_array_equal(ax_loss.lines[0].get_ydata(), panel.result.history)
    assert ax_loss.get_xlim() == (0, 300) and ax_loss.get_ylim()[0] == 0
    assert ax_loss.get_ylim()[1] >= panel.result.history.max()      # the whole curve shows
    final = panel.result
    panel.controls["seed"].value = 1
    panel.controls["seed"].value = 0
    assert panel.result is final and panel.timings["frames"] == 1


def test_xor_frames_end_with_the_run_train_xor_mlp_returns():
    *frames, last = train_xor_mlp_frames(hidden=3, epochs=120, every=50)
    run = train_xor_mlp(hidden=3, epochs=120)
    assert [len(f.history) for f in frames] == [50, 100] and not frames[0].done
    np.testing.assert_array_equal(last.history, run.history)
    np.testing.assert_array_equal(last.grid.proba, run.grid.proba)
    assert last.done and last.epochs == 120


def test_xor_panel_remembers_only_a_training_that_ran_to_the_end():
    panel = xor_mlp_panel()
    values = {**panel.values(), "seed": 7}
    stream = panel.compute(**values)
    next(stream)
    stream.close()                        # abandoned for a newer change: nothing remembered
    assert len(list(panel.compute(**values))) == 5           # 500 epochs, a frame every 100
    assert len(list(panel.compute(**values))) == 1           # now remembered: the last one
    with pytest.raises(ValueError, match="every"):
        next(train_xor_mlp_frames(every=0))
