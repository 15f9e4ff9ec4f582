"""Chapter 02 panels: the activation explorer and the XOR MLP.

Both wire a plain, tested compute function to a drawing function of
:mod:`dlcourse.chapters.perceptron_mlp.plots`; :func:`activation_explorer` and
:func:`dlcourse.chapters.perceptron_mlp.mlp.train_xor_mlp` do the work.

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
from dlcourse.chapters.perceptron_mlp.mlp import train_xor_mlp
from dlcourse.chapters.perceptron_mlp.plots import (
    plot_activation,
    plot_decision_grid,
    plot_loss_curve,
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
    plot_activation(_axes_at(fig, 0.12, 0.15, 0.98, 0.88), result["name"], result["x"])
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
    return Panel(activation_explorer, _draw_activation, controls, figsize=(6.5, 3.2), dpi=80,
                 axes_layout="fixed")


def _draw_xor(fig, run):
    plot_decision_grid(_axes_at(fig, 0.08, 0.15, 0.43, 0.9), run.grid, run.X, run.y,
                       title=f"XOR: accuracy {run.accuracy:.0%}", legend=False)
    plot_loss_curve(_axes_at(fig, 0.58, 0.15, 0.98, 0.9), run.history,
                    title=f"Loss, final {run.history[-1]:.4f}")
    return ("class 0 blue, class 1 red; "
            f"final loss {run.history[-1]:.4f}, training accuracy {run.accuracy:.0%}, "
            f"{run.net.num_params()} parameters")


def xor_mlp_panel(hidden=4, activation="tanh", lr=0.5, epochs=500, init_scale=1.0, seed=0,
                  *, data=None) -> Panel:
    """Train a one-hidden-layer MLP on XOR and redraw its decision regions and loss curve.

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
    return Panel(partial(train_xor_mlp, data=data), _draw_xor, controls, figsize=(7.5, 3.2),
                 dpi=80, axes_layout="fixed")
