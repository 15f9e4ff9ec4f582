"""Chapter 11 panel: a GAN Lab-style view of a GAN learning a ring of 8 Gaussians.

Controls: the two learning rates, discriminator steps per generator step, noise size and
generator loss choose a training run; the ``snapshot`` slider walks through its epochs.
The compute is :func:`dlcourse.chapters.gans.gan2d.gan_lab`: training a new setting takes about a
second (on one core), so runs are cached -- the snapshot slider and any setting seen before are
instant. The drawing uses :func:`dlcourse.chapters.gans.plots.plot_gan_snapshot` and
:func:`dlcourse.chapters.gans.plots.plot_gan_training`.

Examples
--------
>>> panel = gan_lab_panel(epochs=4)
>>> panel.result["epoch"]
4
>>> panel.controls["snapshot"].value = 0
>>> panel.result["epoch"]
0
"""

from __future__ import annotations

import functools

import ipywidgets as widgets

from dlcourse.chapters.gans.gan2d import GENERATOR_LOSSES, gan_lab
from dlcourse.chapters.gans.plots import plot_gan_snapshot, plot_gan_training
from dlcourse.ui.panel import Panel

__all__ = ["gan_lab_panel"]

LEARNING_RATES = (1e-3, 2e-3, 5e-3, 1e-2)
N_SNAPSHOTS = 10   # what dlcourse.chapters.gans.gan2d.train_gan_2d stores by default


def _draw(fig, result):
    ax_data, ax_loss = fig.subplots(1, 2, width_ratios=(1, 1.3))
    run = result["run"]
    plot_gan_snapshot(ax_data, run, result["index"])
    plot_gan_training(ax_loss, run, upto=result["step"])
    ax_loss.axvline(result["step"], color="black", lw=0.8)
    ax_loss.set_xlim(0, len(run.d_loss))
    source = "cached run" if result["cached"] else f"trained in {run.seconds:.1f} s, now cached"
    return (f"epoch {result['epoch']}: generated points near {result['coverage']} of "
            f"{len(run.centers)} modes (green = D says real, pink = fake) · {source}")


def gan_lab_panel(lr_d=5e-3, lr_g=5e-3, d_steps=1, noise_dim=2, loss="non_saturating", *,
                  epochs: int = 100) -> Panel:
    """Train (or recall) a 2-D GAN and browse its snapshots.

    Parameters
    ----------
    lr_d, lr_g, d_steps, noise_dim, loss
        Initial values of the controls (see :func:`dlcourse.chapters.gans.gan2d.train_gan_2d`).  Try
        ``lr_g=1e-2, lr_d=1e-3`` for mode collapse.
    epochs : int
        Length of every run (fixed for the panel).
    """
    controls = {
        "lr_d": widgets.SelectionSlider(options=LEARNING_RATES, value=lr_d, description="lr D"),
        "lr_g": widgets.SelectionSlider(options=LEARNING_RATES, value=lr_g, description="lr G"),
        "d_steps": widgets.IntSlider(value=d_steps, min=1, max=3, description="D steps per G"),
        "noise_dim": widgets.Dropdown(options=(1, 2, 4, 8), value=noise_dim,
                                      description="noise size"),
        "loss": widgets.Dropdown(options=GENERATOR_LOSSES, value=loss, description="G loss"),
        "snapshot": widgets.IntSlider(value=N_SNAPSHOTS - 1, min=0, max=N_SNAPSHOTS - 1,
                                      description="snapshot (epoch)"),
    }
    compute = functools.partial(gan_lab, epochs=epochs)
    return Panel(compute, _draw, controls, figsize=(8.0, 3.4), dpi=72)
