"""Chapter 04 panels: the optimiser race and minibatch size against gradient noise.

Both wire a plain, tested compute function to drawings of
:mod:`dlcourse.chapters.optimisation.plots`: :func:`race_compute` runs
:func:`dlcourse.chapters.optimisation.race.race`, :func:`minibatch_compute` runs
:func:`dlcourse.chapters.optimisation.minibatch.minibatch_run`.

Examples
--------
>>> panel = optimizer_race_panel()
>>> panel.controls["lr"].value = 0.01
>>> sorted(panel.result["paths"])
['Adam', 'Momentum', 'SGD']
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from dlcourse.chapters.optimisation.minibatch import (
    logistic_problem,
    minibatch_noise,
    minibatch_run,
)
from dlcourse.chapters.optimisation.plots import (
    fit_value_axes,
    minibatch_run_label,
    path_values,
    plot_minibatch_noise,
    plot_minibatch_runs,
    plot_surface,
    plot_trajectories,
    plot_value_curves,
    room_above,
)
from dlcourse.chapters.optimisation.race import OPTIMIZERS, race
from dlcourse.chapters.optimisation.surfaces import SURFACES, grid, quadratic
from dlcourse.ui.panel import Panel

__all__ = [
    "BATCH_SIZES",
    "minibatch_compute",
    "minibatch_panel",
    "optimizer_race_panel",
    "race_compute",
]


def _few_ticks(axes):
    """About four plain tick labels per axis, no minor ticks: tick text is most of a redraw."""
    for ax in axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                axis.set_major_locator(LogLocator(numticks=4))
                axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
                axis.set_minor_locator(NullLocator())
            else:
                axis.set_major_locator(MaxNLocator(4))


@lru_cache(maxsize=16)
def _surface_and_grid(name: str, condition_number: float):
    """The surface and its contour grid, computed once per choice (the panel redraws often)."""
    surface = quadratic(condition_number) if name == "quadratic" else SURFACES[name]()
    surface.critical_points  # noqa: B018 -- found once here, reused by every redraw
    return surface, grid(surface, n=80)


def race_compute(surface="bumps", optimizers=("SGD", "Momentum", "Adam"), lr=0.1, beta=0.9,
                 x0=-0.5, y0=-2.5, steps=100, condition_number=10.0) -> dict:
    """The panel's compute: every chosen optimiser's path on the surface.

    Parameters
    ----------
    surface : {"quadratic", "bumps"}
    optimizers : sequence of str
        Keys of :data:`dlcourse.chapters.optimisation.race.OPTIMIZERS`.
    lr, beta : float
        Learning rate (the same for all) and momentum / first-moment decay.
    x0, y0 : float
        The start.
    steps : int
    condition_number : float
        Of the quadratic (ignored for the other surfaces).

    Returns
    -------
    dict
        ``surface``, ``grid`` (for the contours), ``paths`` (name -> (steps + 1, 2)) and
        ``final`` (name -> loss at the end of the path).

    >>> out = race_compute("quadratic", ["SGD"], lr=0.25, x0=2.0, y0=0.0, steps=1)
    >>> out["paths"]["SGD"][-1].tolist(), out["final"]["SGD"]
    ([1.5, 0.0], 1.125)
    """
    surface_obj, surface_grid = _surface_and_grid(surface, float(condition_number))
    paths = race(surface_obj, list(optimizers), lr=lr, beta=beta, start=(x0, y0), steps=steps)
    final = {name: float(surface_obj(path[-1])) for name, path in paths.items()}
    return {"surface": surface_obj, "grid": surface_grid, "paths": paths, "final": final}


def _draw_race(fig, result):
    """The contours and the loss plot's frame once per surface and set of optimisers; the
    paths, the loss curves, the loss plot's ticks (its limits follow the losses) and its
    legend change."""
    ax_race, ax_loss = fig.subplots(1, 2, width_ratios=(1.1, 1))
    plot_surface(ax_race, result["surface"], surface_grid=result["grid"], levels=15)
    drawn = len(ax_race.lines)
    plot_trajectories(ax_race, result["paths"])
    lines = ax_race.lines[drawn:]
    paths = [lines[i:i + 3] for i in range(0, len(lines), 3)]  # path, start, end of each
    plot_value_curves(ax_loss, result["surface"], result["paths"])
    _few_ticks([ax_loss])
    ax_loss.legend(loc="upper right", ncols=1 if len(result["paths"]) <= 4 else 2,
                   framealpha=0.85)
    # in drawing order: the curves, the ticks, the legend over them
    return {"paths": paths, "losses": list(ax_loss.lines),
            "ticks": [ax_loss.xaxis, ax_loss.yaxis], "legend": ax_loss.get_legend()}


def _update_race(artists, result):
    surface = result["surface"]
    for (line, start, end), loss, path in zip(artists["paths"], artists["losses"],
                                              result["paths"].values(), strict=True):
        line.set_data(path[:, 0], path[:, 1])
        line.set_markevery(max(1, len(path) // 40))
        start.set_data(path[:1, 0], path[:1, 1])
        end.set_data(path[-1:, 0], path[-1:, 1])
        loss.set_data(np.arange(len(path)), path_values(surface, path))
    ax_loss = artists["losses"][0].axes
    fit_value_axes(ax_loss)
    room_above(ax_loss)
    parts = [f"{name}: f = {value:.3g}" for name, value in result["final"].items()]
    kinds = [c.kind for c in surface.critical_points]
    marks = ["gold star: global minimum"] + (["silver stars: local minima"]
                                             if kinds.count("minimum") > 1 else [])
    marks += ["crosses: saddle points"] if "saddle" in kinds else []
    return "final loss: " + ", ".join(parts) + "<br>" + "; ".join(marks)


def _race_key(result):
    """What the contours depend on: the surface, and which optimisers race (their colours)."""
    return id(result["surface"]), tuple(result["paths"])


def optimizer_race_panel(surface="bumps", optimizers=("SGD", "Momentum", "Adam"), lr=0.1,
                         beta=0.9, x0=-0.5, y0=-2.5, steps=100,
                         condition_number=10.0) -> Panel:
    """Race optimisers on a 2-D surface: pick them, the learning rate, β and the start.

    The arguments are the controls' initial values (see :func:`race_compute`).
    """
    slider = widgets.FloatSlider
    controls = {
        "surface": widgets.Dropdown(options=list(SURFACES), value=surface,
                                    description="surface"),
        "optimizers": widgets.SelectMultiple(options=list(OPTIMIZERS), value=tuple(optimizers),
                                             rows=len(OPTIMIZERS), description="optimisers"),
        "lr": widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.1,
                                     description="learning rate"),
        "beta": slider(value=beta, min=0.0, max=0.99, step=0.01, description="β"),
        "x0": slider(value=x0, min=-3.0, max=3.0, step=0.1, description="start x"),
        "y0": slider(value=y0, min=-3.0, max=3.0, step=0.1, description="start y"),
        "steps": widgets.IntSlider(value=steps, min=10, max=300, step=10, description="steps"),
        "condition_number": widgets.FloatLogSlider(value=condition_number, base=10, min=0,
                                                   max=2, step=0.1,
                                                   description="κ (quadratic)"),
    }
    return Panel(race_compute, _draw_race, controls, update=_update_race, key=_race_key,
                 figsize=(9.5, 4.2), dpi=72)


BATCH_SIZES = tuple(2**k for k in range(11))
"""Batch sizes offered by the minibatch panel: 1, 2, 4, ..., 1024 (all the data)."""


@lru_cache(maxsize=1)
def _problem_and_noise():
    X, y = logistic_problem(n_samples=BATCH_SIZES[-1])
    return X, y, minibatch_noise(BATCH_SIZES, X=X, y=y, timing=False)


@lru_cache(maxsize=64)
def _cached_run(batch_size: int, lr: float, epochs: float):
    X, y, _ = _problem_and_noise()
    return minibatch_run(batch_size, epochs=epochs, lr=lr, X=X, y=y)


def minibatch_compute(batch_size=32, lr=0.1, epochs=3.0) -> dict:
    """The panel's compute: gradient noise per batch size, and training runs.

    Logistic regression on 1,024 samples
    (:func:`dlcourse.chapters.optimisation.minibatch.logistic_problem`), trained with minibatches
    of ``batch_size``, and -- for comparison -- with the full batch (batch gradient descent) and
    with ``B = 1`` (stochastic gradient descent).

    Returns
    -------
    dict
        ``noise`` (a :class:`~dlcourse.chapters.optimisation.minibatch.MinibatchNoise`),
        ``batch_size`` and
        ``runs``: label -> :func:`~dlcourse.chapters.optimisation.minibatch.minibatch_run` result.

    >>> out = minibatch_compute(batch_size=1024, epochs=1)
    >>> list(out["runs"]), out["runs"]["B = 1024 (batch GD)"]["steps"]
    (['B = 1024 (batch GD)', 'B = 1 (SGD)'], 1)
    """
    _, _, noise = _problem_and_noise()
    labels = {BATCH_SIZES[-1]: "batch GD", 1: "SGD"}
    chosen = [batch_size] + [b for b in labels if b != batch_size]
    runs = {f"B = {b}" + (f" ({labels[b]})" if b in labels else ""):
            _cached_run(int(b), float(lr), float(epochs)) for b in chosen}
    return {"noise": noise, "batch_size": batch_size, "runs": runs}


def _draw_minibatch(fig, result):
    """The noise plot once; the ring on the chosen batch size, the curves, the loss axes'
    ticks (their limits follow the curves) and both legends' labels change."""
    ax_noise, ax_loss = fig.subplots(1, 2)
    plot_minibatch_noise(ax_noise, result["noise"], highlight=result["batch_size"])
    plot_minibatch_runs(ax_loss, result["runs"])
    _few_ticks(fig.axes)
    # in drawing order: the curves, the loss axes' ticks, the legends over them
    return {"ring": ax_noise.lines[2:], "runs": list(ax_loss.lines),
            "ticks": [ax_loss.xaxis, ax_loss.yaxis],
            "legends": [ax_noise.get_legend(), ax_loss.get_legend()]}


