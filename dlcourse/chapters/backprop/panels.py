"""Chapter 03 panels: explore computational graphs, their values and their gradients.

Each panel recomputes a graph of :mod:`dlcourse.chapters.backprop` when a control changes and
shows it as :func:`~dlcourse.chapters.backprop.drawing.draw` does: every box shows ``data``
(forward pass) and ``grad`` (backward pass), every edge its local gradient.  The boxes and
arrows are drawn once; a change rewrites only the texts
(:func:`~dlcourse.chapters.backprop.drawing.graph_texts`).

Examples
--------
>>> panel = e_graph_panel()
>>> panel.controls["b"].value = 2.0
>>> panel.result.grads["b"]      # de/db = (b + 1) + (a + b) = 3 + 4
7.0
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets
from matplotlib.text import Annotation

from dlcourse.autograd import Value
from dlcourse.chapters.backprop.drawing import draw, graph_shape, graph_texts
from dlcourse.chapters.backprop.student import student_graph
from dlcourse.chapters.backprop.worked import e_graph, leaf_gradients, neuron_graph
from dlcourse.ui.panel import Panel

__all__ = ["e_graph_panel", "neuron_panel", "student_graph_panel"]

# two decimals at 12 pt: readable once the notebook shrinks the wide picture
_TEXTS = dict(show_local_grads=True, decimals=2)


def _graph_figsize(value: Value) -> tuple[float, float]:
    """The size :func:`draw` picks for this graph, so that the text fits its boxes."""
    width, height = draw(value).get_size_inches()
    return float(width), float(height)


def _graph_panel(compute: Callable, graph: Callable, summary: Callable, controls,
                 figsize) -> Panel:
    """A panel showing ``graph(result)`` (a ``Value``, or None for a message).

    The boxes, circles and arrows are drawn once per :func:`graph_shape`; a change of the
    controls only rewrites the texts (values, gradients, operations).  ``summary(result)``
    is the line under the figure.
    """
    def draw_static(fig, result):
        value = graph(result)
        if value is None:
            fig.text(0.5, 0.5, "type a student ID (at least 3 digits)", ha="center",
                     va="center")
            return []
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        draw(value, ax=ax, fontsize=12, **_TEXTS)
        return [text for text in ax.texts if not isinstance(text, Annotation)]

    def update(texts, result):
        value = graph(result)
        if value is not None:
            for text, new in zip(texts, graph_texts(value, **_TEXTS), strict=True):
                text.set_text(new)
        return summary(result)

    def key(result):
        value = graph(result)
        return None if value is None else graph_shape(value)

    return Panel(compute, draw_static, controls, update=update, key=key, figsize=figsize,
                 axes_layout="fixed")


def _slider(value, description, low=-4.0, high=4.0):
    return widgets.FloatSlider(value=value, min=low, max=high, step=0.25,
                               description=description, continuous_update=False)


def _e_summary(g) -> str:
    v, d = g.values, g.grads
    return (f"e = (a + b)(b + 1) = {v['e']:g}; &nbsp; de/da = d = {d['a']:g}; &nbsp; "
            f"de/db = d + c = {d['d']:g} + {d['c']:g} = {d['b']:g} "
            f"(b is used twice: its two gradients add up)")


def e_graph_panel(a: float = 2.0, b: float = 1.0) -> Panel:
    """Move ``a`` and ``b`` of ``e = (a + b)(b + 1)``; the graph shows values and gradients."""
    controls = {"a": _slider(a, "a"), "b": _slider(b, "b")}
    return _graph_panel(e_graph, lambda g: g.value, _e_summary, controls,
                        _graph_figsize(e_graph(a, b).value))


def _neuron_summary(o: Value) -> str:
    grads = leaf_gradients(o)
    slope = grads["b"]                   # do/db = act'(n)
    return (f"o = {o.data:.4f}; &nbsp; act'(n) = {slope:.4f}; &nbsp; do/dw = x·act'(n) = "
            f"{grads['w']:.4f}; &nbsp; do/dx = w·act'(n) = {grads['x']:.4f}")


def neuron_panel(x: float = 2.0, w: float = 0.5, b: float = -0.5,
                 activation: str = "tanh") -> Panel:
    """One neuron ``o = act(w x + b)``: move input, weight, bias; pick the activation."""
    controls = {
        "x": _slider(x, "input x"), "w": _slider(w, "weight w"), "b": _slider(b, "bias b"),
        "activation": widgets.Dropdown(options=["tanh", "sigmoid", "relu"], value=activation,
                                       description="activation"),
    }
    size = _graph_figsize(neuron_graph(x, w, b, activation=activation))
    return _graph_panel(neuron_graph, lambda o: o, _neuron_summary, controls, size)


def _student_or_message(student_id: str):
    """The :class:`~dlcourse.chapters.backprop.StudentGraph`, or the reason the ID is not usable."""
    try:
        return student_graph(student_id)
    except ValueError as error:
        return str(error)


def _student_summary(result) -> str:
    if isinstance(result, str):
        return f"<b>{html.escape(result)}</b>"
    return f"<pre>{html.escape(result.table())}</pre>"


def student_graph_panel(student_id: str = "12345678") -> Panel:
    """Type a student ID; see its graph and every partial derivative, three ways."""
    controls = {"student_id": widgets.Text(value=student_id, description="student ID",
                                           continuous_update=False)}
    size = _graph_figsize(student_graph("123").by_hand.value)
    return _graph_panel(_student_or_message,
                        lambda r: None if isinstance(r, str) else r.by_hand.value,
                        _student_summary, controls, size)
