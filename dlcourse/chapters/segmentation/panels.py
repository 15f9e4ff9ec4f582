"""Chapter 09 panel: a transposed convolution's stride, padding and kernel, stamp by stamp.

The compute is :func:`dlcourse.chapters.segmentation.upsampling.transposed_conv_explorer`; the
drawing is :func:`dlcourse.chapters.segmentation.plots.plot_scatter_add`'s.  Every setting
changes the whole picture, but its one axes (without axis) is made once: an update redraws
only its content (:func:`~dlcourse.chapters.segmentation.plots.draw_scatter_add`) over the
empty figure.

Examples
--------
>>> panel = transposed_conv_panel()
>>> panel.result["output"].shape
(5, 5)
>>> panel.controls["padding"].value = 1
>>> panel.result["output"].shape
(3, 3)
"""

from __future__ import annotations

import ipywidgets as widgets

from dlcourse.chapters.segmentation.plots import draw_scatter_add
from dlcourse.chapters.segmentation.upsampling import KERNELS, transposed_conv_explorer
from dlcourse.ui.panel import Panel

__all__ = ["transposed_conv_panel"]


def _draw(fig, result):
    """The empty axes once: it is what changes."""
    fig.subplotpars.update(left=0.01, right=0.99, bottom=0.01, top=0.99)
    ax = fig.add_subplot()
    ax.set_axis_off()
    return ax


def _update(ax, result):
    draw_scatter_add(ax, result)
    if result["error"]:
        return f"<b>not a valid layer</b>: {result['error']}"
    size = result["output"].shape[0]
    return (f"output size = (H - 1)·stride - 2·padding + k + output_padding = "
            f"{result['formula']}; the red frame is the {size}×{size} part the padding keeps")


def transposed_conv_panel(in_size=2, kernel_size=3, stride=2, padding=0, output_padding=0,
                          kernel="notes") -> Panel:
    """Change a transposed convolution's settings; see every stamp, the sum and the crop.

    Parameters
    ----------
    in_size, kernel_size, stride, padding, output_padding, kernel
        Initial values of the controls (see
        :func:`dlcourse.chapters.segmentation.upsampling.transposed_conv_explorer`); the defaults
        are the notes' example without padding.
    """
    controls = {
        "in_size": widgets.IntSlider(value=in_size, min=1, max=4, description="input size"),
        "kernel": widgets.Dropdown(options=list(KERNELS), value=kernel, description="kernel"),
        "kernel_size": widgets.IntSlider(value=kernel_size, min=1, max=5,
                                         description="k (ones kernel)"),
        "stride": widgets.IntSlider(value=stride, min=1, max=3, description="stride"),
        "padding": widgets.IntSlider(value=padding, min=0, max=2, description="padding"),
        "output_padding": widgets.IntSlider(value=output_padding, min=0, max=2,
                                            description="output_padding"),
    }
    return Panel(transposed_conv_explorer, _draw, controls, update=_update, figsize=(9.0, 3.0),
                 dpi=72, axes_layout="fixed")
