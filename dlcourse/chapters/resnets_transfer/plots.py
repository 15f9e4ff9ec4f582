"""Plots for chapter 08: plain vs residual training curves, gradient norms, transfer curves.

Each function draws into a matplotlib ``Axes`` (or ``Figure``) it is given and returns it.
The runs come from :func:`dlcourse.chapters.resnets_transfer.residual.degradation_experiment`, the
transfer curves
from :func:`dlcourse.chapters.resnets_transfer.transfer.transfer_experiment`, the masks from
:func:`dlcourse.chapters.resnets_transfer.heads.segmentation_transfer`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

__all__ = ["plot_degradation", "plot_depth_losses", "plot_gradient_norms", "plot_segmentation",
           "plot_transfer", "set_depth_losses", "set_gradient_norms", "smooth", "whole_decades"]

KIND_STYLE = {"plain": {"color": "tab:red"}, "residual": {"color": "tab:blue"}}


def smooth(values, window: int = 5) -> np.ndarray:
    """Running mean over ``window`` steps (shorter at the start), same length as ``values``.

    >>> smooth([0.0, 2.0, 4.0], window=2).tolist()
    [0.0, 1.0, 3.0]
    """
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(np.concatenate([[0.0], values]))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def _spread(ys, gap: float) -> list[float]:
    """Move sorted label heights ``ys`` up just enough that neighbours are ``gap`` apart.

    >>> _spread([0.0, 0.01, 0.5], gap=0.1)
    [0.0, 0.1, 0.5]
    """
    out = []
    for y in ys:
        out.append(y if not out else max(y, out[-1] + gap))
    return out


def plot_depth_losses(ax, runs: dict, *, window: int = 5, top: float | None = None):
    """Training loss per step (smoothed) of the plain and residual run of one depth, from
    0 to ``top`` (by default a little above the highest loss)."""
    for kind, run in runs.items():
        ax.plot([], [], label=run.name, **KIND_STYLE[kind])
    ax.set(xlabel="training step (minibatch of 64)", ylabel="training loss (cross-entropy)",
           title="Training loss")
    ax.legend(loc="upper right")
    set_depth_losses(ax, runs, window=window, top=top)
    return ax


def set_depth_losses(ax, runs: dict, *, window: int = 5, top: float | None = None):
    """Show other runs on an axes drawn by :func:`plot_depth_losses` (in place, for a
    panel): the curves, their names in the legend and the limits follow them."""
    for line, run in zip(ax.lines, runs.values(), strict=True):
        line.set_data(np.arange(1, len(run.step_losses) + 1), smooth(run.step_losses, window))
    _name_lines(ax, runs)
    ax.relim()
    ax.set_autoscale_on(True)
    ax.autoscale_view()
    ax.set_ylim(0, top)
    return ax


def _name_lines(ax, runs: dict) -> None:
    """Label the lines of ``ax`` with the runs' names, in the legend too."""
    for line, text, run in zip(ax.lines, ax.get_legend().get_texts(), runs.values(),
                               strict=True):
        line.set_label(run.name)
        text.set_text(run.name)


def plot_gradient_norms(ax, runs: dict, *, when: str = "init", decades=None):
    """Gradient norm of every main-path convolution, input (left) to output (right), log y
    from ``10**low`` to ``10**high`` for ``decades=(low, high)`` (by default the whole
    decades around the norms, :func:`whole_decades`)."""
    for kind, run in runs.items():
        ax.semilogy([], [], label=run.name, **KIND_STYLE[kind])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))   # no mathtext: faster
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel="convolution (1 = nearest the input)", ylabel="‖∂L/∂W‖")
    ax.legend(loc="best")
    set_gradient_norms(ax, runs, when=when, decades=decades)
    return ax


def set_gradient_norms(ax, runs: dict, *, when: str = "init", decades=None):
    """Show other runs, or the other moment, on an axes drawn by :func:`plot_gradient_norms`
    (in place, for a panel): curves, legend names, limits and title follow them."""
    every = []
    for line, run in zip(ax.lines, runs.values(), strict=True):
        norms = run.grad_norms_init if when == "init" else run.grad_norms_trained
        line.set_data(np.arange(1, len(norms) + 1), norms)
        every.extend(norms)
    _name_lines(ax, runs)
    ax.relim()
    ax.set_autoscalex_on(True)
    ax.autoscale_view(scaley=False)
    low, high = whole_decades(every) if decades is None else decades
    ax.set_ylim(10.0 ** low, 10.0 ** high)        # whole decades, so both ends are labelled
    moment = "at initialisation" if when == "init" else "after training"
    ax.set_title(f"Gradient norm per layer, {moment}")
    return ax


