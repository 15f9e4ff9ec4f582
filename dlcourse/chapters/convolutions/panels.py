"""Chapter 05 panels: the convolution explorer and the receptive-field explorer.

Both wire a plain, tested compute function to drawings of
:mod:`dlcourse.chapters.convolutions.plots` -- the axes and artists made once, their data set
on every change:
:func:`dlcourse.chapters.convolutions.geometry.convolution_geometry`
and :func:`dlcourse.chapters.convolutions.receptive_fields.receptive_field_explorer` do the work.

Examples
--------
>>> panel = convolution_panel()
>>> panel.controls["stride"].value = 2
>>> panel.result["geometry"].output_size
3
"""

from __future__ import annotations

from functools import cache

import ipywidgets as widgets
import numpy as np

from dlcourse.chapters.convolutions.geometry import convolution_geometry
from dlcourse.chapters.convolutions.plots import (
    convolution_artists,
    receptive_field_artists,
    show_convolution,
    show_receptive_field,
)
from dlcourse.chapters.convolutions.receptive_fields import receptive_field_explorer
from dlcourse.data import digits
from dlcourse.ui.panel import Panel

__all__ = ["STACKS", "convolution_panel", "explore_convolution", "explore_receptive_field",
           "receptive_field_panel"]

# stacks offered by the receptive-field panel (the text box takes any other)
STACKS = {
    "three 3x3 convolutions": "c3 c3 c3",
    "conv conv pool conv conv (the notes' exam question)": "c3 c3 p2 c3 c3",
    "one 7x7 convolution": "c7",
    "strided: 3x3 s2 three times": "c3s2 c3s2 c3s2",
    "dilated: 3x3 with dilation 1, 2, 4": "c3 c3d2 c3d4",
    "VGG-like: (conv conv pool) x 2": "c3 c3 p2 c3 c3 p2",
}


def explore_convolution(input_size=7, kernel_size=3, stride=1, padding=0, dilation=1,
                        in_channels=3, out_channels=1, step=0) -> dict:
    """The convolution panel's compute: the geometry, or why this setting is impossible.

    Returns
    -------
    dict
        ``geometry`` (a ``ConvGeometry``, or None when the kernel does not fit the padded
        input), ``error`` (the message then) and ``step`` (the window to highlight).

    Examples
    --------
    >>> explore_convolution(5, 7)["error"]
    'the kernel covers 7 pixels but the padded input has only 5 + 2*0 = 5'
    """
    try:
        geometry = convolution_geometry(input_size, kernel_size, stride, padding, dilation,
                                        in_channels, out_channels)
    except ValueError as error:
        return {"geometry": None, "error": str(error), "step": step}
    return {"geometry": geometry, "error": "", "step": step}


def _draw_convolution(fig, result):
    """The axes and their artists once (or the "no output" message); filled by the update."""
    if result["geometry"] is None:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no output", ha="center", va="center", fontsize=14)
        return {}
    return convolution_artists(fig)


def _update_convolution(artists, result):
    if result["geometry"] is None:
        return f"<b style='color:#b2182b'>Impossible:</b> {result['error']}"
    return show_convolution(artists, result["geometry"], result["step"])


def convolution_panel(input_size=7, kernel_size=3, stride=1, padding=0, dilation=1,
                      in_channels=3, out_channels=1, step=0) -> Panel:
    """Sliders for ``N, F, S, P, D, C_in, C_out`` and the window to highlight (``step``)."""
    def slider(value, low, high, description):
        return widgets.IntSlider(value=value, min=low, max=high, description=description,
                                 continuous_update=False)

    controls = {
        "input_size": slider(input_size, 3, 12, "input N"),
        "kernel_size": slider(kernel_size, 1, 7, "kernel F"),
        "stride": slider(stride, 1, 4, "stride S"),
        "padding": slider(padding, 0, 3, "padding P"),
        "dilation": slider(dilation, 1, 3, "dilation D"),
        "in_channels": slider(in_channels, 1, 64, "channels in"),
        "out_channels": slider(out_channels, 1, 64, "filters out"),
        "step": widgets.BoundedIntText(value=step, min=0, max=999, step=1, description="window #",
                                       layout=widgets.Layout(width="150px")),
    }
    return Panel(explore_convolution, _draw_convolution, controls, update=_update_convolution,
                 key=lambda result: result["geometry"] is None, figsize=(8.0, 3.8), dpi=72)


@cache
def _digit_images(size: int) -> np.ndarray:
    """The first ten digits (one per class 0..9 in scikit-learn's order), ``size x size``."""
    X, _ = digits(upsample=size)
    return X[:10, 0]


def explore_receptive_field(layers="c3 c3 p2 c3 c3", digit=0, image_size=28) -> dict:
    """The receptive-field panel's compute: the explorer's dict plus the digit image.

    A stack that does not fit the image gives ``error`` and no table.

    Examples
    --------
    >>> out = explore_receptive_field("c3 c3 c3")
    >>> out["rf"], out["image"].shape
    (7, (28, 28))
    """
    image = _digit_images(image_size)[digit]
    try:
        result = receptive_field_explorer(layers, image_size)
    except ValueError as error:
        return {"error": str(error), "image": image}
    return {**result, "error": "", "image": image}


def _draw_receptive_field(fig, result):
    """The axes and their artists once (the bare digit when the stack is not understood)."""
    if result["error"]:
        ax = fig.add_subplot()
        ax.set_title("stack not understood")
        return [ax.imshow(result["image"], cmap="gray_r"), *ax.spines.values()]  # frame on top
    artists = receptive_field_artists(fig, result["image"].shape[-1])
    # placed by hand, with room between them for the longest legend: the same for every stack
    for ax, left in zip(fig.axes, (0.075, 0.64), strict=True):
        ax.set_position((left, 0.14, 0.31, 0.735))
    return artists


def _update_receptive_field(artists, result):
    if result["error"]:
        image, *_ = artists
        image.set_data(result["image"])
        image.set_clim(result["image"].min(), result["image"].max())
        return f"<b style='color:#b2182b'>{result['error']}</b>"
    return show_receptive_field(artists, result, result["image"])


def receptive_field_panel(layers="c3 c3 p2 c3 c3", digit=0) -> Panel:
    """A text box for the stack (``c3 c3 p2 c3 c3``...), a preset menu and a digit slider.

    Picking a preset writes its stack into the text box, which redraws the panel.
    """
    text = widgets.Text(value=layers, description="layers", continuous_update=False,
                        layout=widgets.Layout(width="320px"))
    presets = widgets.Dropdown(options={"(type your own)": "", **STACKS}, value="",
                               description="preset")

    def use_preset(change):
        if change["new"]:
            text.value = change["new"]

    presets.observe(use_preset, names="value")
    controls = {"layers": text,
                "digit": widgets.IntSlider(value=digit, min=0, max=9, description="digit",
                                           continuous_update=False)}
    panel = Panel(explore_receptive_field, _draw_receptive_field, controls,
                  update=_update_receptive_field, key=lambda result: bool(result["error"]),
                  figsize=(8.0, 3.4), dpi=72, axes_layout="fixed")
    panel.children = (widgets.HBox([presets]), *panel.children)
    return panel
