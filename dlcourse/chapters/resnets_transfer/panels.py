"""Chapter 08 panel: pick a depth, compare a plain net and a ResNet of that depth.

Training a 56-layer net takes seconds, far too long for a slider, so the panel works on
runs trained beforehand
(:func:`dlcourse.chapters.resnets_transfer.residual.degradation_experiment`), one plain and one
residual run per depth; an update only looks the depth up.  Both plots keep their y axis
while the slider moves (the range of every run), so that depths compare at a glance and
the axes are drawn once; an update sets the curves, the legends' names, the layers axis
and the gradient plot's title in place
(:func:`~dlcourse.chapters.resnets_transfer.plots.set_depth_losses`,
:func:`~dlcourse.chapters.resnets_transfer.plots.set_gradient_norms`).

Examples
--------
>>> import numpy as np
>>> from dlcourse.chapters.resnets_transfer.residual import DepthRun
>>> def run(depth, residual):
...     ones = np.ones(2 * depth - 3)
...     return DepthRun(depth, residual, np.ones(6), np.ones(2), 1.0, 1.0, ones, ones)
>>> runs = {d: {"plain": run(d, False), "residual": run(d, True)} for d in (8, 14)}
>>> panel = depth_panel(runs)
>>> panel.controls["depth"].value = 14; panel.result["depth"]
14
"""

from __future__ import annotations

import functools

import ipywidgets as widgets
import numpy as np

from dlcourse.chapters.resnets_transfer.plots import (
    plot_depth_losses,
    plot_gradient_norms,
    set_depth_losses,
    set_gradient_norms,
    smooth,
    whole_decades,
)
from dlcourse.ui.panel import Panel

__all__ = ["depth_comparison", "depth_panel", "shared_limits"]

WHEN = {"at initialisation": "init", "after training": "trained"}


def depth_comparison(runs: dict, depth: int, when: str = "init") -> dict:
    """The panel's compute: the two runs of ``depth`` and the numbers to compare.

    Returns ``depth``, ``when``, ``runs`` (``{"plain": run, "residual": run}``), and per kind
    the final-epoch loss, the test accuracy and the ratio of the gradient norm of the first
    convolution to that of the last one (``first_to_last``: far from 1 means the layers
    near the input get a very different signal from those near the output).
    """
    if depth not in runs:
        raise ValueError(f"no runs for depth {depth}; trained depths are {sorted(runs)}")
    if when not in WHEN.values():
        raise ValueError(f"when must be one of {list(WHEN.values())}, got {when!r}")
    pair = runs[depth]
    summary = {}
    for kind, run in pair.items():
        norms = run.grad_norms_init if when == "init" else run.grad_norms_trained
        summary[kind] = {"final_loss": float(run.epoch_losses[-1]),
                         "test_accuracy": run.test_accuracy,
                         "first_to_last": float(norms[0] / norms[-1])}
    return {"depth": depth, "when": when, "runs": pair, "summary": summary}


def shared_limits(runs: dict) -> tuple[float, tuple[int, int]]:
    """Axes that fit every run of ``runs``: the top of the loss plot (5 % above the highest
    smoothed loss) and the decades of the gradient norms (both moments)."""
    every = [run for pair in runs.values() for run in pair.values()]
    top = 1.05 * max(smooth(run.step_losses).max() for run in every)
    norms = np.concatenate([[*run.grad_norms_init, *run.grad_norms_trained] for run in every])
    return float(top), whole_decades(norms)


def _draw(fig, result, *, limits):
    """Both axes once; the changing artists, in the order a full draw has them."""
    fig.subplotpars.update(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.28)
    loss_ax, grad_ax = fig.subplots(1, 2)
    top, decades = limits
    plot_depth_losses(loss_ax, result["runs"], top=top)
    plot_gradient_norms(grad_ax, result["runs"], when=result["when"], decades=decades)
    return {"loss": [*loss_ax.lines, loss_ax.get_legend()],
            "grad": [*grad_ax.lines, grad_ax.xaxis, grad_ax.title, grad_ax.get_legend()]}


def _update(artists, result, *, limits):
    top, decades = limits
    set_depth_losses(artists["loss"][0].axes, result["runs"], top=top)
    set_gradient_norms(artists["grad"][0].axes, result["runs"], when=result["when"],
                       decades=decades)
    parts = [f"<b>{result['runs'][kind].name}</b>: final loss {s['final_loss']:.3f}, "
             f"test accuracy {s['test_accuracy']:.1%}, "
             f"first/last layer gradient {s['first_to_last']:.2g}"
             for kind, s in result["summary"].items()]
    return "; ".join(parts)


def _steps(result) -> tuple[int, ...]:
    """What the static picture depends on: the loss plot's steps (its x axis)."""
    return tuple(len(run.step_losses) for run in result["runs"].values())


def depth_panel(runs: dict, depth: int | None = None, when: str = "init") -> Panel:
    """Depth slider over the trained depths of ``runs``; loss curves and gradient norms.

    ``runs`` maps depth to ``{"plain": DepthRun, "residual": DepthRun}``, as returned by
    :func:`dlcourse.chapters.resnets_transfer.residual.degradation_experiment`.
    """
    depths = sorted(runs)
    controls = {
        "depth": widgets.SelectionSlider(options=depths, value=depth or depths[-1],
                                         description="depth"),
        "when": widgets.Dropdown(options=WHEN, value=when, description="gradients"),
    }
    limits = shared_limits(runs)
    return Panel(lambda depth, when: depth_comparison(runs, depth, when),
                 functools.partial(_draw, limits=limits), controls,
                 update=functools.partial(_update, limits=limits), key=_steps,
                 figsize=(8.0, 3.0), dpi=72, axes_layout="fixed")
