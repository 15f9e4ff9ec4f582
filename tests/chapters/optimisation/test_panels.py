"""Chapter 04 panels (optimiser race, minibatch noise) and the chapter's static figures."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.chapters.optimisation import plots as viz
from dlcourse.chapters.optimisation.digits_comparison import compare_optimizers_on_digits
from dlcourse.chapters.optimisation.losses import (
    classification_loss_curves,
    regression_loss_curves,
)
from dlcourse.chapters.optimisation.minibatch import minibatch_noise, minibatch_run
from dlcourse.chapters.optimisation.panels import (
    BATCH_SIZES,
    minibatch_compute,
    minibatch_panel,
    optimizer_race_panel,
    race_compute,
)
from dlcourse.chapters.optimisation.race import (
    OPTIMIZERS,
    basins,
    gradient_norms_at_init,
    lr_curve,
    momentum_max_step,
    momentum_step_sizes,
    race,
)
from dlcourse.chapters.optimisation.surfaces import quadratic
from dlcourse.optim.lr_scheduler import ExponentialLR, StepLR
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel


def test_race_compute_returns_the_paths_of_dlcourse_optim():
    out = race_compute("quadratic", ["SGD", "NAdam"], lr=0.05, beta=0.8, x0=1.0, y0=-1.0,
                       steps=20, condition_number=30.0)
    expected = race(quadratic(30.0), ["SGD", "NAdam"], lr=0.05, beta=0.8, start=(1.0, -1.0),
                    steps=20)
    for name in ("SGD", "NAdam"):
        np.testing.assert_array_equal(out["paths"][name], expected[name])
        assert out["final"][name] == pytest.approx(float(quadratic(30.0)(expected[name][-1])))
    assert out["grid"][2].shape == (80, 80)


@pytest.mark.slow
def test_race_panel_redraws_when_each_control_changes():
    panel = optimizer_race_panel()
    assert sorted(panel.result["paths"]) == ["Adam", "Momentum", "SGD"]
    for name, value in [("lr", 0.02), ("beta", 0.5), ("x0", 1.0), ("y0", -1.0), ("steps", 50),
                        ("optimizers", ("AdaGrad", "RMSProp")), ("surface", "quadratic"),
                        ("condition_number", 50.0)]:
        image, summary = panel.image.value, panel.summary.value
        panel.controls[name].value = value
        assert panel.image.value != image and panel.summary.value != summary, name
    assert sorted(panel.result["paths"]) == ["AdaGrad", "RMSProp"]
    assert panel.result["paths"]["AdaGrad"].shape == (51, 2)
    assert panel.result["paths"]["AdaGrad"][0].tolist() == [1.0, -1.0]
    assert panel.result["surface"].name.startswith("quadratic, condition number 50")
    ax_race, ax_loss = panel.figure.axes
    assert ax_race.get_title() == panel.result["surface"].name
    shown = {line.get_label(): line.get_xydata() for line in ax_race.lines
             if line.get_label() in panel.result["paths"]}
    np.testing.assert_array_equal(shown["RMSProp"], panel.result["paths"]["RMSProp"])
    assert [t.get_text() for t in ax_loss.get_legend().get_texts()] == ["AdaGrad", "RMSProp"]
    assert panel.last_update_ms > 0


@pytest.mark.kernel_sensitive
def test_race_panel_shows_sgd_stuck_on_the_plateau_and_adam_in_the_deepest_well():
    panel = optimizer_race_panel()
    final = panel.result["final"]
    assert final["SGD"] > 0 > -1.9 > final["Adam"]
    assert "SGD: f = " in panel.summary.value


def test_minibatch_compute_compares_the_chosen_batch_with_sgd_and_batch_gd():
    out = minibatch_compute(batch_size=64, lr=0.2, epochs=1.0)
    assert list(out["runs"]) == ["B = 64", "B = 1024 (batch GD)", "B = 1 (SGD)"]
    assert [run["steps"] for run in out["runs"].values()] == [16, 1, 1024]
    assert out["noise"].batch_sizes.tolist() == list(BATCH_SIZES)


@pytest.mark.slow
def test_minibatch_panel_updates_summary_when_the_batch_size_changes():
    panel = minibatch_panel()
    assert "B = 32: 96 steps" in panel.summary.value
    image = panel.image.value
    panel.controls["batch_size"].value = 256
    assert "B = 256: 12 steps" in panel.summary.value and panel.image.value != image
    panel.controls["epochs"].value = 1.0
    assert "B = 256: 4 steps" in panel.summary.value
    panel.controls["lr"].value = 1.0
    assert panel.result["runs"]["B = 256"]["loss"][-1] < minibatch_run(256, epochs=1.0,
                                                                      lr=0.1)["loss"][-1]


def _labelled(ax):
    return bool(ax.get_title() and ax.get_xlabel() and ax.get_ylabel())


def test_static_figures_have_titles_labels_and_legends():
    ax = viz.plot_regression_losses(Figure().add_subplot(), regression_loss_curves())
    assert _labelled(ax) and len(ax.get_legend().get_texts()) == 4
    ax = viz.plot_classification_losses(Figure().add_subplot(), classification_loss_curves())
    assert _labelled(ax) and ax.get_legend() is not None
    paths = race("bumps", ["SGD", "Momentum"], lr=0.1, steps=20)
    ax = viz.plot_race(Figure().add_subplot(), "bumps", paths)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "global minimum" in texts and "saddle point" in texts and texts[-1].startswith("Mom")
    ax = viz.plot_value_curves(Figure().add_subplot(), "quadratic",
                               race("quadratic", ["SGD"], lr=0.1, steps=20))
    assert _labelled(ax) and ax.get_yscale() == "log"
    ax = viz.plot_basins(Figure().add_subplot(), "bumps", *basins("bumps", n=10, steps=50))
    assert len(ax.get_legend().get_texts()) == 3
    ax = viz.plot_momentum_steps(Figure().add_subplot(),
                                 {"β = 0.9": momentum_step_sizes(0.1, 0.9)},
                                 {"β = 0.9": momentum_max_step(0.1, 1.0, 0.9)})
    assert _labelled(ax) and ax.get_lines()[-1].get_ydata()[0] == pytest.approx(1.0)
    ax = viz.plot_lr_schedules(Figure().add_subplot(), {
        "step": lr_curve(lambda o: StepLR(o, step_size=5), epochs=20),
        "exponential": lr_curve(lambda o: ExponentialLR(o, gamma=0.9), epochs=20)})
    assert _labelled(ax) and ax.get_yscale() == "log"
    ax = viz.plot_gradient_norms(Figure().add_subplot(),
                                 {"sigmoid": gradient_norms_at_init(4, activation="sigmoid")})
    assert _labelled(ax)
    noise = minibatch_noise([1, 8, 64], timing=True, repeats=20)
    ax = viz.plot_minibatch_noise(Figure().add_subplot(), noise, highlight=8)
    assert _labelled(ax) and len(ax.get_legend().get_texts()) == 3
    assert _labelled(viz.plot_epoch_time(Figure().add_subplot(), noise))
    ax = viz.plot_minibatch_runs(Figure().add_subplot(), {"B = 8": minibatch_run(8, epochs=1)})
    assert "128 steps" in ax.get_legend().get_texts()[0].get_text()


def test_digits_comparison_figure_has_engine_torch_and_difference_panels():
    runs = compare_optimizers_on_digits(["SGD", "Adam"], epochs=1, batch_size=256)
    fig = viz.plot_digits_comparison(Figure(figsize=(12, 4)), runs)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:2] == ["dlcourse.optim (from scratch)", "torch.optim"]
    gaps = fig.axes[2]                        # one bar per optimiser: its largest difference
    assert [t.get_text() for t in gaps.get_yticklabels()] == ["SGD", "Adam"]
    assert [bar.get_width() for bar in gaps.patches] == pytest.approx(
        [max(runs[n].max_difference, 1e-18) for n in ("SGD", "Adam")])


def test_race_panel_lists_every_optimiser_without_scrolling():
    panel = optimizer_race_panel()
    assert panel.controls["optimizers"].rows == len(OPTIMIZERS)
    panel.controls["optimizers"].value = tuple(OPTIMIZERS)
    assert sorted(panel.result["paths"]) == sorted(OPTIMIZERS)


def test_minibatch_panel_keeps_the_legend_above_every_curve():
    panel = minibatch_panel()
    ax = panel.figure.axes[1]
    renderer = panel.figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    top = max(ax.transData.transform(line.get_xydata())[:, 1].max() for line in ax.lines)
    assert top < legend.y0


def test_minibatch_panel_after_changes_shows_what_a_fresh_panel_shows():
    changes = [("batch_size", 8), ("lr", 0.3), ("batch_size", 1024), ("epochs", 1.0),
               ("batch_size", 1), ("batch_size", 128), ("lr", 1.0), ("epochs", 4.5)]
    assert_shows_like_a_fresh_panel(minibatch_panel(), minibatch_panel, changes)


def test_minibatch_panel_labels_every_curve_and_the_ring_after_changes():
    panel = minibatch_panel()
    panel.controls["batch_size"].value = 64
    panel.controls["epochs"].value = 2.0
    ax_noise, ax_loss = panel.figure.axes
    assert [t.get_text() for t in ax_loss.get_legend().get_texts()] == [
        f"{name} ({run['steps']} steps)" for name, run in panel.result["runs"].items()]
    assert ax_noise.get_legend().get_texts()[-1].get_text() == "B = 64"
    assert ax_noise.lines[2].get_xdata()[0] == 64
    top = max(line.get_ydata().max() for line in ax_loss.lines)
    assert ax_loss.get_ylim()[1] > top and ax_loss.get_xlim()[1] >= 2.0


def test_race_panel_after_changes_shows_what_a_fresh_panel_shows():
    changes = [("lr", 0.05), ("beta", 0.5), ("x0", 1.0), ("steps", 200), ("surface", "quadratic"),
               ("condition_number", 30.0), ("y0", -1.0), ("optimizers", ("SGD", "NAdam")),
               ("lr", 0.02)]
    assert_shows_like_a_fresh_panel(optimizer_race_panel(), optimizer_race_panel, changes,
                                    layout_of_first=True)
