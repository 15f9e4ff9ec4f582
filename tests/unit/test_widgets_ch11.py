"""Chapter 11 panel (dlcourse.widgets.gan) and plots (dlcourse.viz.gan)."""

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlcourse.gan import train_gan_2d
from dlcourse.gan_anomaly import roc_curve
from dlcourse.viz import gan as viz
from dlcourse.widgets.gan import gan_lab_panel

matplotlib.use("Agg")
torch.set_num_threads(1)


def test_panel_snapshot_slider_walks_through_the_cached_run():
    panel = gan_lab_panel(epochs=6)
    assert panel.result["epoch"] == 6 and "modes" in panel.summary.value
    run, image = panel.result["run"], panel.image.value
    panel.controls["snapshot"].value = 0
    assert panel.result["epoch"] == 0 and panel.result["run"] is run
    assert panel.result["cached"] and "cached run" in panel.summary.value
    assert panel.image.value != image and panel.last_update_ms > 0


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
    assert [len(ax.lines) for ax in fig.axes] == [3, 3]   # two curves + the zero line
    minimax_grad = fig.axes[1].lines[0].get_ydata()
    assert minimax_grad[0] > -0.01                        # flat where D(G(z)) -> 0


def test_gan_snapshot_and_training_plots():
    run = train_gan_2d(epochs=2, n_snapshots=2, grid_size=9)
    ax = viz.plot_gan_snapshot(Figure().add_subplot(), run, 0, colorbar=True)
    assert ax.get_title().startswith("epoch 0") and len(ax.images) == 1
    ax = viz.plot_gan_training(Figure().add_subplot(), run)
    assert len(ax.get_legend().get_texts()) == 3
    ax = viz.plot_d_outputs(Figure().add_subplot(), run, smooth=2)
    assert len(ax.lines) == 3 and ax.get_ylim() == (0, 1)


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
