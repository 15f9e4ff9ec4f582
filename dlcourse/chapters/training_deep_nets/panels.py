"""Chapter 07 panel: initialisation, activation and depth against per-layer signal statistics.

The compute is :func:`signal_explorer`, remembered per setting, so that going back to one
is instant.  It keeps a
:class:`~dlcourse.chapters.training_deep_nets.signal_propagation.SignalProbe` for the
latest settings of activation, init and bias, so that another depth costs one backward
pass (and a forward through the new blocks, if deeper).  While the panel is idle, the other
depths of the current setting are computed too, nearest first, so that dragging the depth
slider only draws.  The figure is drawn once by
:func:`dlcourse.chapters.training_deep_nets.plots.plot_signal`; an update only changes the
heatmaps, the curves, the value axes' limits and ticks and the legend
(:func:`dlcourse.chapters.training_deep_nets.plots.set_signal`).

Examples
--------
>>> panel = signal_panel()
>>> panel.controls["init"].value = "small"
>>> panel.result["verdict"]
'vanishing'
"""

from __future__ import annotations

import functools

import ipywidgets as widgets

from dlcourse.chapters.training_deep_nets.plots import plot_signal, set_signal
from dlcourse.chapters.training_deep_nets.signal_propagation import (
    ACTIVATION_CHOICES,
    INITS,
    SignalProbe,
)
from dlcourse.ui.panel import Panel

__all__ = ["other_depths", "signal_explorer", "signal_panel", "verdict"]

MAX_DEPTH = 30  # the depth slider's end


def verdict(ratio: float, *, factor: float = 100.0) -> str:
    """``"vanishing"``, ``"exploding"`` or ``"stable"`` for a first/last-layer gradient ratio.

    >>> verdict(1e-5), verdict(1e4), verdict(0.5), verdict(0.0)
    ('vanishing', 'exploding', 'stable', 'vanishing')
    """
    if ratio < 1 / factor:
        return "vanishing"
    if ratio > factor:
        return "exploding"
    return "stable"


def signal_explorer(depth=10, activation="tanh", init="xavier", bias_init=0.0, *,
                    width=128, batch=128) -> dict:
    """Per-layer statistics of one forward/backward pass, and how the gradient changed.

    Computed in float64, so that even 30 exploding layers (about 10^30) do not overflow.

    Returns
    -------
    dict
        ``stats`` (:class:`~dlcourse.chapters.training_deep_nets.signal_propagation.SignalStats`),
        ``grad_ratio`` (std of the gradient at the first layer over that at the last), ``verdict``,
        and the settings.
    """
    probe = _probe(activation, init, bias_init, width=width, batch=batch)
    stats = probe.stats(depth)
    ratio = stats.grad_std[0] / stats.grad_std[-1]
    return {"stats": stats, "grad_ratio": ratio, "verdict": verdict(ratio), "depth": depth,
            "activation": activation, "init": init}


@functools.lru_cache(maxsize=2)    # the setting shown and the one before: 12 MB each
def _probe(activation, init, bias_init, *, width, batch) -> SignalProbe:
    return SignalProbe(width, activation, init, batch=batch, bias_init=bias_init,
                       dtype="float64")


def _draw(fig, result):
    """The three axes once; the heatmaps, the curves, the value axes (their limits follow
    the data) and the legend change.  The layer axes depend on the depth alone: they are
    background, rasterised again when the depth changes."""
    fig.subplotpars.update(left=0.07, right=0.98, bottom=0.16, top=0.9, wspace=0.45)
    plot_signal(fig, result["stats"])
    heatmaps, std_ax = fig.axes[:2], fig.axes[2]
    return {"images": [ax.images[0] for ax in heatmaps],   # then their frames over them
            "frames": [spine for ax in heatmaps for spine in ax.spines.values()],
            "curves": list(std_ax.lines),
            "axes": [ax.yaxis for ax in fig.axes],
            "legend": std_ax.get_legend()}    # last: drawn over the curves


def _update(artists, result):
    set_signal(artists["legend"].figure, result["stats"])
    stats = result["stats"]
    return (f"{result['depth']} layers, {result['activation']}, init {result['init']}: "
            f"last-layer activation std {stats.act_std[-1]:.3g}; gradient std: first layer "
            f"{stats.grad_std[0]:.3g}, last layer {stats.grad_std[-1]:.3g} "
            f"(ratio {result['grad_ratio']:.3g}: <b>{result['verdict']}</b>); "
            f"active (positive) outputs in the last layer {stats.active_fraction[-1]:.0%}")


def other_depths(values: dict) -> list[dict]:
    """The panel's values at every other depth the slider offers, nearest first: what
    dragging it reaches next.

    >>> [v["depth"] for v in other_depths({"depth": 3, "init": "he"})][:4]
    [2, 4, 1, 5]
    """
    depths = sorted(range(1, MAX_DEPTH + 1), key=lambda d: (abs(d - values["depth"]), d))
    return [{**values, "depth": d} for d in depths if d != values["depth"]]


def signal_panel(depth=10, activation="tanh", init="xavier", bias_init=0.0) -> Panel:
    """Choose depth, activation, init and bias init; see activations and gradients per layer."""
    controls = {
        "depth": widgets.IntSlider(value=depth, min=1, max=MAX_DEPTH, description="depth"),
        "activation": widgets.Dropdown(options=list(ACTIVATION_CHOICES), value=activation,
                                       description="activation"),
        "init": widgets.Dropdown(options=list(INITS), value=init, description="init"),
        "bias_init": widgets.FloatSlider(value=bias_init, min=0.0, max=0.5, step=0.05,
                                         description="bias init"),
    }
    return Panel(functools.lru_cache(maxsize=64)(signal_explorer), _draw, controls,
                 update=_update, background=lambda result: result["depth"],
                 prefetch=other_depths, figsize=(9.5, 3.0),
                 dpi=72, axes_layout="fixed")
