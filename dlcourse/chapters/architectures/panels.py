"""Chapter 06 panels: explore an architecture layer by layer; design and count your own CNN.

Both wire a plain, tested compute function (:func:`architecture_profile`,
:func:`design_counts`) to :func:`dlcourse.chapters.architectures.plots.plot_layer_profile`,
which draws the axes, labels, decades and legend once; an update only sets the bars, the
layer names and the title (:func:`~dlcourse.chapters.architectures.plots.set_layer_profile`).
The count axis is the same for every architecture (up to 1e10, VGG-16's MACs), which also
makes them comparable; a design that needs more decades redraws the figure.  While the
architecture explorer is idle, it draws the other architectures' frames out of sight
(:func:`other_architectures`), so that their layer names (up to 60 never shown before: a
tenth of a second the first time) are laid out and rasterised ahead.

Examples
--------
>>> panel = design_panel()
>>> panel.controls["spec"].value = "C16 R P L10"
>>> panel.result["params"]    # 448 + (16*32*32 + 1)*10
164298
"""

from __future__ import annotations

import functools
import html

import ipywidgets as widgets

from dlcourse.chapters.architectures.plots import (
    plot_layer_profile,
    set_layer_profile,
    top_decade,
)
from dlcourse.chapters.architectures.tables import (
    ARCHITECTURES,
    DESIGN_64,
    architecture_summary,
    count_design,
    layer_profile,
    stage_params,
)
from dlcourse.ui.panel import Panel

__all__ = ["architecture_panel", "architecture_profile", "design_counts", "design_panel",
           "other_architectures"]


def architecture_profile(name="AlexNet", group=True) -> dict:
    """Per-layer parameters and MACs of an architecture plus its totals (the panel's compute).

    >>> out = architecture_profile("VGG-16")
    >>> out["params"], len(out["names"]), round(out["classifier_share"], 3)
    (138357544, 16, 0.894)
    """
    names, params, macs = layer_profile(name, group=group)
    s = architecture_summary(name)
    return {"name": name, "names": names, "layer_params": params, "layer_macs": macs,
            "params": s.total_params, "macs": s.total_macs,
            "classifier_share": stage_params(s)[1] / s.total_params,
            "input_shape": s.input_shape}


# the count axis of both panels ends at 1e10 (VGG-16's MACs) or the decade a design needs
TOP_DECADE = 10


def _bars(result) -> tuple[list[str], list[int], list[int], str]:
    """Names, parameters and MACs of the bars of an architecture profile, and the title."""
    return (result["names"], result["layer_params"], result["layer_macs"],
            f"{result['name']}: parameters and MACs per layer")


def _design_bars(result) -> tuple[list[str], list[int], list[int], str]:
    """The bars of a design: its layers with parameters."""
    weighted = [r for r in result["rows"] if r.params]
    names = [f"{i}: {r.layer} → {r.output_shape}" for i, r in enumerate(weighted)]
    return (names, [r.params for r in weighted], [r.macs for r in weighted],
            "Your CNN: layers with parameters")


def _top(bars) -> int:
    """Where the count axis ends (the static part of the picture depends on it)."""
    _, params, macs, _ = bars
    return max(TOP_DECADE, top_decade(params, macs))


def _draw_bars(fig, bars):
    """Axes, labels, decades and legend once; the changing artists, in the order a full
    draw has them."""
    ax = plot_layer_profile(fig, [], [], [], top=_top(bars))
    return [*ax.collections, ax.yaxis, ax.spines["left"], ax.title, ax.get_legend()]


def _set_bars(artists, bars) -> None:
    names, params, macs, title = bars
    set_layer_profile(artists[0].axes, names, params, macs, title=title, top=_top(bars))


def _draw_profile(fig, result):
    return _draw_bars(fig, _bars(result))


def _update_profile(artists, result):
    _set_bars(artists, _bars(result))
    arch = ARCHITECTURES[result["name"]]
    published = ("" if arch.published_params is None else
                 f" (torchvision: {arch.published_params:,} and {arch.published_gflops} G)")
    return (f"<b>{result['name']}</b> on {result['input_shape'][1:]}: "
            f"{result['params']:,} parameters, {result['macs'] / 1e9:.2f} G multiply-adds"
            f"{published}; {result['classifier_share']:.1%} of the parameters are in the "
            f"fully connected classifier")


