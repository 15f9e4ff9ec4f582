"""Plots for chapter 11 (GANs): generator losses, GAN Lab snapshots, sample grids, ROC curves.

Each function draws into a given matplotlib ``Axes`` (or ``Figure``) and returns it; nothing
is shown, so the same code serves notebooks, panels and tests.
"""

from __future__ import annotations

import numpy as np

from dlcourse.chapters.gans.gan2d import generator_loss_curves

__all__ = ["plot_d_outputs", "plot_gan_snapshot", "plot_gan_training", "plot_generator_losses",
           "plot_image_grid", "plot_optimal_discriminator", "plot_reconstructions", "plot_roc",
           "plot_score_histogram", "smoothed_losses"]


def plot_generator_losses(fig, d=None):
    """Left: the two generator losses vs ``D(G(z))``; right: their gradients w.r.t. D's logit.

    >>> from matplotlib.figure import Figure
    >>> len(plot_generator_losses(Figure()).axes)
    2
    """
    d = np.linspace(0.001, 0.999, 400) if d is None else np.asarray(d, dtype=float)
    curves = generator_loss_curves(d)
    ax_loss, ax_grad = fig.subplots(1, 2)
    ax_loss.plot(d, curves["minimax"], label=r"minimax: $\log(1 - D(G(z)))$")
    ax_loss.plot(d, curves["non_saturating"], label=r"non-saturating: $-\log D(G(z))$")
    ax_loss.set(title="Generator losses (both minimised)", xlabel=r"$D(G(z))$", ylabel="loss",
                ylim=(-5, 5))
    ax_grad.plot(d, curves["minimax_grad"], label="minimax")
    ax_grad.plot(d, curves["non_saturating_grad"], label="non-saturating")
    ax_grad.axvspan(0, 0.1, color="grey", alpha=0.2, label="early training: D rejects fakes")
    ax_grad.set(title="Gradient w.r.t. D's logit", xlabel=r"$D(G(z))$",
                ylabel=r"$\partial\,$loss$/\partial s$")
    for ax in (ax_loss, ax_grad):
        ax.axhline(0, color="black", lw=0.5)
        ax.legend(fontsize=8)
    return fig


def plot_optimal_discriminator(ax, x, p_data, p_g, d_star):
    """The two densities (left axis) and ``D*(x) = p_data / (p_data + p_g)`` (right axis)."""
    ax.plot(x, p_data, label=r"$p_{data}$")
    ax.plot(x, p_g, label=r"$p_g$")
    ax.set(xlabel="x", ylabel="density", title="The optimal discriminator for a fixed G")
    right = ax.twinx()
    right.plot(x, d_star, color="black", label=r"$D^*(x)$")
    right.axhline(0.5, color="grey", ls=":", lw=0.8)
    right.set(ylabel=r"$D^*(x)$", ylim=(0, 1))
    lines = ax.get_lines() + right.get_lines()[:1]
    ax.legend(lines, [line.get_label() for line in lines], loc="center left", fontsize=8)
    return ax


def plot_gan_snapshot(ax, run, index: int = -1, *, colorbar: bool = False):
    """GAN Lab's main view: D's decision surface, real points (black) and fakes (orange).

    ``run`` is a :class:`dlcourse.chapters.gans.gan2d.GanRun`; ``index`` picks the snapshot.
    """
    extent = (run.grid[0], run.grid[-1], run.grid[0], run.grid[-1])
    image = ax.imshow(run.surfaces[index], origin="lower", extent=extent, cmap="PiYG",
                      vmin=0, vmax=1, alpha=0.8)
    ax.plot(*run.data.T, ".", ms=2.5, color="black", label="real")    # plot: faster than scatter
    ax.plot(*run.samples[index].T, ".", ms=2.5, color="tab:orange", label="generated")
    ax.set(title=f"epoch {run.epochs[index]}: {run.coverage[index]}/{len(run.centers)} modes",
           xlabel="$x_1$", ylabel="$x_2$", xticks=[], yticks=[], xlim=extent[:2],
           ylim=extent[2:])
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="D(x) = P(real)")
    return ax


def plot_gan_training(ax, run, *, upto: int | None = None, smooth: int = 8):
    """Loss histories (moving average over ``smooth`` steps) up to generator step ``upto``."""
    for values, label in zip(smoothed_losses(run, upto=upto, smooth=smooth),
                             ("D loss", "G loss"), strict=True):
        ax.plot(values, label=label)
    ax.axhline(np.log(4), color="grey", ls="--", lw=0.8, label="log 4 (D = 1/2)")
    ax.set(title="Losses", xlabel="generator step", ylabel="loss")
    ax.legend(fontsize=7)
    return ax