def whole_decades(values) -> tuple[int, int]:
    """The powers of ten ``(low, high)`` around positive ``values``, at least one apart.

    >>> whole_decades([0.03, 0.5]), whole_decades([2.0, 3.0])
    ((-2, 0), (0, 1))
    """
    low, high = np.log10([min(values), max(values)])
    low = int(np.floor(low))
    return low, max(int(np.ceil(high)), low + 1)


def plot_degradation(fig, experiment: dict):
    """Left: loss per epoch for every depth and kind; right: final losses against depth."""
    left, right = fig.subplots(1, 2)
    depths = sorted(experiment)
    shades = np.linspace(0.45, 1.0, len(depths))
    ends = []                                     # (final loss, name, colour) for the labels
    for depth, shade in zip(depths, shades, strict=True):
        for kind, run in experiment[depth].items():
            epochs = np.arange(1, len(run.epoch_losses) + 1)
            color = KIND_STYLE[kind]["color"]
            left.plot(epochs, run.epoch_losses, "-" if kind == "plain" else "--", color=color,
                      alpha=shade)
            ends.append((run.epoch_losses[-1], run.name, color))
    ends.sort()
    top = max(max(run.epoch_losses) for pair in experiment.values() for run in pair.values())
    label_y = _spread([y for y, _, _ in ends], gap=0.045 * top)
    for (_, name, color), y in zip(ends, label_y, strict=True):
        left.annotate(name, (epochs[-1], y), xytext=(4, 0), textcoords="offset points",
                      va="center", fontsize="small", color=color)
    left.set(xlabel="epoch", ylabel="mean training loss", ylim=(0, None),
             xticks=epochs, xlim=(0.8, epochs[-1] + 0.9),
             title="Training loss per epoch (plain solid, ResNet dashed)")
    for kind in ("plain", "residual"):
        final = [experiment[d][kind].epoch_losses[-1] for d in depths]
        right.plot(depths, final, "o-", label=kind, **KIND_STYLE[kind])
    right.set(xlabel="depth (weighted layers, 6n + 2)", ylabel="final training loss",
              title="Deeper plain nets train worse", xticks=depths, ylim=(0, None))
    right.legend()
    return fig


def plot_transfer(ax, result):
    """Test accuracy against labelled target images per class, one line per strategy.

    Lines are the means over seeds, the shaded bands span the lowest to the highest seed.
    """
    markers = {"scratch": "s", "feature extraction": "o", "fine-tuning": "D"}
    for strategy, accuracy in result.accuracy.items():
        line, = ax.plot(result.per_class, accuracy.mean(axis=1),
                        marker=markers.get(strategy, "o"),
                        label=f"{strategy} ({result.trainable[strategy]:,} trainable)")
        ax.fill_between(result.per_class, accuracy.min(axis=1), accuracy.max(axis=1),
                        color=line.get_color(), alpha=0.15, linewidth=0)
    ax.set_xscale("log")
    ax.minorticks_off()
    labels = [str(n) for n in result.per_class]
    labels[-1] = f"all ({labels[-1]})"
    ax.set_xticks(result.per_class, labels)
    seeds = next(iter(result.accuracy.values())).shape[1]
    ax.set(xlabel="labelled target images per class (digits 7-9)", ylabel="test accuracy",
           title=f"Transfer from digits 0-6 to 7-9 (mean of {seeds} seeds, band: min-max)")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_segmentation(fig, images, masks, predictions: dict, *, count: int = 3,
                      class_names=("background", "7", "8", "9")):
    """One row per example: the image ``(N, 1, H, W)``, its true mask ``(N, H, W)`` and each
    predicted mask of ``predictions`` (name -> ``(N, H, W)``), one colour per class."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    colours = ["0.1", "tab:orange", "tab:green", "tab:purple"][:len(class_names)]
    cmap = ListedColormap(colours)
    columns = [("image", images[:, 0], "gray", (0, 1)), ("true mask", masks, cmap, None)]
    columns += [(f"{name} backbone", mask, cmap, None) for name, mask in predictions.items()]
    axes = fig.subplots(count, len(columns), squeeze=False)
    for row in range(count):
        for ax, (title, data, colormap, limits) in zip(axes[row], columns, strict=True):
            low, high = limits or (0, len(class_names) - 1)
            ax.imshow(np.asarray(data[row]), cmap=colormap, vmin=low, vmax=high)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(title, fontsize="small")
    fig.legend([Patch(color=c) for c in colours], class_names, loc="outside lower center",
               ncols=len(class_names), fontsize="small")
    fig.suptitle("A 1x1-conv segmentation head on frozen feature maps (test pairs)")
    return fig
