"""Chapter 11 panel (dlcourse.chapters.gans.panels) and plots (dlcourse.chapters.gans.plots)."""

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlcourse.chapters.gans import plots as viz
from dlcourse.chapters.gans.anomaly import roc_curve
from dlcourse.chapters.gans.gan2d import train_gan_2d
from dlcourse.chapters.gans.panels import N_SNAPSHOTS, _loss_limits, gan_lab_panel
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel

matplotlib.use("Agg")
torch.set_num_threads(1)


def _shown(panel):
    """What the panel's figure shows: the data title, D's surface, the generated points, and
    the step marked on the loss plot."""
    ax_data, ax_loss = panel.figure.axes
    return (ax_data.get_title(), ax_data.images[0].get_array(),
            np.column_stack(ax_data.lines[1].get_data()), ax_loss.lines[-1].get_xdata()[0])


def test_panel_snapshot_slider_walks_through_the_cached_run():
    panel = gan_lab_panel(epochs=6)
    assert panel.result["epoch"] == 6 and "modes" in panel.summary.value
    run, image = panel.result["run"], panel.image.value
    panel.controls["snapshot"].value = 0
    assert panel.result["epoch"] == 0 and panel.result["run"] is run
    assert panel.result["cached"] and "cached run" in panel.summary.value
    assert panel.image.value != image and panel.last_update_ms > 0
    title, surface, samples, step = _shown(panel)
    assert title == f"epoch 0: {run.coverage[0]}/8 modes" and step == 0
    np.testing.assert_array_equal(surface, run.surfaces[0])
    np.testing.assert_array_equal(samples, run.samples[0])


def test_panel_streams_a_new_setting_and_ends_on_the_final_snapshot():
    panel = gan_lab_panel(epochs=3)
    panel.controls["lr_d"].value = 1e-2
    assert panel.timings["frames"] >= 2     # at least the first epoch, then the end
    run = panel.result["run"]
    assert panel.result["done"] and len(run.epochs) == 4
    title, surface, samples, step = _shown(panel)
    assert title.startswith("epoch 3:") and step == len(run.d_loss)
    np.testing.assert_array_equal(surface, run.surfaces[-1])
    assert "trained in" in panel.summary.value


def test_a_new_setting_streams_into_the_figure_already_drawn():
    panel = gan_lab_panel(epochs=2)
    draws, figure = [], panel.figure
    original = panel.draw
    panel.draw = lambda fig, result: draws.append(result) or original(fig, result)
    panel.controls["lr_d"].value = 1e-2       # another run, the same real points and grid
    assert panel.result["done"] and not panel.result["cached"]
    assert draws == [] and panel.figure is figure   # its first picture too is a frame


@pytest.mark.slow
def test_panel_new_learning_rate_trains_a_new_run():
    panel = gan_lab_panel(epochs=4)
    run = panel.result["run"]
    panel.controls["lr_g"].value = 1e-2
    assert panel.result["run"] is not run and "trained in" in panel.summary.value
    panel.controls["loss"].value = "minimax"
    panel.controls["d_steps"].value = 2
    assert len(panel.result["run"].d_loss) == 4 * 8   # 512 points / batch 64 per epoch


def test_plot_generator_losses_has_both_losses_and_gradients():
    fig = viz.plot_generator_losses(Figure())
    legends = [[t.get_text() for t in ax.get_legend().get_texts()] for ax in fig.axes]
    assert legends[0] == [r"minimax: $\log(1 - D(G(z)))$", r"non-saturating: $-\log D(G(z))$"]
    assert legends[1][:2] == ["minimax", "non-saturating"]
    minimax_grad = fig.axes[1].lines[0].get_ydata()
    assert minimax_grad[0] > -0.01                        # flat where D(G(z)) -> 0


def test_gan_snapshot_and_training_plots():
    run = train_gan_2d(epochs=2, n_snapshots=2, grid_size=9)
    ax = viz.plot_gan_snapshot(Figure().add_subplot(), run, 0, colorbar=True)
    assert ax.get_title().startswith("epoch 0") and len(ax.images) == 1
    ax = viz.plot_gan_training(Figure().add_subplot(), run)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "D loss", "G loss", "log 4 (D = 1/2)"]
    d_loss = ax.lines[0].get_ydata()                     # moving average over 8 steps
    assert len(d_loss) == len(run.d_loss) - 7
    assert d_loss[0] == pytest.approx(np.mean(run.d_loss[:8]))
    ax = viz.plot_d_outputs(Figure().add_subplot(), run, smooth=2)
    assert ax.get_ylim() == (0, 1)
    assert ax.lines[-1].get_ydata()[0] == 0.5             # the "D cannot tell" line


def test_plot_optimal_discriminator_puts_d_star_on_a_second_axis():
    x = np.linspace(-3, 3, 7)
    p, q = np.exp(-x**2 / 2), np.exp(-(x - 1) ** 2 / 2)
    ax = viz.plot_optimal_discriminator(Figure().add_subplot(), x, p, q, p / (p + q))
    assert len(ax.figure.axes) == 2 and len(ax.get_legend().get_texts()) == 3


def test_image_grid_reconstructions_histogram_and_roc():
    rng = np.random.default_rng(0)
    images = rng.random((6, 64))
    ax = viz.plot_image_grid(Figure().add_subplot(), images, rows=2)
    assert ax.images[0].get_array().shape == (17, 26)
    labels = np.array([0, 0, 0, 1, 1, 1])
    fig = viz.plot_reconstructions(Figure(), images, images[::-1], rng.random(6), labels, n=6)
    assert len(fig.axes) == 18 and "anomaly" in fig.axes[3].get_title()
    ax = viz.plot_score_histogram(Figure().add_subplot(), rng.random(6), labels)
    assert len(ax.get_legend().get_texts()) == 2
    fpr, tpr, _ = roc_curve(rng.random(6), labels)
    ax = viz.plot_roc(Figure().add_subplot(), fpr, tpr, auc=0.75)
    assert "AUC 0.750" in ax.get_legend().get_texts()[0].get_text()


def _gan_lab(snapshot=N_SNAPSHOTS - 1, **settings):
    panel = gan_lab_panel(epochs=3, **settings)
    panel.controls["snapshot"].value = snapshot
    return panel


@pytest.mark.kernel_sensitive  # trains: the losses must leave the first limits on every path
def test_panel_after_a_streamed_run_shows_what_a_panel_drawing_it_first_shows():
    """While a new setting streams, the losses leave the loss axes' first limits: the figure
    is rasterised again with the new limits (not rebuilt), and must end as a panel that draws
    the finished (cached) run at once shows it."""
    panel = _gan_lab()
    first = {}
    original = panel.update_artists

    def update(artists, result):           # the loss axes' limits on the run's first frame
        first.setdefault(id(result["run"]), _loss_limits(result))
        return original(artists, result)

    panel.update_artists = update
    changes = [("lr_d", 1e-2), ("d_steps", 3), ("snapshot", 1), ("snapshot", 3)]
    assert_shows_like_a_fresh_panel(panel, _gan_lab, changes, layout_of_first=True)
    run = panel.result["run"]
    assert first[id(run)] != _loss_limits(panel.result)   # the limits did change meanwhile
