"""Chapter 03 panels: explore computational graphs, their values and their gradients.

Each panel recomputes a graph of :mod:`dlcourse.chapters.backprop` when a control changes and
redraws it with :func:`~dlcourse.chapters.backprop.drawing.draw`: every box shows ``data``
(forward pass) and ``grad`` (backward pass), every edge its local gradient.

Examples
--------
>>> panel = e_graph_panel()
>>> panel.controls["b"].value = 2.0
>>> panel.result.grads["b"]      # de/db = (b + 1) + (a + b) = 3 + 4
7.0
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from dlcourse.autograd import Value
from dlcourse.chapters.backprop.drawing import draw
from dlcourse.chapters.backprop.student import student_graph
from dlcourse.chapters.backprop.worked import e_graph, leaf_gradients, neuron_graph
from dlcourse.ui.panel import Panel

__all__ = ["e_graph_panel", "neuron_panel", "student_graph_panel"]


def _graph_figsize(value: Value) -> tuple[float, float]:
    """The size :func:`draw` picks for this graph, so that the text fits its boxes."""
    width, height = draw(value).get_size_inches()
    return float(width), float(height)


def _draw_graph(fig, value: Value) -> None:
    # two decimals at 12 pt: readable once the notebook shrinks the wide picture
    draw(value, ax=fig.add_axes((0.0, 0.0, 1.0, 1.0)), show_local_grads=True, decimals=2,
         fontsize=12)


def _slider(value, description, low=-4.0, high=4.0):
    return widgets.FloatSlider(value=value, min=low, max=high, step=0.25,
                               description=description, continuous_update=False)


def _draw_e(fig, g) -> str:
    _draw_graph(fig, g.value)
    v, d = g.values, g.grads
    return (f"e = (a + b)(b + 1) = {v['e']:g}; &nbsp; de/da = d = {d['a']:g}; &nbsp; "
            f"de/db = d + c = {d['d']:g} + {d['c']:g} = {d['b']:g} "
            f"(b is used twice: its two gradients add up)")


def e_graph_panel(a: float = 2.0, b: float = 1.0) -> Panel:
    """Move ``a`` and ``b`` of ``e = (a + b)(b + 1)``; the graph shows values and gradients."""
    controls = {"a": _slider(a, "a"), "b": _slider(b, "b")}
    return Panel(e_graph, _draw_e, controls, figsize=_graph_figsize(e_graph(a, b).value),
                 axes_layout="fixed")


def _draw_neuron(fig, o: Value) -> str:
    _draw_graph(fig, o)
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
    return Panel(neuron_graph, _draw_neuron, controls, figsize=size, axes_layout="fixed")


def _student_or_message(student_id: str):
    """The :class:`~dlcourse.chapters.backprop.StudentGraph`, or the reason the ID is not usable."""
    try:
        return student_graph(student_id)
    except ValueError as error:
        return str(error)


def _draw_student(fig, result) -> str:
    if isinstance(result, str):
        fig.text(0.5, 0.5, "type a student ID (at least 3 digits)", ha="center", va="center")
        return f"<b>{html.escape(result)}</b>"
    _draw_graph(fig, result.by_hand.value)
    return f"<pre>{html.escape(result.table())}</pre>"


def student_graph_panel(student_id: str = "12345678") -> Panel:
    """Type a student ID; see its graph and every partial derivative, three ways."""
    controls = {"student_id": widgets.Text(value=student_id, description="student ID",
                                           continuous_update=False)}
    size = _graph_figsize(student_graph("123").by_hand.value)
    return Panel(_student_or_message, _draw_student, controls, figsize=size, axes_layout="fixed")
