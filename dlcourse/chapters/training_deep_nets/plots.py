"""Plots for chapter 07: signals through depth, learning curves, weights, confusion matrices.

Every function draws into the ``Axes`` or ``Figure`` it is given and returns it.

Examples
--------
>>> from matplotlib.figure import Figure
>>> ax = plot_error_curve(Figure().add_subplot(), [10, 100], [0.0, 0.0], [0.4, 0.1],
...                       xlabel="training samples")
>>> [text.get_text() for text in ax.get_legend().get_texts()]
['training error', 'validation error']
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import (
    FuncFormatter,
    LogFormatterSciNotation,
    LogLocator,
    MaxNLocator,
    NullLocator,
)

from dlcourse.backend import to_numpy
from dlcourse.ui.images import show_images

__all__ = [
    "layer_histograms",
    "plot_confusion",
    "plot_covariate_shift",
    "plot_error_curve",
    "plot_gallery",
    "plot_history",
    "plot_layer_heatmap",
    "plot_signal",
    "plot_std_per_layer",
    "plot_weight_histograms",
    "set_layer_heatmap",
    "set_signal",
    "set_std_per_layer",
]


def layer_histograms(values, *, bins: int = 41) -> tuple[np.ndarray, float]:
    """Histograms of every layer's values on one shared symmetric range.

    Returns
    -------
    (density, limit)
        ``density`` of shape ``(bins, layers)``, each column summing to 1, and the range
        limit ``a`` (bins cover ``[-a, a]``, ``a`` = the largest magnitude seen).
    """
    limit = max(float(np.abs(v).max()) for v in values) or 1.0
    edges = np.linspace(-limit, limit, bins + 1)
    columns = [np.histogram(v, edges)[0] for v in values]
    density = np.stack(columns, axis=1).astype(np.float64)
    return density / np.maximum(density.sum(axis=0, keepdims=True), 1), limit


def plot_layer_heatmap(ax, values, *, title: str, ylabel: str):
    """Per-layer histograms side by side: column = layer, colour = share of values in a bin."""
    image = ax.imshow(np.zeros((1, 1)), origin="lower", aspect="auto", cmap="magma",
                      interpolation="nearest")  # one block per bin: exact, and quick to draw
    set_layer_heatmap(image, values)
    ax.set(xlabel="layer", ylabel=ylabel)
    _set_title(ax, title)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))     # layers: whole numbers
    return ax


def set_layer_heatmap(image, values) -> None:
    """Show the histograms of ``values`` (one array per layer) in the heatmap ``image``.

    Sets the data, the colour range and the extent (layer ``1..L`` across, the shared value
    range ``[-a, a]`` up), and with them the axes limits; what :func:`plot_layer_heatmap`
    draws, for a panel that updates its picture in place.
    """
    density, limit = layer_histograms(values)
    image.set_data(density)
    image.set_clim(0, density.max() or 1)
    image.set_extent((0.5, len(values) + 0.5, -limit, limit))


def plot_std_per_layer(ax, curves: dict, *, title: str = "spread per layer",
                       ylabel: str = "standard deviation"):
    """Log-scale standard deviation per layer, one line per ``label: stds``."""
    for label, stds in curves.items():
        ax.semilogy(*_std_points(stds), marker="o", ms=3, label=label)
    ax.set(xlabel="layer", ylabel=ylabel)
    _set_title(ax, title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _std_ticks(ax)
    ax.legend(fontsize="small")
    return ax


def set_std_per_layer(ax, curves) -> None:
    """Show new ``curves`` (stds, in the order of the lines) on an axes drawn by
    :func:`plot_std_per_layer`: the lines' data, the limits and the ticks follow them."""
    for line, stds in zip(ax.lines, curves, strict=True):
        line.set_data(*_std_points(stds))
    ax.relim()
    ax.autoscale_view()
    _std_ticks(ax)


def _set_title(ax, title: str) -> None:
    """The title just above the axes, where nothing else is drawn: placed there once
    instead of searched for at every draw (a quarter of rasterising the signal panel,
    which happens at every new depth)."""
    ax.set_title(title, y=1.0)


def _std_points(stds) -> tuple[np.ndarray, np.ndarray]:
    """Layers ``1..L`` and the stds, floored for the log axis (zero init gives zeros)."""
    stds = np.maximum(np.asarray(stds, dtype=np.float64), 1e-30)
    return np.arange(1, len(stds) + 1), stds


