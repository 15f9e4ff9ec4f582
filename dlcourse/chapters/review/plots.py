"""Plots for chapter 12: two annotators' masks, class activation maps over digits.

Every function draws into the ``Figure`` it is given and returns it.

>>> import numpy as np
>>> from matplotlib.figure import Figure
>>> fig = plot_annotators(Figure(), np.eye(4, dtype=int), np.ones((4, 4), int))
>>> [ax.get_title() for ax in fig.axes]
['annotator A', 'annotator B', 'disagreement']
"""

from __future__ import annotations

import numpy as np

from dlcourse.backend import to_numpy

__all__ = ["plot_annotators", "plot_cams"]


def plot_annotators(fig, mask_a, mask_b, *, names=("annotator A", "annotator B")):
    """Two binary masks of the same image and the pixels where they disagree."""
    panels = [(names[0], mask_a), (names[1], mask_b),
              ("disagreement", np.asarray(mask_a) != np.asarray(mask_b))]
    axes = fig.subplots(1, 3)
    for ax, (title, mask) in zip(axes, panels, strict=True):
        ax.imshow(mask, cmap="gray", vmin=0, vmax=1)
        ax.set_title(title)
        ax.axis("off")
    fig.suptitle("Two labels of the same lesion")
    return fig


def plot_cams(fig, images, labels, result, *, n=6):
    """Images (top row) and the CAM of the class each was explained for (bottom row).

    ``result`` is a :class:`dlcourse.zoo.cam.CAMResult` for ``images``.
    """
    images, maps = to_numpy(images), to_numpy(result.maps)
    classes = to_numpy(result.class_index)
    n = min(n, len(images))
    axes = fig.subplots(2, n, squeeze=False)
    for i in range(n):
        axes[0, i].imshow(images[i, 0], cmap="gray")
        axes[0, i].set_title(f"label {int(labels[i])}")
        axes[1, i].imshow(images[i, 0], cmap="gray")
        axes[1, i].imshow(maps[i], cmap="jet", alpha=0.6)
        axes[1, i].set_title(f"CAM of {int(classes[i])}")
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle("Digits (top) and where the network found its predicted class (bottom)")
    return fig
