"""Small graphs differentiated by hand, next to the same graphs built with ``Value``.

A hand-written backward pass is a list of lines ``grad[child] = grad[parent] * local``, one
per edge, walked from the output down; a node used by two operations receives two terms
that add up.  :class:`HandGraph` keeps the forward values, the local gradient of every edge
and the resulting gradients, and prints them as the table one writes next to the drawing:
value left of the node, local gradient on the edge, ``d out / d node`` right of the node.

Also here: :func:`backward_overwriting`, a backward pass with the classic bug (``=`` instead
of ``+=``), to see what goes wrong when a node is used twice.

Examples
--------
>>> g = e_graph(2.0, 1.0)
>>> g.values["e"], g.grads["a"], g.grads["b"]
(6.0, 2.0, 5.0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from dlcourse.autograd import (
    Value,
    diamond_chain,
    reverse_mode_edge_visits,
    sum_over_paths_gradient,
    topological_order,
)

__all__ = [
    "EdgeVisits",
    "HandGraph",
    "backward_overwriting",
    "e_graph",
    "edge_visit_table",
    "leaf_gradients",
    "neuron_graph",
]


def _fmt(v: float) -> str:
    """A number for a table: integers without decimals, others to 4 significant digits."""
    v = round(v, 10) + 0.0  # no "-0", no 4.999999999
    return f"{v:g}" if v == int(v) else f"{v:.4g}"


@dataclass(frozen=True)
class HandGraph:
    """A graph differentiated by hand: forward values, local gradients, upstream gradients.

    Attributes
    ----------
    output : str
        Name of the output node (its gradient is seeded with 1).
    expressions : dict of str to str
        How each node is computed (``"a + b"``), ``"input"`` for the leaves; forward order.
    values : dict of str to float
        Every node's value after the forward pass.
    local : dict of (str, str) to float
        ``local[parent, child] = d parent / d child``: the local gradient of each edge.
    grads : dict of str to float
        ``d output / d node`` for every node, from the hand-written backward pass.
    value : Value
        The same graph built with :mod:`dlcourse.autograd`, ``backward()`` already called;
        draw it with :func:`dlcourse.chapters.backprop.drawing`.
    """

    output: str
    expressions: dict
    values: dict
    local: dict
    grads: dict
    value: Value

    def terms(self, node: str) -> list[tuple[str, float, float]]:
        """The chain-rule terms of ``node``: ``(parent, upstream grad, local grad)`` per use."""
        return [(parent, self.grads[parent], local)
                for (parent, child), local in self.local.items() if child == node]

    def table(self) -> str:
        """One row per node in backward order: value, and ``d out / d node`` as a sum of terms."""
        out = self.output
        lines = [f"{'node':<6}{'computed as':<15}{'value':>7}{'d' + out + '/d(node)':>12}"
                 f"   = sum over uses of upstream x local"]
        for node in reversed(list(self.expressions)):
            if node == out:
                how = f"     (seed: d{out}/d{out} = 1)"
            else:
                how = "   = " + " + ".join(f"{_fmt(up)}·{_fmt(loc)} (via {parent})"
                                         for parent, up, loc in self.terms(node))
            lines.append(f"{node:<6}{self.expressions[node]:<15}{_fmt(self.values[node]):>7}"
                         f"{_fmt(self.grads[node]):>12}{how}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _check_number(v, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(v).__name__}")
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return float(v)


def e_graph(a: float = 2.0, b: float = 1.0) -> HandGraph:
    """The worked graph ``e = (a + b)(b + 1)``, i.e. ``c = a + b``, ``d = b + 1``, ``e = c d``.

    ``b`` feeds two nodes, so ``de/db`` is the sum of two chain-rule terms.

    Parameters
    ----------
    a, b : float
        The inputs.

    Returns
    -------
    HandGraph
        Forward values, local gradients and ``de/d(node)`` by hand, and the ``Value`` graph.

    Examples
    --------
    >>> g = e_graph(2, 1)
    >>> g.values["c"], g.values["d"], g.grads["c"], g.grads["d"]
    (3.0, 2.0, 2.0, 3.0)
    """
    a, b = _check_number(a, "a"), _check_number(b, "b")
    # forward pass: every value is kept (cached) for the backward pass
    c = a + b
    d = b + 1.0
    e = c * d
    # local gradients, one per edge: d parent / d child
    local = {("e", "c"): d, ("e", "d"): c,      # e = c * d: the other factor
             ("c", "a"): 1.0, ("c", "b"): 1.0,  # + passes the gradient on unchanged
             ("d", "b"): 1.0}
    # backward pass: from the output down, upstream gradient x local gradient
    grads = {"e": 1.0}                          # de/de = 1: the upstream gradient at the top
    grads["d"] = grads["e"] * local["e", "d"]
    grads["c"] = grads["e"] * local["e", "c"]
    grads["b"] = grads["c"] * local["c", "b"] + grads["d"] * local["d", "b"]  # b is used twice
    grads["a"] = grads["c"] * local["c", "a"]

    va, vb = Value(a, label="a"), Value(b, label="b")
    vc = va + vb
    vc.label = "c"
    vd = vb + 1.0
    vd.label = "d"
    ve = vc * vd
    ve.label = "e"
    ve.backward()
    return HandGraph(
        output="e",
        expressions={"a": "input", "b": "input", "c": "a + b", "d": "b + 1", "e": "c · d"},
        values={"a": a, "b": b, "c": c, "d": d, "e": e}, local=local, grads=grads, value=ve)


def neuron_graph(x: float = 2.0, w: float = 0.5, b: float = -0.5, *,
                 activation: str = "tanh") -> Value:
    """One neuron ``o = act(w x + b)`` as a ``Value`` graph, after ``backward()``.

    The gradients show the neuron's rules: ``do/dw = x act'(n)`` (an input of 0 teaches its
    weight nothing), ``do/db = act'(n)``, and ``do/dx = w act'(n)`` flows on to earlier layers.

    Parameters
    ----------
    x, w, b : float
        Input, weight and bias.
    activation : {"tanh", "sigmoid", "relu"}

    Examples
    --------
    >>> o = neuron_graph(2.0, 0.5, -0.5)
    >>> round(o.data, 4), {k: round(g, 4) for k, g in leaf_gradients(o).items()}
    (0.4621, {'x': 0.3932, 'w': 1.5729, 'b': 0.7864})
    """
    if activation not in ("tanh", "sigmoid", "relu"):
        raise ValueError(f"activation must be 'tanh', 'sigmoid' or 'relu', got {activation!r}")
    vx = Value(_check_number(x, "x"), label="x")
    vw = Value(_check_number(w, "w"), label="w")
    vb = Value(_check_number(b, "b"), label="b")
    wx = vx * vw
    wx.label = "w·x"
    n = wx + vb
    n.label = "n"
    o = getattr(n, activation)()
    o.label = "o"
    o.backward()
    return o


class EdgeVisits(NamedTuple):
    """Cost of ``d out / d x`` on :func:`dlcourse.autograd.diamond_chain` of one depth.

    ``paths`` is ``2 ** depth`` by construction (each diamond doubles it).
    """

    depth: int
    paths: int
    sum_over_paths: int
    reverse_mode: int
    same_gradient: bool


def edge_visit_table(depths=range(1, 11)) -> list[EdgeVisits]:
    """Edge visits of the naive sum over paths vs one reverse-mode pass, per chain depth.

    Both methods are run on :func:`dlcourse.autograd.diamond_chain` graphs and must give the
    same gradient (checked, ``same_gradient``).  Sum over paths visits ``2 depth 2^depth``
    edges, reverse mode each of the ``4 depth`` edges once.

    Examples
    --------
    >>> edge_visit_table([1, 2, 3])[2]
    EdgeVisits(depth=3, paths=8, sum_over_paths=48, reverse_mode=12, same_gradient=True)
    """
    rows = []
    for depth in depths:
        out, x = diamond_chain(depth)
        naive, visits = sum_over_paths_gradient(out, x)
        out.backward()
        rows.append(EdgeVisits(depth, 2**depth, visits, reverse_mode_edge_visits(out),
                               math.isclose(naive, x.grad, rel_tol=1e-12, abs_tol=1e-15)))
    return rows


def backward_overwriting(value: Value) -> None:
    """A backward pass with the classic BUG: it *overwrites* gradients instead of adding.

    Identical to :meth:`dlcourse.autograd.Value.backward` except for one character:
    ``child.grad = ...`` where it must be ``child.grad += ...``.  A node used by two
    operations (``b`` in ``(a + b)(b + 1)``, ``x`` in ``x * x``) keeps only the term that
    arrived last.  For teaching only; never use it to train anything.

    Examples
    --------
    >>> x = Value(3.0, label="x")
    >>> y = x * x
    >>> backward_overwriting(y); x.grad          # d(x^2)/dx = 2x = 6, but one term is lost
    3.0
    """
    order = topological_order(value)
    for node in order:
        node.grad = 0.0
    value.grad = 1.0
    for node in reversed(order):
        for child, local in zip(node.children, node.local_grads, strict=True):
            child.grad = local * node.grad  # BUG: overwrites; the correct line uses +=


def leaf_gradients(value: Value, backward: Callable[[Value], None] = Value.backward) -> dict:
    """Zero the graph, run ``backward(value)`` and return ``{label: grad}`` of labelled leaves.

    Handy to compare the correct backward pass with :func:`backward_overwriting`.

    Examples
    --------
    >>> g = e_graph(2, 1)
    >>> leaf_gradients(g.value), leaf_gradients(g.value, backward_overwriting)
    ({'a': 2.0, 'b': 5.0}, {'a': 2.0, 'b': 2.0})
    """
    value.zero_grad()
    backward(value)
    return {node.label: node.grad for node in topological_order(value)
            if not node.children and node.label}
