"""Chapter 11 panel: a GAN Lab-style view of a GAN learning a ring of 8 Gaussians.

Controls: the two learning rates, discriminator steps per generator step, noise size and
generator loss choose a training run; the ``snapshot`` slider walks through its epochs.
The compute is :func:`dlcourse.chapters.gans.gan2d.gan_lab_frames`: training a new setting takes
one to a few seconds (on one core), so the panel streams it -- the picture follows the training
-- and keeps every run: the snapshot slider and any setting seen before are instant.  The
figure is drawn once with :func:`dlcourse.chapters.gans.plots.plot_gan_snapshot` and
:func:`dlcourse.chapters.gans.plots.plot_gan_training` (every run has the same real points
and surface grid); a frame only updates the surface, the generated points, the title and
the loss curves, and when the losses leave the loss axes, their limits (the figure is then
rasterised again, not rebuilt).  So a new setting's first picture is a frame too.

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
import numpy as np

from dlcourse.chapters.gans.gan2d import GENERATOR_LOSSES, gan_lab_frames
from dlcourse.chapters.gans.plots import plot_gan_snapshot, plot_gan_training, smoothed_losses
from dlcourse.ui.panel import Panel

__all__ = ["gan_lab_panel"]

LEARNING_RATES = (1e-3, 2e-3, 5e-3, 1e-2)
N_SNAPSHOTS = 10   # what dlcourse.chapters.gans.gan2d.train_gan_2d stores by default


def _loss_limits(result) -> tuple:
    """Axes limits of the loss plot: the whole run's steps, the losses so far and the band
    a balanced GAN's losses start in, log 4 ± 0.6 (rounded out to halves, so that they change
    rarely while a run trains: every change rasterises the whole figure again)."""
    run = result["run"]
    steps = run.steps_per_epoch * result["epochs"]
    values = np.concatenate([*smoothed_losses(run), np.log(4) + np.array([-0.6, 0.6])])
    return (0, steps), (np.floor(2 * values.min() - 0.2) / 2, np.ceil(2 * values.max() + 0.2) / 2)


def _static_key(result) -> tuple:
    """What the figure's static part shows of a run: its real points and the extent of its
    surface.  One seed for the whole panel: the same for every setting."""
    run = result["run"]
    return run.grid[0], run.grid[-1], run.data.tobytes()


def _draw(fig, result):
    """Axes, ticks, legend and the real points once; the artists that change, returned."""
    ax_data, ax_loss = fig.subplots(1, 2, width_ratios=(1, 1.3))
    plot_gan_snapshot(ax_data, result["run"], result["index"])
    plot_gan_training(ax_loss, result["run"], upto=result["step"])
    surface, (real, generated), title = ax_data.images[0], ax_data.lines, ax_data.title
    return {"surface": surface, "real": real, "generated": generated, "title": title,
            "losses": ax_loss.lines[:2], "now": ax_loss.axvline(0, color="black", lw=0.8),
            "legend": ax_loss.get_legend()}  # last: drawn over the curves, as before


def _update(artists, result):
    run, index = result["run"], result["index"]
    artists["surface"].set_array(run.surfaces[index])
    artists["generated"].set_data(*run.samples[index].T)
    artists["title"].set_text(f"epoch {run.epochs[index]}: {run.coverage[index]}/"
                              f"{len(run.centers)} modes")
    for line, values in zip(artists["losses"], smoothed_losses(run, upto=result["step"]),
                            strict=True):
        line.set_data(np.arange(len(values)), values)
    artists["now"].set_xdata([result["step"]] * 2)
    xlim, ylim = _loss_limits(result)   # the panel's background: new limits, new picture
    artists["now"].axes.set(xlim=xlim, ylim=ylim)
    if not result["done"]:
        return (f"training this setting: epoch {result['trained']} of {result['epochs']} "
                f"(the picture follows it; it is kept for next time)")
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
    compute = functools.partial(gan_lab_frames, epochs=epochs)
    return Panel(compute, _draw, controls, update=_update,
                 key=_static_key, background=_loss_limits,
                 figsize=(8.0, 3.4), dpi=72)