def architecture_panel(name="AlexNet", group=True) -> Panel:
    """Pick an architecture; see where its parameters and its computation sit.

    Every architecture's layer table is built here, up front (0.1-1.5 s each the first
    time, remembered; the notebook's overview has built them already), so that no choice
    in the menu waits for one.
    """
    for arch in ARCHITECTURES:
        architecture_summary(arch)
    controls = {
        "name": widgets.Dropdown(options=list(ARCHITECTURES), value=name,
                                 description="architecture"),
        "group": widgets.Checkbox(value=group, description="group blocks (Inception, stages)"),
    }
    return Panel(functools.lru_cache(maxsize=None)(architecture_profile), _draw_profile,
                 controls, update=_update_profile, key=lambda result: _top(_bars(result)),
                 prefetch=other_architectures, draw_ahead=True, figsize=(8.0, 4.2), dpi=72,
                 axes_layout="fixed")  # plot_layer_profile sets margins for its long names


def other_architectures(values: dict) -> list[dict]:
    """The architecture explorer's other settings, nearest first: the architectures next
    to the current one in the menu, then every one with the blocks grouped the other way.

    >>> [(v["name"], v["group"]) for v in other_architectures(
    ...     {"name": "VGG-16", "group": True})][:3]
    [('AlexNet', True), ('VGG-19', True), ('LeNet-5', True)]
    >>> len(other_architectures({"name": "VGG-16", "group": True})) == 2 * len(ARCHITECTURES) - 1
    True
    """
    names = list(ARCHITECTURES)
    here = names.index(values["name"])
    nearest = sorted(names, key=lambda name: (abs(names.index(name) - here), names.index(name)))
    same = [{**values, "name": name} for name in nearest if name != values["name"]]
    return same + [{**values, "name": name, "group": not values["group"]} for name in nearest]


def design_counts(spec=DESIGN_64, size=64, channels=3) -> dict:
    """Count a design in C/L/R/P/B notation on a ``(channels, size, size)`` image.

    Returns ``rows`` (:class:`~dlcourse.chapters.architectures.tables.DesignRow`), the totals
    ``params`` and ``macs``, and ``error`` (a message, or ``None``) for a spec that cannot be built.

    >>> design_counts("C16 R P L20", 64)["params"]
    328148
    >>> design_counts("L10 C4", 8)["error"]
    'C needs feature maps, but it follows a linear layer or G'
    """
    try:
        rows = count_design(spec, (channels, size, size))
    except ValueError as error:
        return {"spec": spec, "rows": [], "params": 0, "macs": 0, "error": str(error)}
    return {"spec": spec, "rows": rows, "params": sum(r.params for r in rows),
            "macs": sum(r.macs for r in rows), "error": None}


def _draw_design(fig, result):
    """Nothing for a design that cannot be built; else as :func:`_draw_profile`."""
    return [] if result["error"] else _draw_bars(fig, _design_bars(result))


def _update_design(artists, result):
    if result["error"]:
        return f"<b style='color:#b00'>cannot build this design:</b> {html.escape(result['error'])}"
    _set_bars(artists, _design_bars(result))
    out = result["rows"][-1].output_shape
    return (f"{len(result['rows'])} layers, output {out}: <b>{result['params']:,} parameters</b>,"
            f" {result['macs']:,} multiply-adds per image")


def _design_key(result):
    """What the static picture shows: nothing (an error), or the count axis."""
    return None if result["error"] else _top(_design_bars(result))


def design_panel(spec=DESIGN_64, size=64, channels=3) -> Panel:
    """Type a CNN in C/L/R/P/B(/G) notation; see every layer's shape, parameters and MACs.

    ``Cx`` 3x3 convolution with x maps (padding 1), ``Lx`` linear layer with x units, ``R``
    ReLU, ``P`` 2x2 max pooling, ``B`` batch norm, ``G`` global average pooling.
    """
    controls = {
        "spec": widgets.Text(value=spec, description="design", continuous_update=False,
                             layout=widgets.Layout(width="95%")),
        "size": widgets.Dropdown(options=[32, 64, 128, 224], value=size,
                                 description="image side"),
        "channels": widgets.Dropdown(options=[1, 3], value=channels, description="channels"),
    }
    return Panel(design_counts, _draw_design, controls, update=_update_design,
                 key=_design_key, figsize=(8.0, 4.2), dpi=72,
                 axes_layout="fixed")  # plot_layer_profile sets margins for its long names