def _std_ticks(ax) -> None:
    """Ticks of the log axis: over two decades or less, label 1, 2 and 5 of each, plainly."""
    low, high = ax.get_ylim()
    if high / low < 100:
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    else:
        ax.yaxis.set_major_locator(LogLocator())
        ax.yaxis.set_major_formatter(LogFormatterSciNotation())
    ax.yaxis.set_minor_locator(NullLocator())   # no minor ticks: clearer, and faster to draw


def plot_signal(fig, stats, *, title: str = ""):
    """Activation and gradient heatmaps plus their standard deviations per layer."""
    axes = fig.subplots(1, 3)
    plot_layer_heatmap(axes[0], stats.activations, title="activations", ylabel="value")
    plot_layer_heatmap(axes[1], stats.gradients, title="gradients dL/dh", ylabel="value")
    plot_std_per_layer(axes[2], {"activations": stats.act_std, "gradients": stats.grad_std},
                       title="std per layer")
    if title:
        fig.suptitle(title)
    return fig


def set_signal(fig, stats) -> None:
    """Show other statistics in a figure drawn by :func:`plot_signal`, in place."""
    act_ax, grad_ax, std_ax = fig.axes[:3]
    set_layer_heatmap(act_ax.images[0], stats.activations)
    set_layer_heatmap(grad_ax.images[0], stats.gradients)
    set_std_per_layer(std_ax, (stats.act_std, stats.grad_std))


def plot_history(ax, history, *, title: str = "learning curves"):
    """Training and validation loss per epoch; the best validation epoch is marked."""
    epochs = np.arange(1, len(history.train_loss) + 1)
    ax.plot(epochs, history.train_loss, label="training loss")
    ax.plot(epochs[:len(history.val_loss)], history.val_loss, label="validation loss")
    if history.best_epoch is not None:
        best = history.best_epoch
        ax.axvline(best + 1, color="gray", ls="--", lw=1)
        ax.plot(best + 1, history.val_loss[best], "k*", ms=10,
                label=f"best epoch {best + 1} (lowest validation loss)")
    ax.set(title=title, xlabel="epoch", ylabel="cross-entropy loss")
    ax.legend(fontsize="small")
    return ax


def plot_weight_histograms(ax, weights: dict, *, bins: int = 81, limit: float | None = None):
    """Overlaid histograms of weight values, one per ``label: weights`` (log count axis)."""
    arrays = {label: to_numpy(w).ravel() for label, w in weights.items()}
    limit = limit or max(float(np.abs(w).max()) for w in arrays.values())
    edges = np.linspace(-limit, limit, bins + 1)
    for label, w in arrays.items():
        ax.hist(w, edges, histtype="step", lw=1.5, label=label)
    ax.set_yscale("log")
    ax.set(title="weights after training", xlabel="weight value", ylabel="count (log)")
    ax.legend(fontsize="small")
    return ax


def plot_error_curve(ax, x, train_error, val_error, *, xlabel: str, title: str = "",
                     logx: bool = True):
    """Training and validation error against a size (samples, units, parameters)."""
    ax.plot(x, train_error, "o-", label="training error")
    ax.plot(x, val_error, "s-", label="validation error")
    if logx:
        ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel="error rate")
    ax.legend(fontsize="small")
    return ax


def plot_confusion(ax, matrix, *, labels=None, title: str = "confusion matrix"):
    """Counts of true (rows) vs predicted (columns) classes, written in every cell."""
    matrix = np.asarray(matrix)
    ax.imshow(matrix, cmap="Blues")
    labels = list(range(len(matrix))) if labels is None else labels
    ax.set_xticks(range(len(matrix)), labels)
    ax.set_yticks(range(len(matrix)), labels)
    high = matrix.max() / 2
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > high else "black")
    ax.set(title=title, xlabel="predicted class", ylabel="true class")
    return ax


def plot_gallery(fig, images: dict, *, cols: int | None = None):
    """Small grey images with their names as titles, in one row (or ``cols`` per row)."""
    pictures = np.stack([to_numpy(image).reshape(to_numpy(image).shape[-2:])
                         for image in images.values()])
    return show_images(fig, pictures, list(images), ncols=cols or len(images))


def plot_covariate_shift(ax, runs: dict, *, title: str = "input of the output layer"):
    """Mean (solid) and std (dashed) of a layer's input per training step, per run."""
    for (label, run), color in zip(runs.items(), ("tab:red", "tab:blue", "tab:green"),
                                   strict=False):
        ax.plot(run["mean"], color=color, label=f"{label}: mean")
        ax.plot(run["std"], color=color, ls="--", label=f"{label}: std")
    ax.set(title=title, xlabel="training step", ylabel="statistic over a probe batch")
    ax.legend(fontsize="small")
    return ax
