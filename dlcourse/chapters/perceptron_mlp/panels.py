"""Chapter 02 panels: the activation explorer and the XOR MLP.

Both wire a plain, tested compute function to drawings of
:mod:`dlcourse.chapters.perceptron_mlp.plots`; :func:`activation_explorer` and
:func:`dlcourse.chapters.perceptron_mlp.mlp.train_xor_mlp_frames` do the work.  The axes are
drawn once; a change updates the curves, images and texts in place.

Examples
--------
>>> panel = activation_panel()
>>> panel.controls["activation"].value = "tanh"
>>> panel.result["df0"]
1.0
"""

from __future__ import annotations

from functools import partial

import ipywidgets as widgets
import numpy as np

from dlcourse import nn
from dlcourse.chapters.perceptron_mlp.activations import ACTIVATION_FORMULAS, activation_curves
from dlcourse.chapters.perceptron_mlp.mlp import train_xor_mlp_frames
from dlcourse.chapters.perceptron_mlp.plots import (
    activation_title,
    decision_boundary,
    plot_activation,
    plot_decision_grid,
    plot_loss_curve,
    region_image,
)
from dlcourse.data import xor
from dlcourse.ui.panel import Panel

__all__ = ["activation_explorer", "activation_panel", "xor_mlp_panel"]


def _axes_at(fig, left, bottom, right, top):
    """An axes placed by hand between fixed margins (fractions of the figure).

    The panel lays a figure out once, for the first control values; fixed margins stay
    right when later tick labels grow (``-1.0`` instead of ``0.0``), and cost nothing.
    """
    return fig.add_axes((left, bottom, right - left, top - bottom))


def activation_explorer(activation="sigmoid", x_max=5.0, *, num=401):
    """Curves and key numbers of one activation on ``[-x_max, x_max]`` (the panel's compute).

    Returns
    -------
    dict
        ``x``, ``f``, ``df`` (arrays of ``num`` points), ``name``, and the scalars
        ``df0 = f'(0)``, ``df_max = max f'`` and ``df_edge = (f'(-x_max), f'(x_max))``.

    Examples
    --------
    >>> out = activation_explorer("sigmoid")
    >>> out["df0"], round(out["df_edge"][1], 4)
    (0.25, 0.0066)
    """
    x = np.linspace(-x_max, x_max, num)
    f, df = activation_curves(activation, x)
    at = activation_curves(activation, np.array([0.0, -x_max, x_max]))[1]
    return {"name": activation, "x": x, "f": f, "df": df, "df0": float(at[0]),
            "df_max": float(max(df.max(), at[0])), "df_edge": (float(at[1]), float(at[2]))}


def _draw_activation(fig, result):
    """The axes once; the curves, the zero line, the ticks, title and legend change."""
    ax = _axes_at(fig, 0.12, 0.15, 0.98, 0.88)
    plot_activation(ax, result["name"], result["x"])
    zero_y, _, f, df = ax.lines     # y = 0 moves with the y limits; x = 0 stays in the middle
    # in drawing order: under the curves, the curves, then the axes' text over them
    return [zero_y, f, df, ax.xaxis, ax.yaxis, ax.title, ax.get_legend()]


def _update_activation(artists, result):
    _, f, df, *_, title, _ = artists
    f.set_data(result["x"], result["f"])
    df.set_data(result["x"], result["df"])
    title.set_text(activation_title(result["name"]))
    ax = f.axes
    ax.relim()
    ax.autoscale_view()
    low, high = result["df_edge"]
    x_max = result["x"][-1]
    note = " — saturated: almost no gradient" if max(abs(low), abs(high)) < 0.01 else ""
    return (f"<b>{result['name']}</b>: f'(0) = {result['df0']:.4g}, "
            f"max f' = {result['df_max']:.4g}, f'(-{x_max:g}) = {low:.4g}, "
            f"f'({x_max:g}) = {high:.4g}{note}")


def activation_panel(activation="sigmoid", x_max=5.0) -> Panel:
    """Pick an activation and a range of ``x``; see ``f``, ``f'`` and where ``f'`` vanishes."""
    controls = {
        "activation": widgets.Dropdown(options=list(ACTIVATION_FORMULAS), value=activation,
                                       description="activation"),
        "x_max": widgets.FloatSlider(value=x_max, min=1.0, max=10.0, step=0.5,
                                     description="x range ±"),
    }
    return Panel(activation_explorer, _draw_activation, controls, update=_update_activation,
                 figsize=(6.5, 3.2), dpi=80, axes_layout="fixed")


