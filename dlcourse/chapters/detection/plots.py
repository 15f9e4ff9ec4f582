"""Plots for chapter 10: boxes, NMS, the YOLO grid, sliding-window costs, detections.

Every function draws into a given matplotlib ``Axes`` or ``Figure``; nothing is shown.
Boxes are ``(x1, y1, x2, y2)`` in pixels, drawn on image coordinates (y grows downwards).
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.patches import Rectangle

__all__ = ["draw_boxes", "nms_artists", "plot_anchors", "plot_detections", "plot_grid", "plot_iou",
           "plot_nms", "plot_roi_pool", "plot_sliding_cost", "plot_training", "set_nms"]

CLASS_COLOURS = ("tab:orange", "tab:cyan", "tab:pink")   # circle, square, triangle


def draw_boxes(ax, boxes, *, color="tab:green", labels=None, linestyle="-", linewidth=1.5,
               alpha=1.0):
    """Outline xyxy ``boxes`` ``(N, 4)`` on ``ax``; ``labels`` (strings) written above each."""
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, dtype=float).reshape(-1, 4)):
        colour = color[i] if isinstance(color, list | tuple) else color
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour,
                               linestyle=linestyle, linewidth=linewidth, alpha=alpha))
        if labels is not None:
            ax.text(x1, y1 - 1, labels[i], color=colour, fontsize=7, va="bottom",
                    alpha=alpha)
    return ax


def plot_iou(ax, box_a, box_b, iou):
    """Two boxes, their intersection filled, the IoU in the title."""
    a, b = np.asarray(box_a, float), np.asarray(box_b, float)
    draw_boxes(ax, [a], color="tab:blue", labels=["A"], linewidth=2)
    draw_boxes(ax, [b], color="tab:red", labels=["B"], linewidth=2)
    lo, hi = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
    if (hi > lo).all():
        ax.add_patch(Rectangle(lo, *(hi - lo), color="tab:purple", alpha=0.35,
                               label="A ∩ B"))
        ax.legend(loc="lower right", fontsize=8)
    corners = np.stack([a, b])
    ax.set(xlim=(corners[:, 0].min() - 1, corners[:, 2].max() + 1),
           ylim=(corners[:, 3].max() + 1, corners[:, 1].min() - 2), aspect="equal",
           xlabel="x (pixels)", ylabel="y (pixels)", title=f"IoU(A, B) = {iou:.4f}")
    return ax


def plot_nms(fig, result):
    """Left: every candidate, coloured by score; right: what NMS keeps (panel drawing).

    Every candidate gets its "dropped" outline (left, dotted grey), its "suppressed"
    outline (right, dashed red) and its "kept" outline and label (right, green), shown or
    hidden by :func:`set_nms`: another threshold changes only what is visible and the titles.
    """
    boxes, scores = result["boxes"], result["scores"]
    ax_all, ax_kept = fig.subplots(1, 2, sharex=True, sharey=True)
    cmap = matplotlib.colormaps["viridis"]
    draw_boxes(ax_all, boxes, color=[cmap(s) for s in scores], linewidth=1.2)
    draw_boxes(ax_all, boxes, color="0.6", linestyle=":")
    draw_boxes(ax_kept, result["objects"], color="0.6", linewidth=4, alpha=0.5)
    draw_boxes(ax_kept, boxes, color="tab:red", linestyle="--", linewidth=1)
    draw_boxes(ax_kept, boxes, color="tab:green", linewidth=2,
               labels=[f"#{i} {score:.2f}" for i, score in enumerate(scores)])
    for ax in (ax_all, ax_kept):
        ax.set(xlim=(0, 160), ylim=(100, 0), aspect="equal", xlabel="x (pixels)",
               xticks=range(0, 161, 40), yticks=range(0, 101, 50))
        ax.title.set_fontsize(9)
    ax_all.set_ylabel("y (pixels)")
    set_nms(fig, result)
    return fig


def nms_artists(fig) -> dict:
    """The artists of a :func:`plot_nms` figure that thresholds change: per candidate its
    ``dropped``, ``suppressed`` and ``kept`` outlines and its ``label``, and the ``titles``."""
    ax_all, ax_kept = fig.axes
    n = len(ax_all.patches) // 2
    return {"dropped": list(ax_all.patches)[n:], "suppressed": list(ax_kept.patches)[-2 * n:-n],
            "kept": list(ax_kept.patches)[-n:], "labels": list(ax_kept.texts),
            "titles": [ax_all.title, ax_kept.title]}


def set_nms(fig, result) -> None:
    """Show ``result``'s split (another threshold on the same candidates) in a figure drawn
    by :func:`plot_nms`: which outlines are visible, and the titles."""
    artists = nms_artists(fig)
    n = len(result["boxes"])
    for name, chosen in (("dropped", result["dropped"]), ("suppressed", result["suppressed"])):
        shown = np.isin(np.arange(n), chosen)
        for patch, visible in zip(artists[name], shown, strict=True):
            patch.set_visible(visible)
    kept = np.isin(np.arange(n), result["kept"])
    for patch, label, visible in zip(artists["kept"], artists["labels"], kept, strict=True):
        patch.set_visible(visible)
        label.set_visible(visible)
    title_all, title_kept = artists["titles"]
    title_all.set_text(f"{n} candidates, colour = score\n"
                       f"dotted: score below {result['score_threshold']:.2f}")
    title_kept.set_text(f"NMS at IoU {result['iou_threshold']:.2f}: kept "
                        f"{len(result['kept'])} (green)\nsuppressed "
                        f"{len(result['suppressed'])} (red dashed); grey = truth")


def plot_grid(ax, example, *, names=None):
    """The image, the ``S x S`` grid, each box, its centre and its responsible cell filled."""
    image, S, size = example["image"], example["S"], example["size"]
    ax.imshow(image, cmap="gray", extent=(0, size, size, 0))
    step = size / S
    for k in range(1, S):
        ax.axhline(k * step, color="w", lw=0.6, alpha=0.7)
        ax.axvline(k * step, color="w", lw=0.6, alpha=0.7)
    for i, (box, label, (row, col), (cx, cy)) in enumerate(zip(
            example["boxes"], example["labels"], example["cells"], example["centres"],
            strict=True)):
        colour = CLASS_COLOURS[int(label) % len(CLASS_COLOURS)]
        ax.add_patch(Rectangle((col * step, row * step), step, step, color=colour, alpha=0.35))
        name = names[int(label)] if names else str(int(label))
        draw_boxes(ax, [box], color=colour, labels=[f"{name}: cell ({row}, {col})"])
        ax.plot(cx, cy, "o", color=colour, markeredgecolor="k", ms=5,
                label="box centre" if i == 0 else None)
    ax.set(xticks=np.arange(S + 1) * step, yticks=np.arange(S + 1) * step,
           title=f"{S}×{S} grid: the cell holding a box's\ncentre is responsible for it",
           xlabel="x (pixels)", ylabel="y (pixels)")
    ax.legend(loc="lower right", fontsize=7)
    return ax


def plot_sliding_cost(ax, cost, yolo_macs):
    """Bars: classifier mult-adds of each window size vs one YOLO pass (log scale)."""
    names = [f"{h}×{w}\nstride {s}" for (h, w), s, _ in cost["rows"]]
    per_row = [count * cost["macs"] / cost["windows"] for *_, count in cost["rows"]]
    ax.bar(names, per_row, color="tab:blue", label="sliding window, per window size")
    ax.bar(["all sizes"], [cost["macs"]], color="tab:purple", label="sliding window, total")
    ax.bar(["YOLO\n1 pass"], [yolo_macs], color="tab:green", label="YOLO, whole image")
    ax.set(yscale="log", ylabel="multiply-adds", title="Cost of looking at every window")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_detections(fig, images, gt_boxes, pred_boxes, pred_scores, pred_labels, *, n=6,
                    names=None, min_score=0.3):
    """A row of images: truth in white dashes, detections scoring >= ``min_score`` coloured."""
    axes = fig.subplots(1, n)
    for i, ax in enumerate(np.atleast_1d(axes)):
        size = images[i].shape[-1]
        ax.imshow(images[i, 0], cmap="gray", extent=(0, size, size, 0))
        draw_boxes(ax, gt_boxes[i], color="w", linestyle="--", linewidth=1)
        show = pred_scores[i] >= min_score
        labels = pred_labels[i][show]
        draw_boxes(ax, pred_boxes[i][show],
                   color=[CLASS_COLOURS[int(c)] for c in labels],
                   labels=[f"{names[int(c)] if names else int(c)} {s:.2f}"
                           for c, s in zip(labels, pred_scores[i][show], strict=True)])
        ax.set(xticks=[], yticks=[], xlim=(0, size), ylim=(size, 0))
    return fig


def plot_training(ax, run):
    """The training loss per epoch, the held-out mAP@0.5 in the title."""
    epochs = np.arange(1, len(run.train_loss) + 1)
    ax.plot(epochs, run.train_loss, "o-", label="training loss (YOLOv1 terms)")
    ax.set(xlabel="epoch", ylabel="loss per image", yscale="log",
           title=f"Tiny YOLO: held-out mAP@0.5 = {run.map50:.2f}")
    ax.legend()
    return ax


def plot_anchors(ax, example, cell):
    """The ``k`` anchors of one feature-map cell, and every positive anchor of the scene.

    ``example`` is :func:`~dlcourse.chapters.detection.two_stage.anchor_example`'s dict;
    ``cell`` numbers the feature-map cells row by row (``row * columns + column``).
    """
    image, anchors, k = example["image"], example["anchors"], example["k"]
    size = image.shape[-1]
    ax.imshow(image, cmap="gray", extent=(0, size, size, 0))
    draw_boxes(ax, anchors[cell * k:(cell + 1) * k], color="tab:orange", linewidth=0.8)
    draw_boxes(ax, example["boxes"], color="w", linestyle="--", linewidth=1)
    positive = example["anchor_labels"] == 1
    draw_boxes(ax, anchors[positive], color="tab:green", linewidth=2)
    ax.plot([], [], color="tab:orange", label=f"the {k} anchors of one cell")
    ax.plot([], [], color="tab:green", label=f"positive anchors ({positive.sum()})")
    ax.plot([], [], color="w", linestyle="--", label="true boxes")
    ax.set(xlim=(-12, size + 12), ylim=(size + 12, -12), xlabel="x (pixels)",
           ylabel="y (pixels)", title=f"{len(anchors)} anchors: "
                                      f"{(example['anchor_labels'] == 0).sum()} negative, "
                                      f"{(example['anchor_labels'] == -1).sum()} ignored")
    ax.legend(loc="lower right", fontsize=7, facecolor="0.8")
    return ax


def plot_roi_pool(fig, features, boxes, pooled, *, stride):
    """The feature map with the RoIs drawn on it, then each RoI's pooled grid."""
    axes = fig.subplots(1, 1 + len(pooled))
    h, w = features.shape
    axes[0].imshow(features, cmap="gray", extent=(0, w, h, 0))
    draw_boxes(axes[0], np.asarray(boxes) / stride, color=list(CLASS_COLOURS), linewidth=1.5)
    axes[0].set(title=f"{h}×{w} map, stride {stride}", xticks=[], yticks=[])
    for i, (ax, grid) in enumerate(zip(axes[1:], pooled, strict=True)):
        ax.imshow(grid, cmap="gray", vmin=0, vmax=max(float(features.max()), 1e-12))
        x1, y1, x2, y2 = np.asarray(boxes[i]) / stride
        ax.set(title=f"RoI {i}: {x2 - x1:.1f}×{y2 - y1:.1f} cells\n→ {grid.shape[0]}×"
                     f"{grid.shape[1]}", xticks=[], yticks=[])
        for side in ax.spines.values():
            side.set_edgecolor(CLASS_COLOURS[i % len(CLASS_COLOURS)])
            side.set_linewidth(2)
    return fig
