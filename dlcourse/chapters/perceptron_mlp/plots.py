"""Plots for chapter 02: activations and their derivatives, perceptrons, MLP decision regions.

Every function draws into the ``Axes`` or ``Figure`` it is given and returns it.

Examples
--------
>>> from matplotlib.figure import Figure
>>> ax = plot_activation(Figure().add_subplot(), "tanh")
>>> [text.get_text() for text in ax.get_legend().get_texts()]
['f(x)', "f'(x)"]
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

from dlcourse.backend import to_numpy
from dlcourse.chapters.perceptron_mlp.activations import ACTIVATION_FORMULAS, activation_curves

__all__ = [
    "CLASS_COLORS",
    "activation_title",
    "decision_boundary",
    "plot_activation",
    "plot_activations",
    "plot_decision_grid",
    "plot_decision_grids",
    "plot_hidden_units",
    "plot_loss_curve",
    "plot_mistakes",
    "plot_mlp_run",
    "plot_perceptron",
    "plot_weight_gradients",
    "region_image",
]

CLASS_COLORS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange")
"""Colour of class 0, 1, 2, ... in every plot of the chapter."""


def activation_title(name) -> str:
    """The title of :func:`plot_activation`: the activation's formula, as mathtext."""
    return f"${ACTIVATION_FORMULAS[name].formula}$"


def plot_activation(ax, name, x=None):
    """Draw ``f`` (solid) and ``f'`` (dashed) of the activation ``name`` on ``ax``.

    Parameters
    ----------
    ax : matplotlib Axes
    name : str
        A key of :data:`dlcourse.chapters.perceptron_mlp.activations.ACTIVATIONS`.
    x : ndarray, optional
        Where to evaluate; 401 points on [-5, 5] by default.
    """
    x = np.linspace(-5.0, 5.0, 401) if x is None else x
    f, df = (to_numpy(v) for v in activation_curves(name, x))
    ax.axhline(0.0, color="0.8", lw=0.8, zorder=0)
    ax.axvline(0.0, color="0.8", lw=0.8, zorder=0)
    ax.plot(to_numpy(x), f, color="tab:blue", lw=2, label="f(x)")
    ax.plot(to_numpy(x), df, color="tab:orange", lw=2, ls="--", label="f'(x)")
    ax.set(title=activation_title(name), xlabel="x", ylabel="value")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_activations(fig, names=None):
    """Small multiples of :func:`plot_activation` for ``names`` (all activations by default)."""
    names = list(ACTIVATION_FORMULAS) if names is None else list(names)
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        plot_activation(ax, name)
        ax.set_title(name)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    return fig


def _scatter_classes(ax, X, y):
    X, y = to_numpy(X), to_numpy(y)
    for k in np.unique(y):
        pts = X[y == k]
        ax.scatter(pts[:, 0], pts[:, 1], s=28, color=CLASS_COLORS[int(k) % len(CLASS_COLORS)],
                   edgecolor="white", linewidth=0.7, label=f"class {int(k)}", zorder=3)


def region_image(proba):
    """RGB image ``(R, R, 3)`` of class regions from probabilities ``(R, R, C)``: the class
    colours mixed by probability, pale towards white."""
    colors = np.array([to_rgb(c) for c in CLASS_COLORS[:proba.shape[-1]]])    # (C, 3)
    mixed = proba @ colors                                                     # (R, R, 3)
    return 1 - 0.5 * (1 - mixed)


def plot_decision_grid(ax, grid, X, y, *, title="Decision regions", legend=True):
    """Class regions of a model (from a :class:`dlcourse.chapters.perceptron_mlp.mlp.DecisionGrid`)
    and the data.

    Each grid point is coloured by the class probabilities mixed as colours (pale: the
    model is unsure); for two classes the 0.5 contour, the decision boundary, is drawn.
    """
    extent = (grid.xs[0], grid.xs[-1], grid.ys[0], grid.ys[-1])
    ax.imshow(region_image(grid.proba), origin="lower", extent=extent, aspect="auto",
              interpolation="bilinear")
    decision_boundary(ax, grid)
    _scatter_classes(ax, X, y)
    ax.set(title=title, xlabel="x₁", ylabel="x₂", xlim=extent[:2], ylim=extent[2:])
    ax.locator_params(nbins=4)
    if legend:
        ax.legend(loc="upper right", fontsize="small", framealpha=0.8)
    return ax


def decision_boundary(ax, grid):
    """For two classes, the decision boundary (probability 0.5) of a
    :class:`dlcourse.chapters.perceptron_mlp.mlp.DecisionGrid` as a black contour; None else."""
    if grid.proba.shape[-1] != 2:
        return None
    return ax.contour(grid.xs, grid.ys, grid.proba[..., 1], levels=[0.5], colors="k",
                      linewidths=1.2)


def plot_loss_curve(ax, history, *, label=None, title="Training loss"):
    """Loss per epoch (the loss before each epoch's update)."""
    history = to_numpy(history)
    ax.plot(np.arange(1, len(history) + 1), history, lw=2, label=label)
    ax.set(title=title, xlabel="epoch", ylabel="cross-entropy loss")
    ax.set_ylim(bottom=0)
    ax.locator_params(nbins=4)
    if label is not None:
        ax.legend(fontsize="small")
    return ax


