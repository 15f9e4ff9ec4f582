"""A grid of small images with titles: digits, filters, feature maps, augmentations.

Every chapter shows rows of little pictures; this is the one function that draws them.
"""

from __future__ import annotations

import numpy as np

from dlcourse.backend import to_numpy

__all__ = ["show_images"]


def show_images(fig, images, titles=None, *, ncols: int = 8, cmap: str = "gray_r",
                vmin: float | None = 0.0, vmax: float | None = 1.0,
                symmetric: bool | str = False,
                suptitle: str | None = None, title_size="small"):
    """A grid of images ``(N, H, W)`` or ``(N, 1, H, W)``, ``ncols`` per row, with titles.

    Grey levels span ``[vmin, vmax]`` (pixels in [0, 1] by default, so a darker image looks
    darker); ``vmin=None, vmax=None`` stretches each image to its own range.  For filters,
    weights and gradients with a diverging ``cmap``, ``symmetric=True`` centres each image on
    zero (``±max|image|``) and ``symmetric="shared"`` centres all of them on one scale
    (``±max|images|``), so that their strengths compare.  Unused cells of the last row are
    hidden.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = show_images(Figure(), np.zeros((5, 1, 4, 4)), list("abcde"), ncols=3)
    >>> len(fig.axes), sum(ax.get_visible() for ax in fig.axes), fig.axes[4].get_title()
    (6, 5, 'e')
    """
    images = to_numpy(images)
    images = images[:, 0] if images.ndim == 4 else images
    if symmetric not in (False, True, "shared"):
        raise ValueError(f'symmetric must be False, True or "shared", got {symmetric!r}')
    if symmetric == "shared":
        vmax = float(np.abs(images).max()) or 1.0
        vmin, symmetric = -vmax, False
    nrows = -(-len(images) // ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i >= len(images):
            ax.set_visible(False)
            continue
        low, high = vmin, vmax
        if symmetric:
            high = float(np.abs(images[i]).max()) or 1.0
            low = -high
        ax.imshow(images[i], cmap=cmap, vmin=low, vmax=high)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=title_size)
    if suptitle:
        fig.suptitle(suptitle)
    return fig
