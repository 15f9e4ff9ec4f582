"""A control panel whose figure is redrawn in place when a control changes.

The figure is rendered to PNG and shown in an ``ipywidgets.Image``: updating the image's
bytes swaps the picture without clearing the output area, so nothing flickers or jumps,
and the panel works in any frontend (no ipympl needed).

Speed: matplotlib's constrained layout is the most expensive step of a redraw (it measures
every label of every axes).  A panel solves it once, when it first draws or when the number
of axes changes, and re-applies the solved positions afterwards; the PNG is compressed
lightly (level 1), which is several times faster than the default and barely larger.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class Panel(widgets.VBox):
    """Controls above, a figure and a one-line summary below.

    Parameters
    ----------
    compute : callable
        ``compute(**values)`` -> result, where ``values`` maps each control's name to its
        value.  A plain function of dlcourse, unit-tested and benchmarked on its own.
    draw : callable
        ``draw(fig, result)`` draws ``result`` into the (cleared) matplotlib ``fig``; may
        return a short text summary shown under the figure.
    controls : mapping of str to ipywidgets.ValueWidget
        The controls, in display order.
    figsize : (float, float)
        Figure size in inches.
    dpi : int
        Resolution of the rendered PNG.
    axes_layout : {"constrained", "fixed"}
        ``"constrained"``: matplotlib's constrained layout places the axes (solved once, see
        above).  ``"fixed"``: ``draw`` places them itself (``fig.subplotpars``,
        ``fig.add_axes``), e.g. with margins wide enough for every tick label it may show.

    Attributes
    ----------
    result
        What ``compute`` returned for the current control values.
    last_update_ms : float
        Wall time of the last compute + draw + render, for the benchmarks.

    Examples
    --------
    >>> import ipywidgets as w
    >>> p = Panel(lambda n: n ** 2, lambda fig, r: f"n² = {r}",
    ...           {"n": w.IntSlider(value=3, min=0, max=9)})
    >>> p.result, p.summary.value
    (9, 'n² = 9')
    >>> p.controls["n"].value = 4; p.result
    16
    """

    def __init__(self, compute: Callable, draw: Callable,
                 controls: Mapping[str, widgets.ValueWidget], *,
                 figsize: tuple[float, float] = (8.0, 3.6), dpi: int = 90,
                 axes_layout: str = "constrained"):
        if axes_layout not in ("constrained", "fixed"):
            raise ValueError(f'axes_layout must be "constrained" or "fixed", '
                             f'got {axes_layout!r}')
        self.compute = compute
        self.draw = draw
        self.controls = dict(controls)
        self.axes_layout = axes_layout
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self._positions = None  # solved axes positions, reused while the axes stay the same
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.summary = widgets.HTML()
        self.result = None
        self.last_update_ms = 0.0
        box = widgets.HBox(list(self.controls.values()),
                           layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([box, self.image, self.summary])
        for control in self.controls.values():
            control.style = {"description_width": "initial"}
            control.observe(self._on_change, names="value")
        self.update()

    def values(self) -> dict:
        """Current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> None:
        """Recompute, redraw the figure and swap the rendered image."""
        start = time.perf_counter()
        self.result = self.compute(**self.values())
        text = self._redraw()
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
        self.image.value = buffer.getvalue()
        self.summary.value = text or ""
        self.last_update_ms = 1000 * (time.perf_counter() - start)

    def _redraw(self):
        """Draw the result; lay the figure out only if its axes changed in number."""
        self.figure.clear()
        text = self.draw(self.figure, self.result)
        axes = self.figure.axes
        if self.axes_layout == "fixed":
            return text
        if self._positions is not None and len(self._positions) == len(axes):
            for ax, position in zip(axes, self._positions, strict=True):
                ax.set_position(position)
        else:
            self.figure.set_layout_engine("constrained")
            self.figure.canvas.draw()  # solves the layout
            self._positions = [ax.get_position() for ax in axes]
        self.figure.set_layout_engine(None)  # no engine: savefig draws the figure only once
        return text

    def _on_change(self, change) -> None:
        self.update()