def plot_mlp_run(fig, run, *, title="MLP", legend=True):
    """Decision regions (left) and the loss curve (right) of a
    :class:`dlcourse.chapters.perceptron_mlp.mlp.MLPRun`."""
    ax_grid, ax_loss = fig.subplots(1, 2, width_ratios=(1.0, 1.2))
    plot_decision_grid(ax_grid, run.grid, run.X, run.y, legend=legend,
                       title=f"{title}: accuracy {run.accuracy:.0%}")
    plot_loss_curve(ax_loss, run.history, title=f"Loss, final {run.history[-1]:.4f}")
    return fig


def plot_decision_grids(fig, runs, *, cols=4):
    """One panel of decision regions per run; ``runs`` maps a title to an ``MLPRun``."""
    rows = -(-len(runs) // cols)
    axes = fig.subplots(rows, min(cols, len(runs)), squeeze=False)
    for ax, (title, run) in zip(axes.flat, runs.items(), strict=False):
        plot_decision_grid(ax, run.grid, run.X, run.y, legend=False,
                           title=f"{title}\naccuracy {run.accuracy:.0%}")
    for ax in axes.flat[len(runs):]:
        ax.set_visible(False)
    return fig


def plot_perceptron(ax, w, b, X, y, *, title="Perceptron", show_origin=False):
    """The data (labels -1/+1 or 0/1) and the perceptron's boundary ``w . x + b = 0``.

    ``show_origin`` widens the view to include ``(0, 0)`` and marks it (every boundary of
    a perceptron without bias passes through it).
    """
    X, w = to_numpy(X), to_numpy(w)
    _scatter_classes(ax, X, (to_numpy(y) > 0).astype(int))
    if show_origin:
        ax.plot([0.0], [0.0], "k+", ms=12, mew=2, label="origin")
    (x_low, x_high), (y_low, y_high) = ax.get_xlim(), ax.get_ylim()
    if abs(w[1]) > 1e-12:
        xs = np.array([x_low, x_high])
        ax.plot(xs, -(w[0] * xs + b) / w[1], "k-", lw=1.5, label="$w \\cdot x + b = 0$")
    elif abs(w[0]) > 1e-12:
        ax.axvline(-b / w[0], color="k", lw=1.5, label="$w \\cdot x + b = 0$")
    ax.set(title=title, xlabel="x₁", ylabel="x₂", xlim=(x_low, x_high),
           ylim=(y_low, y_high))
    ax.legend(loc="best", fontsize="small", framealpha=0.8)
    return ax


def plot_mistakes(ax, curves, *, title="Perceptron mistakes per epoch"):
    """One line per data set; ``curves`` maps a label to the mistakes of each epoch."""
    for label, mistakes in curves.items():
        mistakes = to_numpy(mistakes)
        ax.plot(np.arange(1, len(mistakes) + 1), mistakes, marker="o", ms=3, label=label)
    ax.set(title=title, xlabel="epoch", ylabel="updates (misclassified samples)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    return ax


def plot_hidden_units(fig, nets, *, title="First-layer hidden units"):
    """Heat maps of the first Linear layer, one row per hidden unit: ``(w_1, ..., w_d, b)``.

    ``nets`` maps a label (e.g. the initialisation) to a network; identical rows mean
    identical hidden units -- the symmetry problem.
    """
    axes = fig.subplots(1, len(nets), squeeze=False)[0]
    for ax, (label, net) in zip(axes, nets.items(), strict=True):
        layer = net[0]
        units = np.concatenate([to_numpy(layer.weight.data), to_numpy(layer.bias.data)[:, None]],
                               axis=1)
        limit = max(float(np.abs(units).max()), 1e-12)
        image = ax.imshow(units, cmap="coolwarm", vmin=-limit, vmax=limit, aspect="auto")
        for (i, j), value in np.ndenumerate(units):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize="x-small")
        d = units.shape[1] - 1
        ax.set_xticks(range(d + 1), [f"$w_{k + 1}$" for k in range(d)] + ["$b$"])
        ax.set_yticks(range(len(units)), [f"unit {i}" for i in range(len(units))])
        ax.set_title(label)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.suptitle(title)
    return fig


def plot_weight_gradients(ax, grads, *, title="Gradient on two weights, one dot per sample"):
    """Scatter of per-sample gradients ``(dL/dw_1, dL/dw_2)`` (zero-centering problem).

    With non-negative inputs every dot lies in the first or third quadrant: a step can
    only increase both weights or decrease both.
    """
    grads = to_numpy(grads)
    same = (grads[:, :2] >= 0).all(axis=1) | (grads[:, :2] <= 0).all(axis=1)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.axvline(0.0, color="0.6", lw=0.8)
    ax.scatter(*grads[same, :2].T, s=8, color="tab:red", label="same sign")
    ax.scatter(*grads[~same, :2].T, s=8, color="tab:blue", label="mixed signs")
    ax.set(title=title, xlabel="$\\partial L / \\partial w_1$",
           ylabel="$\\partial L / \\partial w_2$")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper left", fontsize="small")
    return ax