def _update_minibatch(artists, result):
    noise, b = result["noise"], result["batch_size"]
    noise_legend, loss_legend = artists["legends"]
    for ring in artists["ring"]:
        ring.set_data([b], noise.variance[noise.batch_sizes == b])
        noise_legend.get_texts()[-1].set_text(f"B = {b}")
    for line, text, (name, run) in zip(artists["runs"], loss_legend.get_texts(),
                                       result["runs"].items(), strict=True):
        line.set_data(run["epoch"], run["loss"])
        text.set_text(minibatch_run_label(name, run))
    ax_loss = artists["runs"][0].axes
    ax_loss.relim()
    ax_loss.autoscale()             # as a fresh plot_minibatch_runs: fitted, room above
    room_above(ax_loss, 0.4)
    relative = float(noise.relative_noise[noise.batch_sizes == b][0])
    first = next(iter(result["runs"].values()))
    return (f"B = {b}: {first['steps']} steps, typical gradient error {relative:.0%} of |g| "
            f"at the start; final loss {first['loss'][-1]:.4f}")


def _minibatch_key(result):
    """What the static part depends on: how many runs, and whether the ring is drawn."""
    noise, b = result["noise"], result["batch_size"]
    return len(result["runs"]), bool(noise.predicted[noise.batch_sizes == b][0] > 0)


def minibatch_panel(batch_size=32, lr=0.1, epochs=3.0) -> Panel:
    """Choose a batch size: see its gradient noise and its training curve beside B = 1 and B = N."""
    controls = {
        "batch_size": widgets.SelectionSlider(options=list(BATCH_SIZES), value=batch_size,
                                              description="batch size B"),
        "lr": widgets.FloatLogSlider(value=lr, base=10, min=-2, max=0.5, step=0.1,
                                     description="learning rate"),
        "epochs": widgets.FloatSlider(value=epochs, min=0.5, max=5.0, step=0.5,
                                      description="epochs"),
    }
    return Panel(minibatch_compute, _draw_minibatch, controls, update=_update_minibatch,
                 key=_minibatch_key, figsize=(9.5, 4.0), dpi=72)
