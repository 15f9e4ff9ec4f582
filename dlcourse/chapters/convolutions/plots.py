"""Plots for chapter 05: convolution windows on a grid, receptive fields, feature maps.

Every function draws into the ``Axes`` or ``Figure`` it is given and returns it (the panel
drawers return a one-line HTML summary instead).

Examples
--------
>>> from matplotlib.figure import Figure
>>> from dlcourse.chapters.convolutions.geometry import convolution_geometry
>>> summary = plot_convolution(Figure(), convolution_geometry(5, 3))
>>> "output 3 x 3" in summary
True
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch, Rectangle

from dlcourse.backend import to_numpy
from dlcourse.ui.images import show_images

__all__ = ["convolution_artists", "plot_convolution", "plot_maps", "plot_matrix",
           "plot_receptive_field", "receptive_field_artists", "show_convolution",
           "show_receptive_field"]

# cell kinds on the padded input grid: 0 real input, 1 zero padding, 2 never reached
_CELLS = ListedColormap(["white", "#d9d9d9", "#f4a582"])
_LAYER_COLORS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]


def _grid(ax, rows: int, cols: int) -> None:
    """Cell borders of a ``rows x cols`` grid drawn with ``imshow`` (pixel centres at ints)."""
    ax.hlines(np.arange(rows + 1) - 0.5, -0.5, cols - 0.5, color="#999999", linewidth=0.5)
    ax.vlines(np.arange(cols + 1) - 0.5, -0.5, rows - 0.5, color="#999999", linewidth=0.5)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_matrix(ax, matrix, *, title: str = "", fmt: str = "{:g}", cmap: str = "Blues"):
    """A small matrix as coloured cells with its numbers written in.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = plot_matrix(Figure().add_subplot(), [[6, 8], [3, 4]], title="max pool")
    >>> [t.get_text() for t in ax.texts]
    ['6', '8', '3', '4']
    """
    matrix = np.asarray(to_numpy(matrix), dtype=float)
    ax.imshow(matrix, cmap=cmap, vmin=min(matrix.min(), 0), vmax=matrix.max() * 1.6 + 1e-12)
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=9)
    _grid(ax, *matrix.shape)
    ax.set_xlim(-0.5, matrix.shape[1] - 0.5)
    ax.set_ylim(matrix.shape[0] - 0.5, -0.5)
    ax.set_title(title)
    return ax


def _grid_segments(rows: int, cols: int) -> list:
    """Cell borders of a ``rows x cols`` grid drawn with ``imshow`` (pixel centres at ints)."""
    return ([[(-0.5, y), (cols - 0.5, y)] for y in np.arange(rows + 1) - 0.5]
            + [[(x, -0.5), (x, rows - 0.5)] for x in np.arange(cols + 1) - 0.5])


def _set_image(image, values, **clim) -> None:
    """Show ``values`` (square) in ``image``, its extent and its axes fitted to it."""
    n = values.shape[0]
    image.set_data(values)
    image.set_extent((-0.5, n - 0.5, n - 0.5, -0.5))   # as imshow: rows downwards
    image.axes.set(xlim=(-0.5, n - 0.5), ylim=(n - 0.5, -0.5))
    image.set_clim(**clim)


def convolution_artists(fig) -> dict:
    """The axes and artists of :func:`plot_convolution`, still empty.

    :func:`show_convolution` fills them, as often as wanted: a panel makes them once.
    """
    ax_in, ax_out = fig.subplots(1, 2, width_ratios=[3, 2])
    empty = np.zeros((1, 1))
    artists = {
        "cells": ax_in.imshow(empty, cmap=_CELLS, vmin=0, vmax=2, interpolation="nearest"),
        "in_grid": ax_in.add_collection(LineCollection([], color="#999999", linewidth=0.5)),
        "centres": ax_in.scatter([], [], s=8, color="#2166ac", label="kernel centres"),
        "window": ax_in.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=2,
                                            edgecolor="#b2182b")),
        "taps": ax_in.scatter([], [], s=40, marker="s", color="#b2182b", alpha=0.6),
        "in_title": ax_in.title,
        "output": ax_out.imshow(empty, cmap="Blues", interpolation="nearest"),
        "values": [],
        "out_grid": ax_out.add_collection(LineCollection([], color="#999999", linewidth=0.5)),
        "out_cell": ax_out.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=2,
                                               edgecolor="#b2182b")),
        "out_title": ax_out.title,
        "legend": None,
    }
    for ax in (ax_in, ax_out):
        ax.set(xticks=[], yticks=[])
        ax.title.set_fontsize(10)
    return artists


def show_convolution(artists, geom, step: int = 0) -> str:
    """Show ``geom`` (a ``ConvGeometry``) and window ``step`` in :func:`convolution_artists`;
    return the summary of :func:`plot_convolution`.  The legend is made anew (``artists``
    then names the new one); the numbers in the output cells are texts reused."""
    n, p, span, out = geom.input_size, geom.padding, geom.span, geom.output_size
    size = geom.padded_size
    cells = np.ones((size, size))
    cells[p:p + n, p:p + n] = 0
    reach = size - geom.unused  # windows end before this row/column
    dropped = np.zeros(cells.shape, dtype=bool)
    dropped[reach:, :] = dropped[:, reach:] = True
    cells[dropped & (cells == 0)] = 2
    _set_image(artists["cells"], cells, vmin=0, vmax=2)
    artists["in_grid"].set_segments(_grid_segments(size, size))
    centres = geom.starts + (span - 1) / 2
    cy, cx = np.meshgrid(centres, centres, indexing="ij")
    artists["centres"].set_offsets(np.column_stack([cx.ravel(), cy.ravel()]))
    row, col = divmod(step % (out * out), out)
    top, left = geom.starts[row], geom.starts[col]
    artists["window"].set_bounds(left - 0.5, top - 0.5, span, span)
    ty, tx = np.meshgrid(top + geom.taps, left + geom.taps, indexing="ij")
    artists["taps"].set_offsets(np.column_stack([tx.ravel(), ty.ravel()]))
    artists["taps"].set_label(f"window {row * out + col} (taps)")
    artists["in_title"].set_text(f"input {n}x{n}x{geom.in_channels}, padding {p} → "
                                 f"{size}x{size}")
    handles = [Patch(facecolor="white", edgecolor="#999999", label="input")]
    if p:
        handles.append(Patch(facecolor="#d9d9d9", label="zero padding"))
    if geom.unused:
        handles.append(Patch(facecolor="#f4a582", label="never reached"))
    handles += [artists["centres"], artists["taps"]]
    fig = artists["cells"].axes.figure
    if artists["legend"] is not None:
        artists["legend"].remove()
    # one row under the figure: as tall for two entries as for five (a redraw keeps the layout)
    artists["legend"] = fig.legend(handles=handles, loc="outside lower center",
                                   ncols=len(handles), fontsize=8, frameon=False)

    ax_out = artists["output"].axes
    _set_image(artists["output"], geom.output, vmin=0, vmax=geom.kernel_size ** 2 * 1.5)
    values = artists["values"]             # one text per output cell up to 10 x 10, reused
    shown = out * out if out <= 10 else 0
    values += [ax_out.text(0, 0, "", ha="center", va="center", fontsize=8)
               for _ in range(shown - len(values))]
    for text in values[shown:]:
        text.remove()
    del values[shown:]
    for text, ((i, j), value) in zip(values, np.ndenumerate(geom.output), strict=False):
        text.set_position((j, i))
        text.set_text(f"{value:g}")
    artists["out_grid"].set_segments(_grid_segments(out, out))
    artists["out_cell"].set_bounds(col - 0.5, row - 0.5, 1, 1)
    artists["out_title"].set_text(f"output {out}x{out}x{geom.out_channels}\n"
                                  f"(real inputs per window)")

    exact = geom.exact_output_size
    formula = (f"(N − F′ + 2P)/S + 1 = ({n} − {span} + 2·{p})/{geom.stride} + 1 = "
               f"{exact}" + ("" if geom.fits else f" ≈ {float(exact):.3g}"))
    flag = ("" if geom.fits else
            f" — <b style='color:#b2182b'>not an integer</b>: PyTorch rounds down and drops "
            f"the last {geom.unused} row(s)/column(s)")
    return (f"{formula}{flag}; output {out} x {out} x {geom.out_channels}. "
            f"Parameters: {geom.kernel_size}·{geom.kernel_size}·{geom.in_channels}·"
            f"{geom.out_channels} weights + {geom.out_channels} biases = <b>{geom.params:,}</b>")


def plot_convolution(fig, geom, step: int = 0) -> str:
    """The padded input with every kernel position, and the output grid; returns a summary.

    Left: real input (white), zero padding (grey), pixels no window reaches (orange, only
    when the stride does not fit); a dot at the centre of every kernel position; window
    number ``step`` (in reading order) outlined with its taps filled.  Right: the output
    grid, each cell showing how many real input values its window covers (per channel).
    """
    return show_convolution(convolution_artists(fig), geom, step)


def receptive_field_artists(fig, image_size: int = 28) -> dict:
    """The axes and artists of :func:`plot_receptive_field`, still empty; filled by
    :func:`show_receptive_field` as often as wanted."""
    ax_img, ax_map = fig.subplots(1, 2)
    empty = np.zeros((image_size, image_size))
    artists = {"image": ax_img.imshow(empty, cmap="gray_r", interpolation="nearest"),
               "boxes": [], "legend": None,
               "influence": ax_map.imshow(empty, cmap="magma", interpolation="nearest")}
    ticks = np.arange(0, image_size, 7)  # few tick labels: each costs ~5 ms to render
    ax_img.set(xticks=ticks, yticks=ticks, xlabel="image column", ylabel="image row")
    ax_img.set_title("receptive field of each layer's centre neuron", fontsize=10)
    ax_map.set(xticks=[], yticks=[])
    ax_map.set_title("influence on the last neuron\n(paths through all-ones weights)",
                     fontsize=10)
    return artists


def show_receptive_field(artists, result, image) -> str:
    """Show ``result`` on ``image`` in :func:`receptive_field_artists`; return the summary of
    :func:`plot_receptive_field`.  The boxes and the legend are made anew."""
    image = to_numpy(image).squeeze()
    _set_image(artists["image"], image, vmin=image.min(), vmax=image.max())
    ax_img = artists["image"].axes
    for artist in [*artists["boxes"], artists["legend"]]:
        if artist is not None:
            artist.remove()
    artists["boxes"] = [
        ax_img.add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False, lw=1.8,
                                   edgecolor=_LAYER_COLORS[i % len(_LAYER_COLORS)],
                                   label=f"{i + 1}: {layer} → {size}x{size}"))
        for i, (layer, (top, left, size)) in enumerate(zip(result["layers"], result["boxes"],
                                                           strict=True))]
    artists["legend"] = (ax_img.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
                                       frameon=False) if result["layers"] else None)
    influence = result["influence"]
    _set_image(artists["influence"], influence, vmin=influence.min(), vmax=influence.max())
    fields = " → ".join(str(row.rf) for row in result["table"]) or "1"
    return (f"receptive field per layer: {fields}; the last layer sees "
            f"<b>{result['rf']} x {result['rf']}</b> pixels; output sizes "
            f"{' → '.join(map(str, result['sizes']))}")


def plot_receptive_field(fig, result, image) -> str:
    """Each layer's receptive field on the image, and the influence map; returns a summary.

    ``result`` is
    :func:`dlcourse.chapters.convolutions.receptive_fields.receptive_field_explorer`'s dict.
    """
    artists = receptive_field_artists(fig, to_numpy(image).squeeze().shape[-1])
    return show_receptive_field(artists, result, image)


def plot_maps(fig, maps, titles, *, cmap: str = "RdBu_r", symmetric: bool = True):
    """A row of images (an activation volume, one map per channel) with titles.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> len(plot_maps(Figure(), np.zeros((3, 4, 4)), ["a", "b", "c"]).axes)
    3
    """
    return show_images(fig, maps, titles, ncols=len(maps), cmap=cmap, vmin=None, vmax=None,
                       symmetric=symmetric, title_size=9)