def smoothed_losses(run, *, upto: int | None = None, smooth: int = 8):
    """D's and G's losses up to generator step ``upto``, moving averages over ``smooth`` steps.

    >>> from types import SimpleNamespace
    >>> d, g = smoothed_losses(SimpleNamespace(d_loss=[1, 2, 3], g_loss=[0, 0, 3]), smooth=2)
    >>> d.tolist(), g.tolist()
    ([1.5, 2.5], [0.0, 1.5])
    """
    end = len(run.d_loss) if upto is None else upto
    kernel = np.ones(smooth) / smooth
    curves = []
    for values in (run.d_loss, run.g_loss):
        values = np.asarray(values[:max(end, 1)], dtype=float)
        if len(values) >= smooth:
            values = np.convolve(values, kernel, mode="valid")
        curves.append(values)
    return curves


def plot_d_outputs(ax, run, *, smooth: int = 8):
    """Mean ``D(x)`` on real and on generated points per generator step (moving average)."""
    kernel = np.ones(smooth) / smooth
    for values, label in ((run.d_real, "D(real)"), (run.d_fake, "D(G(z))")):
        ax.plot(np.convolve(np.asarray(values, dtype=float), kernel, mode="valid"), label=label)
    ax.axhline(0.5, color="grey", ls="--", lw=0.8, label="1/2: D cannot tell")
    ax.set(title="What D outputs", xlabel="generator step", ylabel="mean D", ylim=(0, 1))
    ax.legend(fontsize=7)
    return ax


def plot_image_grid(ax, images, *, rows: int, title: str = ""):
    """Tile ``(N, 1, h, w)`` or ``(N, h*w)`` grey images (square) into one picture."""
    images = np.asarray(images, dtype=float)
    n = len(images)
    side = int(round(np.sqrt(images[0].size)))
    images = images.reshape(n, side, side)
    cols = -(-n // rows)
    canvas = np.full((rows * (side + 1) - 1, cols * (side + 1) - 1), 0.3)   # grey gaps
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        canvas[r * (side + 1):r * (side + 1) + side, c * (side + 1):c * (side + 1) + side] = image
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1)
    ax.set(title=title, xticks=[], yticks=[])
    return ax


def plot_reconstructions(fig, images, reconstructions, scores, labels, *, n: int = 8):
    """Rows: test images, their best reconstructions ``G(z*)``, the absolute residuals."""
    axes = fig.subplots(3, n, squeeze=False)
    for i in range(n):
        for row, picture in enumerate((images[i], reconstructions[i],
                                       np.abs(images[i] - reconstructions[i]))):
            axes[row, i].imshow(np.asarray(picture).reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            axes[row, i].set(xticks=[], yticks=[])
        kind = "anomaly" if labels[i] else "normal"
        axes[0, i].set_title(f"{kind}\nscore {scores[i]:.3f}", fontsize=8)
    for row, name in enumerate(("image", "G(z*)", "|residual|")):
        axes[row, 0].set_ylabel(name)
    return fig


def plot_score_histogram(ax, scores, labels, *, bins: int = 30):
    """Histograms of the anomaly scores of normal (label 0) and anomalous (1) test images."""
    scores, labels = np.asarray(scores), np.asarray(labels)
    edges = np.histogram_bin_edges(scores, bins=bins)
    ax.hist(scores[labels == 0], bins=edges, alpha=0.6, label="normal")
    ax.hist(scores[labels == 1], bins=edges, alpha=0.6, label="anomaly")
    ax.set(title="Anomaly scores (reconstruction residual)", xlabel="score", ylabel="images")
    ax.legend()
    return ax


def plot_roc(ax, fpr, tpr, *, auc: float | None = None, label: str = "GAN residual"):
    """ROC curve with the chance diagonal; ``auc`` goes into the legend."""
    text = label if auc is None else f"{label} (AUC {auc:.3f})"
    ax.plot(fpr, tpr, label=text)
    ax.plot([0, 1], [0, 1], color="grey", ls="--", label="chance (AUC 0.5)")
    ax.set(title="ROC curve", xlabel="false positive rate", ylabel="true positive rate",
           xlim=(0, 1), ylim=(0, 1.01), aspect="equal")
    ax.legend(loc="lower right", fontsize=8)
    return ax