def _remembered(frames, size=64):
    """``frames`` (a generator function of keyword arguments) that remembers its last frame
    for the ``size`` argument sets seen last: a setting seen before shows at once."""
    last = {}

    def compute(**values):
        key = tuple(sorted(values.items()))
        if key in last:
            last[key] = last.pop(key)          # now the most recently used
            yield last[key]
            return
        for frame in frames(**values):
            yield frame
        last[key] = frame
        if len(last) > size:
            del last[next(iter(last))]

    return compute


def _loss_limits(run) -> tuple:
    """Limits of the loss plot: every epoch of the run, and from 0 to the highest loss so far
    rounded up to a half, at least 1 (a coin flip's loss is 0.69) -- the same for most frames
    and settings, so the axes are drawn once and only the curve moves."""
    finite = run.history[np.isfinite(run.history)]
    top = np.ceil(2 * finite.max()) / 2 if finite.size else 1.0
    return (0, len(run.history) if run.epochs is None else run.epochs), (0, max(top, 1.0))


def _draw_xor(fig, run):
    """Both axes once; the regions, boundary, points, loss curve and titles change."""
    ax_grid = _axes_at(fig, 0.08, 0.15, 0.43, 0.9)
    ax_loss = _axes_at(fig, 0.58, 0.15, 0.98, 0.9)
    plot_decision_grid(ax_grid, run.grid, run.X, run.y, legend=False)
    plot_loss_curve(ax_loss, run.history)
    xlim, ylim = _loss_limits(run)
    ax_loss.set(xlim=xlim, ylim=ylim)
    # in drawing order: the regions, the boundary over them, the points and frame on top
    return {"regions": ax_grid.images[0], "boundary": list(ax_grid.collections[:1]),
            "points": list(ax_grid.collections[1:]), "frame": list(ax_grid.spines.values()),
            "grid_title": ax_grid.title, "loss": ax_loss.lines[0], "loss_title": ax_loss.title}


def _update_xor(artists, run):
    artists["regions"].set_data(region_image(run.grid.proba))
    ax_grid = artists["regions"].axes
    for contour in artists["boundary"]:
        contour.remove()
    boundary = decision_boundary(ax_grid, run.grid)
    artists["boundary"] = [] if boundary is None else [boundary]
    artists["grid_title"].set_text(f"XOR: accuracy {run.accuracy:.0%}")
    history = run.history
    artists["loss"].set_data(np.arange(1, len(history) + 1), history)
    if not run.done:
        artists["loss_title"].set_text(f"Loss at epoch {len(history)}: {history[-1]:.4f}")
        return (f"training: epoch {len(history)} of {run.epochs}, loss {history[-1]:.4f} "
                f"(the picture follows the training; a setting seen before shows at once)")
    artists["loss_title"].set_text(f"Loss, final {history[-1]:.4f}")
    return ("class 0 blue, class 1 red; "
            f"final loss {history[-1]:.4f}, training accuracy {run.accuracy:.0%}, "
            f"{run.net.num_params()} parameters")


def xor_mlp_panel(hidden=4, activation="tanh", lr=0.5, epochs=500, init_scale=1.0, seed=0,
                  *, data=None) -> Panel:
    """Train a one-hidden-layer MLP on XOR and show its decision regions and loss curve.

    The picture follows the training (a frame every 100 epochs); a setting seen before
    shows at once.

    Parameters
    ----------
    hidden, activation, lr, epochs, init_scale, seed
        Initial values of the controls (see
        :func:`dlcourse.chapters.perceptron_mlp.mlp.train_xor_mlp`).
    data : (X, y), optional, keyword-only
        Training data; 100 noisy XOR points by default.
    """
    data = xor(100, noise=0.15, seed=0) if data is None else data
    controls = {
        "hidden": widgets.IntSlider(value=hidden, min=1, max=16, description="hidden units"),
        "activation": widgets.Dropdown(options=list(nn.ACTIVATIONS), value=activation,
                                       description="activation"),
        "lr": widgets.FloatLogSlider(value=lr, base=10, min=-2, max=1, step=0.1,
                                     description="learning rate"),
        "epochs": widgets.IntSlider(value=epochs, min=50, max=2000, step=50,
                                    description="epochs"),
        "init_scale": widgets.FloatSlider(value=init_scale, min=0.0, max=5.0, step=0.1,
                                          description="init scale"),
        "seed": widgets.IntSlider(value=seed, min=0, max=9, description="seed"),
    }
    return Panel(_remembered(partial(train_xor_mlp_frames, data=data)), _draw_xor, controls,
                 update=_update_xor, key=_loss_limits, figsize=(7.5, 3.2), dpi=80,
                 axes_layout="fixed")
