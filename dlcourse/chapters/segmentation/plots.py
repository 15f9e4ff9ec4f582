"""Plots for chapter 09: transposed-convolution stamps, upsamplings, masks over images.

Every function draws into the ``Axes`` or ``Figure`` it is given and returns it.

Examples
--------
>>> import numpy as np
>>> from matplotlib.figure import Figure
>>> ax = plot_grid(Figure().add_subplot(), np.eye(2), title="I")
>>> ax.get_title(), len(ax.texts)
('I', 4)
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap, to_rgb
from matplotlib.patches import Patch, Rectangle

from dlcourse.backend import to_numpy
from dlcourse.data import SEGMENTATION_CLASSES

__all__ = ["CLASS_COLORS", "draw_scatter_add", "mask_overlay", "plot_grid", "plot_metric_cases",
           "plot_scatter_add", "plot_segmentations", "plot_stamps", "plot_training",
           "plot_upsamplings"]

CLASS_COLORS = ("black", "tab:orange", "tab:cyan", "tab:pink")
"""Colour of background, circle, square and triangle in every mask of the chapter."""

_STAMP_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
                 "tab:pink", "tab:olive", "tab:cyan", "tab:gray")


def plot_grid(ax, a, *, title="", crop=None, cmap="Blues", numbers=True):
    """Draw a small matrix as coloured cells with its values written in.

    Parameters
    ----------
    ax : matplotlib Axes
    a : ndarray, shape (H, W)
    title : str
    crop : (top, left, size), optional
        Outline this square (e.g. the part that padding keeps) with a dashed red frame.
    cmap : str
    numbers : bool
        Write each value in its cell (turn off for large grids).
    """
    a = to_numpy(a)
    ax.imshow(a, cmap=cmap, vmin=min(0.0, a.min()), vmax=max(a.max(), 1e-9))
    if numbers:
        mid = (a.max() + min(0.0, a.min())) / 2
        for (i, j), value in np.ndenumerate(a):
            ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize="small",
                    color="white" if value > mid else "black")
    if crop is not None:
        top, left, size = crop
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False, ec="red",
                               lw=2.5, ls="--"))
    ax.set(title=title, xticks=range(a.shape[1]), yticks=range(a.shape[0]))
    ax.tick_params(labelsize="x-small", length=0)
    return ax


def plot_stamps(fig, x, w, parts, *, stride, output=None, crop=None):
    """The scatter-add: one panel per input pixel's stamp, then their sum (and the crop).

    Parameters
    ----------
    fig : matplotlib Figure
    x, w : ndarray, shape (H, W) and (k, k)
        Input and kernel, for the titles.
    parts : ndarray, shape (H, W, S, S)
        :func:`dlcourse.chapters.segmentation.upsampling.stamps`.
    stride : int, keyword-only
        Where the stamps sit (each stamp is framed in its own colour).
    output : ndarray, optional
        The padded result, drawn last beside the ``crop`` frame it comes from.
    crop : (top, left, size), optional
    """
    h, w_in = x.shape
    panels = h * w_in + 1 + (output is not None)
    axes = fig.subplots(1, panels)
    for n, (i, j) in enumerate(np.ndindex(h, w_in)):
        plot_grid(axes[n], parts[i, j], title=f"I[{i},{j}] = {x[i, j]:g} times K", cmap="Greys")
        axes[n].add_patch(_stamp_frame(i, j, w.shape[0], stride, n))
    plot_grid(axes[h * w_in], parts.sum(axis=(0, 1)), crop=crop,
              title=f"sum: {parts.shape[2]}×{parts.shape[3]} (padding 0)")
    if output is not None:
        plot_grid(axes[-1], output, title=f"crop: {output.shape[0]}×{output.shape[1]}",
                  cmap="Reds")
    return fig


def _stamp_frame(i, j, k, stride, n, *, shift=0.0, lw=2.5):
    """The frame of stamp number ``n`` (input pixel ``(i, j)``), nudged by ``shift``."""
    return Rectangle((j * stride - 0.5 + shift, i * stride - 0.5 + shift), k, k, fill=False,
                     ec=_STAMP_COLORS[n % len(_STAMP_COLORS)], lw=lw)


def plot_scatter_add(fig, result):
    """The explorer's picture: input, kernel, canvas with every stamp framed, output.

    All four grids share one borderless axes (side by side, one data unit per pixel): far
    cheaper to redraw than four axes, which keeps the panel's update fast.

    Parameters
    ----------
    fig : matplotlib Figure
    result : dict
        :func:`dlcourse.chapters.segmentation.upsampling.transposed_conv_explorer`.
    """
    ax = fig.add_subplot()
    ax.set_axis_off()
    draw_scatter_add(ax, result)
    return fig


def draw_scatter_add(ax, result):
    """Draw :func:`plot_scatter_add`'s picture into ``ax`` (an axes without axis), in place
    of what it shows: a panel redraws it so, without clearing and rebuilding the axes (the
    numbers in the cells reuse the texts already there).
    """
    cells = _Cells(ax)
    for artist in [*ax.images, *ax.patches, *(t for t in ax.texts if t.get_gid() != "cell")]:
        artist.remove()
    if result["error"]:
        cells.close()
        ax.set(xlim=(0, 1), ylim=(0, 1), aspect="auto")
        ax.text(0.5, 0.5, result["error"], ha="center", va="center", wrap=True, color="red")
        return ax
    x, w, canvas, output = result["x"], result["w"], result["canvas"], result["output"]
    grids = ((x, "input I", "Greens"), (w, "kernel K", "Greys"),
             (canvas, f"scatter-add {canvas.shape[0]}×{canvas.shape[1]}", "Blues"),
             (output, f"output {output.shape[0]}×{output.shape[1]}", "Reds"))
    fontsize = _number_size(ax, width=sum(a.shape[1] + 1.5 for a, _, _ in grids),
                            height=canvas.shape[0] + 2.0, digits=len(f"{canvas.max():g}"))
    left = 0.0
    for n, (a, title, cmap) in enumerate(grids):
        _grid_at(ax, a, left, title, cmap, fontsize, cells)
        if n == 2:
            canvas_left = left
        left += a.shape[1] + 1.5
    for n, (i, j) in enumerate(np.ndindex(*x.shape)):   # nudged so equal frames stay visible
        frame = _stamp_frame(i, j, w.shape[0], result["stride"], n, shift=0.08 * (n % 3),
                             lw=1.5)
        frame.set_x(frame.get_x() + canvas_left)
        ax.add_patch(frame)
    top, crop_left, size = result["crop"]
    ax.add_patch(Rectangle((canvas_left + crop_left - 0.5, top - 0.5), size, size, fill=False,
                           ec="red", lw=2.5, ls="--"))
    ax.set(xlim=(-0.7, left - 1.3), ylim=(canvas.shape[0], -2.0), aspect="equal")
    cells.close()
    return ax


class _Cells:
    """Writes the numbers in the cells of ``ax``, reusing its number texts of an earlier
    drawing (several times faster than making new ones); :meth:`close` removes the unused."""

    def __init__(self, ax):
        self.ax = ax
        self.spare = [t for t in ax.texts if t.get_gid() == "cell"][::-1]

    def write(self, x, y, text, *, fontsize, color):
        if not self.spare:
            self.ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=color,
                         gid="cell")
            return
        cell = self.spare.pop()
        cell.set_position((x, y))
        cell.set_text(text)
        cell.set_fontsize(fontsize)
        cell.set_color(color)

    def close(self):
        for cell in self.spare:
            cell.remove()
        self.spare = []


def _number_size(ax, *, width, height, digits):
    """Font size (points) of the numbers in cells of a picture ``width x height`` cells big
    that fills ``ax`` (aspect equal); None when a cell is too small for them."""
    box = ax.get_position(original=True)     # not as the last draw fitted it to an aspect
    inches = min(box.width * ax.figure.get_figwidth() / width,
                 box.height * ax.figure.get_figheight() / height)    # one cell's side
    size = min(12.0, 0.45 * 72 * inches, 72 * inches / (0.7 * digits))
    return size if size >= 6 else None


def _grid_at(ax, a, left, title, cmap, fontsize, cells):
    """One matrix drawn with its top-left pixel centred at ``(left, 0)``, titled above;
    ``fontsize`` (points) of the value in each cell, or None for no values, written by
    ``cells`` (:class:`_Cells`)."""
    a = to_numpy(a)
    h, w = a.shape
    low, high = min(0.0, a.min()), max(a.max(), 1e-9)
    ax.imshow(a, cmap=cmap, vmin=low, vmax=high, interpolation="nearest",
              extent=(left - 0.5, left + w - 0.5, h - 0.5, -0.5))
    ax.text(left + (w - 1) / 2, -0.8, title, ha="center", va="bottom")
    if fontsize:
        for (i, j), value in np.ndenumerate(a):
            cells.write(left + j, i, f"{value:g}", fontsize=fontsize,
                        color="white" if value > (low + high) / 2 else "black")


def plot_upsamplings(fig, image, results):
    """The original image beside each upsampled version, at the same displayed size.

    Parameters
    ----------
    fig : matplotlib Figure
    image : ndarray, shape (H, W)
    results : dict of str to ndarray, shape (2H, 2W)
        :func:`dlcourse.chapters.segmentation.upsampling.upsample_four_ways`.
    """
    axes = fig.subplots(1, len(results) + 1)
    image = to_numpy(image)
    vmax = image.max()
    axes[0].imshow(image, cmap="gray", vmin=0, vmax=vmax)
    axes[0].set(title=f"input {image.shape[0]}×{image.shape[1]}")
    for ax, (name, out) in zip(axes[1:], results.items(), strict=True):
        out = to_numpy(out)
        ax.imshow(out, cmap="gray", vmin=0, vmax=vmax)
        ax.set(title=f"{name} {out.shape[0]}×{out.shape[1]}")
    for ax in axes:
        ax.set(xticks=[], yticks=[])
    return fig


def mask_overlay(image, mask, *, alpha=0.55):
    """An RGB picture: the grey ``image`` with each object class tinted in its colour.

    Parameters
    ----------
    image : ndarray, shape (H, W), values in [0, 1]
    mask : integer ndarray, shape (H, W), class indices (0 = background, left untinted)

    Returns
    -------
    ndarray, shape (H, W, 3), float in [0, 1]

    >>> import numpy as np
    >>> mask_overlay(np.zeros((2, 2)), np.array([[0, 1], [0, 0]]))[0, 1].round(2).tolist()
    [0.55, 0.27, 0.03]
    """
    image, mask = to_numpy(image), to_numpy(mask)
    rgb = np.repeat(image[..., None], 3, axis=-1).astype(float)
    colors = np.array([to_rgb(c) for c in CLASS_COLORS])
    tinted = (1 - alpha) * rgb + alpha * colors[mask]
    return np.where((mask > 0)[..., None], tinted, rgb)


def plot_segmentations(fig, images, masks, predictions, *, n=6):
    """Row 1: images with their true masks; row 2: the predicted masks; row 3: errors.

    Parameters
    ----------
    fig : matplotlib Figure
    images : ndarray, shape (N, 1, H, W)
    masks, predictions : integer ndarray, shape (N, H, W)
    n : int
        How many images (columns) to draw.
    """
    images, masks, predictions = (to_numpy(a) for a in (images, masks, predictions))
    axes = fig.subplots(3, n)
    for col in range(n):
        image = images[col, 0]
        axes[0, col].imshow(mask_overlay(image, masks[col]))
        axes[1, col].imshow(mask_overlay(image, predictions[col]))
        wrong = predictions[col] != masks[col]
        axes[2, col].imshow(wrong, cmap=ListedColormap(["white", "red"]), vmin=0, vmax=1)
        axes[2, col].set_xlabel(f"{wrong.sum()} wrong px", fontsize="small")
        for ax in axes[:, col]:
            ax.set(xticks=[], yticks=[])
    for ax, label in zip(axes[:, 0], ("true mask", "predicted", "errors"), strict=True):
        ax.set_ylabel(label)
    handles = [Patch(color=c, label=name) for c, name in
               zip(CLASS_COLORS[1:], SEGMENTATION_CLASSES[1:], strict=True)]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize="small")
    return fig


def plot_metric_cases(fig, target, predictions, metrics):
    """The target beside each prediction (the target's outline drawn over it), with its
    pixel accuracy, object IoU and Dice (of class 1) written below.

    Parameters
    ----------
    fig : matplotlib Figure
    target : integer ndarray, shape (H, W)
    predictions : dict of str to ndarray, shape (H, W)
    metrics : dict of str to dict
        :func:`dlcourse.chapters.segmentation.training.segmentation_metrics` of each prediction.
    """
    axes = fig.subplots(1, len(predictions) + 1)
    cmap = ListedColormap(["white", "tab:orange"])
    axes[0].imshow(to_numpy(target), cmap=cmap, vmin=0, vmax=1)
    axes[0].set(title="target")
    for ax, (name, pred) in zip(axes[1:], predictions.items(), strict=True):
        m = metrics[name]
        ax.imshow(to_numpy(pred), cmap=cmap, vmin=0, vmax=1)
        ax.contour(to_numpy(target), levels=[0.5], colors="black", linewidths=1.5)
        ax.set(title=f"{name} (black: target)")
        ax.set_xlabel(f"pixel acc {m['pixel_accuracy']:.3f}\nobject IoU {m['iou'][1]:.3f}, "
                      f"Dice {m['dice'][1]:.3f}", fontsize="small")
    for ax in axes:
        ax.set(xticks=[], yticks=[])
        for spine in ax.spines.values():
            spine.set_visible(True)
    return fig


def plot_training(ax, run):
    """Training loss (left axis) and held-out mean IoU (right axis) per epoch.

    Parameters
    ----------
    ax : matplotlib Axes
    run : dlcourse.chapters.segmentation.training.SegmentationRun
    """
    epochs = np.arange(1, len(run.train_loss) + 1)
    ax.plot(epochs, run.train_loss, "o-", color="tab:blue", label="training loss")
    ax.set(xlabel="epoch", ylabel="cross-entropy", title="Tiny U-Net on synthetic shapes")
    right = ax.twinx()
    right.plot(epochs, run.val_iou, "s-", color="tab:green", label="held-out mean IoU")
    right.set(ylabel="mean IoU", ylim=(0, 1))
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="center right")
    return ax
