"""Pictures for chapter 06: architecture profiles, the Inception module, filters and CAMs.

Each function draws into the ``Axes`` or ``Figure`` it is given and returns it; the
numbers come from :mod:`dlcourse.chapters.architectures.tables` and :mod:`dlcourse.zoo.cam`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.patches import FancyBboxPatch

from dlcourse.backend import to_numpy
from dlcourse.chapters.architectures.tables import ILSVRC, architecture_summary
from dlcourse.ui.images import show_images

__all__ = ["plot_cams", "plot_comparison", "plot_feature_maps", "plot_filters", "plot_ilsvrc",
           "plot_inception", "plot_layer_profile", "plot_overview", "plot_training_comparison",
           "set_layer_profile", "top_decade"]


def plot_layer_profile(fig, names, params, macs, *, title="", top=None):
    """Parameters and MACs per (grouped) layer as paired horizontal bars on a log axis.

    The bars show ``log10`` of each count on a linear axis labelled in powers of ten (the
    same picture as a log scale, but several times faster to redraw in a panel), up to
    ``1e{top}`` (by default the decade of the largest count).  Each colour's bars are one
    collection, whose rectangles :func:`set_layer_profile` replaces.
    """
    fig.subplotpars.update(left=0.24, right=0.97, bottom=0.13, top=0.9)  # room for the names
    ax = fig.add_subplot()
    for color, label in [("tab:blue", "parameters"), ("tab:orange", "multiply-adds (MACs)")]:
        ax.add_collection(PolyCollection([], facecolors=color, edgecolors="none",
                                         label=label), autolim=False)
    ax.set_xlabel("count (log scale)")
    ax.set_ylabel("layer (first at the top)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    set_layer_profile(ax, names, params, macs, title=title, top=top)
    return ax


def set_layer_profile(ax, names, params, macs, *, title="", top=None):
    """Show other layers on an axes drawn by :func:`plot_layer_profile`: the bars, the
    names, the title and (unless ``top`` fixes the axis at ``1e{top}``) the decades follow
    them.  In place, for a panel."""
    y = np.arange(len(names))
    for bars, offset, values in zip(ax.collections, (-0.2, 0.2), (params, macs), strict=True):
        logs = np.log10(np.maximum(np.asarray(values, dtype=float), 1.0))
        low, high = y + offset - 0.2, y + offset + 0.2          # bars 0.4 high
        bars.set_verts(np.stack([np.column_stack([np.zeros_like(logs), low]),
                                 np.column_stack([np.zeros_like(logs), high]),
                                 np.column_stack([logs, high]),
                                 np.column_stack([logs, low])], axis=1))
    top = top_decade(params, macs) if top is None else top
    ax.set_xticks(range(top + 1), [f"1e{k}" for k in range(top + 1)])
    ax.set_xlim(0, top + 0.2)
    ax.set_yticks(y, names, fontsize="x-small" if len(names) > 20 else "small")
    ax.set_ylim(max(len(names), 1) - 0.5, -0.5)               # the first layer at the top
    ax.set_title(title or "Where the parameters and the computation are")
    return ax


def top_decade(*counts) -> int:
    """The power of ten at or above the largest of ``counts`` (sequences), at least 1.

    >>> top_decade([5, 99], [1000]), top_decade([])
    (3, 1)
    """
    largest = max((max(c, default=1) for c in counts), default=1)
    return max(1, int(np.ceil(np.log10(max(largest, 1)))))


def plot_overview(ax, rows):
    """Each architecture as a point: GMACs per image against millions of parameters."""
    gmacs = [architecture_summary(r.name).total_macs / 1e9 for r in rows]   # not rounded
    for i, (r, x) in enumerate(zip(rows, gmacs, strict=True)):
        ax.scatter(x, r.params / 1e6, s=60, label=f"{r.name} ({r.year})")
        ax.annotate(r.name, (x, r.params / 1e6), textcoords="offset points",
                    xytext=(6, 4 if i % 2 else -12), fontsize="small")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(min(gmacs) / 3, max(gmacs) * 5)
    ax.set_ylim(min(r.params for r in rows) / 3e6, max(r.params for r in rows) * 3e-6)
    ax.set_xlabel("GMACs for one image (log scale; LeNet-5 on 32x32, the rest on 224x224)")
    ax.set_ylabel("parameters, millions (log scale)")
    ax.set_title("Size and cost of the classic CNNs")
    ax.legend(fontsize="small", loc="lower right")
    ax.grid(alpha=0.3, which="major")
    return ax


def plot_comparison(fig, rows):
    """Four bar charts for :func:`.comparison.comparison` rows: parameters, multiply-adds,
    activation memory of one image, and the published top-5 errors (one model, entry)."""
    names = [r.name for r in rows]
    x = np.arange(len(rows))
    axes = fig.subplots(1, 4)
    for ax, values, label, color in [
        (axes[0], [r.params / 1e6 for r in rows], "parameters (millions)", "tab:blue"),
        (axes[1], [r.macs / 1e9 for r in rows], "multiply-adds per image (G)", "tab:orange"),
        (axes[2], [r.activation_mb for r in rows], "activations per image (MB, float32)",
         "tab:green"),
    ]:
        ax.bar(x, values, color=color, label=label)
        ax.set_ylabel(label)
        ax.set_title(label.split(" (")[0])
    for offset, kind, color in [(-0.2, "single", "tab:purple"), (0.2, "entry", "tab:red")]:
        errors = [getattr(r, kind) for r in rows]
        axes[3].bar(x + offset, [e.top5 for e in errors], width=0.4, color=color,
                    label="1 model, val" if kind == "single" else "competition entry, test")
    axes[3].set_ylabel("published top-5 error (%)")
    axes[3].set_title("top-5 error")
    axes[3].legend(fontsize="x-small")
    for ax in axes:
        ax.set_xticks(x, names, rotation=45, ha="right", fontsize="small")
        ax.set_xlabel("architecture")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Four ILSVRC architectures: size, cost, memory (224x224 image) and error")
    return axes


def plot_ilsvrc(ax):
    """Top-5 error of the ILSVRC winners by year, with the human estimate."""
    years = [year for year, _, _ in ILSVRC]
    errors = [err for _, _, err in ILSVRC]
    colors = ["tab:gray" if year < 2012 else "tab:blue" for year in years]
    ax.bar(years, errors, color=colors, label="winner (grey: before deep learning)")
    for year, who, err in ILSVRC:
        ax.text(year, err + 0.5, who.split(" (")[0].split(";")[0], ha="center",
                fontsize="x-small", rotation=90, va="bottom")
    ax.axhline(5.1, color="tab:red", ls="--", label="human estimate, 5.1%")
    ax.set_ylim(0, 40)
    ax.set_xlabel("year")
    ax.set_ylabel("top-5 error (%)")
    ax.set_title("ImageNet challenge (ILSVRC) classification winners")
    ax.legend(fontsize="small")
    return ax


def _box(ax, x, y, text, color, width=2.2, height=0.7):
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.05", fc=color, ec="black", lw=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize="small")


def plot_inception(ax, branches, in_channels):
    """The Inception module as a diagram, each branch annotated with its parameters."""
    colors = {"1x1": "#ffe08a", "3x3": "#9fd8ff", "5x5": "#b8f0b0", "pool": "#f4b6c2"}
    centre = 4.6
    _box(ax, centre, 4.2, f"input: {in_channels} channels", "#dddddd", width=3.5)
    _box(ax, centre, 0.0, f"concatenate: {sum(b.out_channels for b in branches)} channels",
         "#dddddd", width=4.5)
    for i, branch in enumerate(branches):
        x = 1.0 + 2.4 * i
        steps = branch.layers.split(" -> ")
        ys = [3.0, 2.0] if len(steps) == 2 else [2.5]
        ax.annotate("", (x, ys[0] + 0.4), (centre, 3.85), arrowprops={"arrowstyle": "->"})
        for step, y in zip(steps, ys, strict=True):
            _box(ax, x, y, step, colors[branch.name], width=2.0)
        ax.text(x, 1.35, f"{branch.params:,} params", ha="center", fontsize="small")
        ax.annotate("", (centre, 0.35), (x, 1.15), arrowprops={"arrowstyle": "->"})
    total = sum(b.params for b in branches)
    ax.set_xlim(-0.2, 9.4)
    ax.set_ylim(-0.5, 4.7)
    ax.axis("off")
    ax.set_title(f"Inception module: four branches side by side, {total:,} parameters")
    return ax


def _grid(fig, n, cols):
    rows = -(-n // cols)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[n:]:
        ax.set_visible(False)
    return axes


def plot_filters(fig, filters, *, cols=8, title="First-layer filters"):
    """One small image per filter of ``(C_out, 1, kh, kw)`` (channel 0 shown), own scale."""
    filters = to_numpy(filters)[:, 0]
    return show_images(fig, filters, [f"#{i}" for i in range(len(filters))], ncols=cols,
                       cmap="RdBu_r", symmetric=True, title_size="x-small",
                       suptitle=f"{title} (red +, blue −)")


def plot_feature_maps(fig, image, maps, *, cols=8, title="Feature maps"):
    """The input image followed by each channel of ``maps`` ``(C, h, w)``."""
    maps = to_numpy(maps)
    axes = _grid(fig, len(maps) + 1, cols)
    axes[0].imshow(to_numpy(image)[0], cmap="gray_r")
    axes[0].set_title("input", fontsize="x-small")
    for i, (ax, m) in enumerate(zip(axes[1:], maps, strict=False)):
        ax.imshow(m, cmap="viridis")
        ax.set_title(f"ch {i}", fontsize="x-small")
    fig.suptitle(f"{title} (bright = strong response)")
    return fig


def plot_cams(fig, images, maps, labels, predicted):
    """Each image (top) and its class activation map overlaid (bottom)."""
    images, maps = to_numpy(images), to_numpy(maps)
    n = len(images)
    axes = fig.subplots(2, n, squeeze=False)
    for i in range(n):
        top, bottom = axes[0, i], axes[1, i]
        top.imshow(images[i, 0], cmap="gray_r")
        top.set_title(f"label {labels[i]}", fontsize="small")
        bottom.imshow(images[i, 0], cmap="gray_r")
        bottom.imshow(maps[i], cmap="jet", alpha=0.5)
        bottom.set_title(f"CAM of class {predicted[i]}", fontsize="small")
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle("Class activation maps: where the evidence for the predicted class lies")
    return fig


def plot_training_comparison(fig, results):
    """Training loss and validation accuracy per epoch, and wall time, for each run."""
    ax_loss, ax_acc, ax_time = fig.subplots(1, 3)
    for r in results:
        epochs = np.arange(1, len(r.history.train_loss) + 1)
        ax_loss.plot(epochs, r.history.train_loss, marker="o", label=r.engine)
        ax_acc.plot(epochs, r.history.val_metrics["accuracy"], marker="o", label=r.engine)
    ax_time.bar([r.engine for r in results], [r.seconds for r in results],
                color=["tab:blue", "tab:orange"][:len(results)], label="training time")
    for ax, ylabel, title in [(ax_loss, "training loss", "Loss"),
                              (ax_acc, "validation accuracy", "Accuracy"),
                              (ax_time, "seconds", "Wall time")]:
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(fontsize="small")
    ax_loss.set_xlabel("epoch")
    ax_acc.set_xlabel("epoch")
    ax_time.set_xlabel("engine")
    return fig
