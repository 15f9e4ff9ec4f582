"""Plots for chapter 04: loss curves, surfaces with optimiser paths, minibatch effects.

Every function draws into the ``Axes`` (or ``Figure``) it is given and returns it.

Examples
--------
>>> from matplotlib.figure import Figure
>>> from dlcourse.chapters.optimisation.race import race
>>> ax = Figure().add_subplot()
>>> ax = plot_race(ax, "quadratic", race("quadratic", ["SGD"], lr=0.1, steps=10))
>>> ax.get_legend().get_texts()[-1].get_text()
'SGD: f = 0.38'
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from dlcourse.chapters.optimisation.surfaces import get_surface, grid

__all__ = [
    "OPTIMIZER_COLORS",
    "plot_basins",
    "plot_classification_losses",
    "plot_digits_comparison",
    "plot_epoch_time",
    "plot_gradient_norms",
    "plot_loss_curves",
    "plot_lr_schedules",
    "plot_minibatch_noise",
    "plot_minibatch_runs",
    "plot_momentum_steps",
    "plot_race",
    "plot_regression_losses",
    "plot_surface",
    "plot_trajectories",
    "plot_value_curves",
    "fit_value_axes",
    "minibatch_run_label",
    "path_values",
    "room_above",
]

OPTIMIZER_COLORS = {
    "SGD": "tab:blue", "Momentum": "tab:orange", "Nesterov": "tab:green",
    "AdaGrad": "tab:red", "RMSProp": "tab:purple", "Adam": "tab:brown",
    "AdaMax": "tab:pink", "NAdam": "tab:olive",
}
"""One colour per optimiser, the same in every plot of the chapter."""

_MARKERS = {"global minimum": ("*", "gold", 16), "local minimum": ("*", "silver", 14),
            "saddle point": ("X", "white", 10), "maximum": ("^", "white", 10)}


def _color(name, i):
    return OPTIMIZER_COLORS.get(name, f"C{i % 10}")


def _mark_critical_points(ax, surface):
    """Stars on the minima (gold: the lowest), crosses on saddles, triangles on maxima."""
    groups = {}
    for i, c in enumerate(surface.critical_points):  # sorted by value: the first is lowest
        kind = {"minimum": "local minimum", "saddle": "saddle point"}.get(c.kind, c.kind)
        kind = "global minimum" if i == 0 and c.kind == "minimum" else kind
        groups.setdefault(kind, []).append(c.point)
    for kind, points in groups.items():
        marker, color, size = _MARKERS[kind]
        ax.plot(*np.array(points).T, ls="none", marker=marker, ms=size, color=color,
                mec="black", mew=0.8, label=kind, zorder=4)


# --- losses ------------------------------------------------------------------------------

def plot_regression_losses(ax, curves):
    """L2 and L1 loss of one sample (solid) and their derivatives (dashed) against the residual.

    ``curves`` is :func:`dlcourse.chapters.optimisation.losses.regression_loss_curves`.
    """
    r = curves["r"]
    for (name, (loss, grad)), color in zip(((k, v) for k, v in curves.items() if k != "r"),
                                           ("tab:blue", "tab:orange"), strict=False):
        ax.plot(r, loss, color=color, lw=2, label=f"{name}")
        ax.plot(r, grad, color=color, lw=1.5, ls="--", label=f"d {name} / dr")
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.set(title="Regression losses of one sample", xlabel="residual r = prediction − target",
           ylabel="loss / gradient", ylim=(-3.5, 6))
    ax.legend(loc="upper center", fontsize="small", ncol=2)
    return ax


def plot_classification_losses(ax, curves):
    """Cross-entropy of one sample against its logit, for target 1 and target 0.

    ``curves`` is :func:`dlcourse.chapters.optimisation.losses.classification_loss_curves`.
    """
    z = curves["z"]
    ax.plot(z, curves["target 1"], lw=2, color="tab:green", label="target 1: −log σ(z)")
    ax.plot(z, curves["target 0"], lw=2, color="tab:red", label="target 0: −log(1 − σ(z))")
    ax.plot(z, curves["p"], lw=1.2, ls=":", color="0.4", label="σ(z) = p(class 1)")
    ax.set(title="Binary cross-entropy of one sample", xlabel="logit z", ylabel="loss")
    ax.legend(loc="upper center", fontsize="small")
    return ax


def plot_loss_curves(ax, curves, *, xlabel="step", ylabel="loss", title="Loss curves",
                     logy=False, x=None):
    """One line per entry of ``curves`` (name -> values), coloured by optimiser name."""
    for i, (name, values) in enumerate(curves.items()):
        xs = np.arange(len(values)) if x is None else x
        ax.plot(xs, values, color=_color(name, i), lw=1.5, label=name)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize="small", ncol=2)
    return ax


# --- surfaces and races ------------------------------------------------------------------

def plot_surface(ax, surface, *, levels=25, n=150, surface_grid=None, critical_points=True):
    """Contour lines of ``surface`` over its extent, with its minima and saddles marked.

    Parameters
    ----------
    surface : Surface or str
    levels : int
        Number of contour levels (logarithmically spaced for steep bowls).
    n : int
        Grid points per axis (ignored when ``surface_grid`` is given).
    surface_grid : (X, Y, Z), optional
        A precomputed :func:`dlcourse.chapters.optimisation.surfaces.grid`, to redraw fast.
    critical_points : bool
        Mark minima (stars), saddles and maxima.
    """
    surface = get_surface(surface)
    X, Y, Z = grid(surface, n=n) if surface_grid is None else surface_grid
    if surface.log_levels:
        low = Z.min()
        steps = low + np.geomspace(1e-2, Z.max() - low, levels)
        ax.contour(X, Y, Z, levels=steps, cmap="viridis", linewidths=0.8)
    else:
        ax.contour(X, Y, Z, levels=levels, cmap="viridis", linewidths=0.8)
    if critical_points:
        _mark_critical_points(ax, surface)
    x0, x1, y0, y1 = surface.extent
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$x$", ylabel="$y$", title=surface.name)
    ax.set_aspect("equal", adjustable="box")
    return ax


def plot_trajectories(ax, paths, *, surface=None):
    """Draw each optimiser's path (name -> array (steps + 1, 2)): line, dots, start and end.

    With ``surface``, each legend entry shows the final value ``f`` of its path.
    """
    for i, (name, path) in enumerate(paths.items()):
        color = _color(name, i)
        label = name
        if surface is not None:
            final = float(get_surface(surface)(path[-1]))
            label = f"{name}: f = {final:.3g}"
        ax.plot(path[:, 0], path[:, 1], "-o", color=color, lw=1.4, ms=2.5, label=label,
                markevery=max(1, len(path) // 40), zorder=3)  # dots show the step sizes
        ax.plot(*path[0], "o", color="black", ms=6, zorder=5)
        ax.plot(*path[-1], "s", color=color, mec="black", ms=6, zorder=5)
    return ax


def plot_race(ax, surface, paths, *, surface_grid=None, levels=25, title=None, legend=True):
    """:func:`plot_surface` and :func:`plot_trajectories` together, with a legend."""
    surface = get_surface(surface)
    plot_surface(ax, surface, surface_grid=surface_grid, levels=levels)
    plot_trajectories(ax, paths, surface=surface)
    x0, x1, y0, y1 = surface.extent
    ax.set(xlim=(x0, x1), ylim=(y0, y1))  # diverging paths leave the picture
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(loc="lower right", fontsize="x-small", framealpha=0.85)
    return ax


def plot_value_curves(ax, surface, paths, *, log=None):
    """``f(p_k)`` along each path against the step ``k``.

    ``log`` (default: for the log-levelled surfaces) plots ``f(p_k) - min f`` on a log axis.
    """
    surface = get_surface(surface)
    log = surface.log_levels if log is None else log
    for i, (name, path) in enumerate(paths.items()):
        ax.plot(path_values(surface, path, log=log), color=_color(name, i), lw=1.5, label=name)
    if log:
        ax.set_yscale("log")
    fit_value_axes(ax)
    ax.set(title="Loss along the path", xlabel="step",
           ylabel="f(p) − min f" if log else "f(p)")
    return ax


def path_values(surface, path, *, log=None):
    """What :func:`plot_value_curves` draws for one path ``(steps + 1, 2)``: ``f`` at each
    point, minus ``min f`` when ``log`` (default: for the log-levelled surfaces)."""
    surface = get_surface(surface)
    log = surface.log_levels if log is None else log
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.asarray(surface(path), dtype=float)
    return values - min(c.value for c in surface.critical_points) if log else values


def fit_value_axes(ax):
    """Fit the limits of :func:`plot_value_curves` to its curves: on a log axis from 1e-8."""
    ax.relim()
    ax.autoscale()
    if ax.get_yscale() == "log":
        ax.set_ylim(1e-8, None)


def plot_basins(ax, surface, X, Y, label, *, title=None):
    """Colour every start by the minimum it ended in
    (:func:`dlcourse.chapters.optimisation.race.basins`)."""
    surface = get_surface(surface)
    colors = ["0.85", "#9ecae1", "#fdae6b", "#a1d99b", "#bcbddc"]  # -1 grey, then minima
    ax.pcolormesh(X, Y, label, cmap=ListedColormap(colors[:label.max() + 2]),
                  vmin=-1.5, vmax=label.max() + 0.5, shading="nearest")
    plot_surface(ax, surface)
    handles = [Patch(color=colors[0], label="no minimum reached")]
    handles += [Patch(color=colors[k + 1], label=f"ends in minimum {k}: "
                      f"f = {surface(m):.2f}") for k, m in enumerate(surface.minima())]
    ax.legend(handles=handles, loc="lower right", fontsize="x-small", framealpha=0.9)
    if title is not None:
        ax.set_title(title)
    return ax


# --- momentum, schedules, gradients -----------------------------------------------------

def plot_momentum_steps(ax, step_sizes, max_steps):
    """Step length per iteration under a constant gradient (solid), and its limit (dashed).

    ``step_sizes`` and ``max_steps`` map a label (e.g. ``"β = 0.9"``) to
    :func:`dlcourse.chapters.optimisation.race.momentum_step_sizes` and :func:`momentum_max_step`.
    """
    for i, (name, sizes) in enumerate(step_sizes.items()):
        ax.plot(np.arange(1, len(sizes) + 1), sizes, color=f"C{i}", lw=2, label=name)
        ax.axhline(max_steps[name], color=f"C{i}", ls="--", lw=1)
    ax.set(title="Momentum under a constant gradient", xlabel="iteration",
           ylabel="step length |Δp|")
    ax.legend(fontsize="small")
    return ax


def plot_lr_schedules(ax, curves):
    """Learning rate against epoch for each schedule (name -> list of rates), log scale."""
    for i, (name, rates) in enumerate(curves.items()):
        ax.step(np.arange(len(rates)), rates, where="post", lw=2, color=f"C{i}", label=name)
    ax.set_yscale("log")
    ax.set(title="Learning-rate schedules", xlabel="epoch", ylabel="learning rate")
    ax.legend(fontsize="small")
    return ax


def plot_gradient_norms(ax, norms):
    """Weight-gradient norm of each hidden layer (label -> array), log scale."""
    for i, (name, values) in enumerate(norms.items()):
        ax.plot(np.arange(1, len(values) + 1), values, "-o", ms=3, color=f"C{i}", label=name)
    ax.set_yscale("log")
    ax.set(title="Gradient norms at initialisation (no step taken)",
           xlabel="hidden layer (1 = next to the input)", ylabel="|dL/dW|")
    ax.legend(fontsize="small")
    return ax


# --- minibatches -------------------------------------------------------------------------

def plot_minibatch_noise(ax, noise, *, highlight=None):
    """Measured gradient variance (dots) and the formula (line) against the batch size."""
    b = noise.batch_sizes
    keep = noise.predicted > 0  # the full batch has no noise: nothing to draw on a log axis
    ax.plot(b[keep], noise.predicted[keep], color="0.4", lw=1.5,
            label="(N − B)/(N − 1) · σ²/B")
    ax.plot(b[keep], noise.variance[keep], "o", color="tab:blue", label="measured")
    if highlight is not None and highlight in b and noise.predicted[b == highlight][0] > 0:
        ax.plot(highlight, noise.variance[b == highlight][0], "o", ms=12, mfc="none",
                mec="tab:red", mew=2, label=f"B = {highlight}")
    ax.set(xscale="log", yscale="log", title="Noise of the minibatch gradient",
           xlabel="batch size B", ylabel="E|g_B − g|²")
    ax.legend(loc="upper right", fontsize="small")  # the points fall from the upper left
    return ax


def plot_epoch_time(ax, noise):
    """Wall time of one epoch of SGD steps against the batch size."""
    ax.plot(noise.batch_sizes, 1000 * noise.seconds_per_epoch, "o-", color="tab:green")
    ax.set(xscale="log", yscale="log", title="Time per epoch", xlabel="batch size B",
           ylabel="milliseconds")
    return ax


def minibatch_run_label(name, run) -> str:
    """The legend label of one run in :func:`plot_minibatch_runs`."""
    return f"{name} ({run['steps']} steps)"


def room_above(ax, share=0.45):
    """Raise the top of the y axis by ``share`` of its range (on a log axis: of its decades),
    so that the curves leave the upper part free for a legend."""
    low, high = ax.get_ylim()
    if ax.get_yscale() == "log":
        ax.set_ylim(low, high * (high / low) ** share)
    else:
        ax.set_ylim(low, high + share * (high - low))


def plot_minibatch_runs(ax, runs):
    """Full-data loss against epochs, one line per batch size (label -> minibatch_run dict)."""
    for i, (name, run) in enumerate(runs.items()):
        ax.plot(run["epoch"], run["loss"], color=f"C{i}", lw=1.5,
                label=minibatch_run_label(name, run))
    room_above(ax, 0.4)                                # for the legend
    ax.set(title="Training loss (all data)", xlabel="epoch", ylabel="loss")
    ax.legend(loc="upper right", fontsize="small", framealpha=0.85)
    return ax


def _running_mean(values, window):
    """Mean of the last ``window`` values at each position (fewer at the start)."""
    sums = np.cumsum(np.insert(np.asarray(values, dtype=float), 0, 0.0))
    k = np.arange(1, len(values) + 1)
    return (sums[k] - sums[np.maximum(k - window, 0)]) / np.minimum(k, window)


def plot_digits_comparison(fig, runs, *, window=10):
    """Engine and torch loss curves side by side, and their largest difference per optimiser.

    ``runs`` is :func:`dlcourse.chapters.optimisation.race.compare_optimizers_on_digits`; the
    curves are running means over ``window`` minibatches (the differences use the raw losses).
    """
    ax_engine, ax_torch, ax_diff = fig.subplots(1, 3, width_ratios=(1, 1, 0.8))
    for i, (name, run) in enumerate(runs.items()):
        color = _color(name, i)
        ax_engine.plot(_running_mean(run.engine_loss, window), color=color, lw=1.5,
                       label=f"{name} (lr {run.lr:g})")
        ax_torch.plot(_running_mean(run.torch_loss, window), color=color, lw=1.5, label=name)
    for ax, title in ((ax_engine, "dlcourse.optim (from scratch)"), (ax_torch, "torch.optim")):
        ax.set(title=title, xlabel="step (minibatch)", yscale="log",
               ylabel=f"minibatch loss (mean of {window})")
    ax_torch.sharey(ax_engine)
    ax_engine.legend(fontsize="x-small", ncol=2)
    names = list(runs)
    diffs = [max(runs[n].max_difference, 1e-18) for n in names]
    ax_diff.barh(names, diffs, color=[_color(n, i) for i, n in enumerate(names)])
    ax_diff.set(xscale="log", xlim=(1e-18, 1), title="largest |engine − torch|",
                xlabel="loss difference")
    ax_diff.invert_yaxis()
    return fig
