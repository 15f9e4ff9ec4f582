"""The "student-number graph": a small graph whose inputs are the digits of your ID.

The exam exercise shows a graph with three empty input nodes and one input that already
holds a 5; the digits of the student ID go into the empty nodes from right to left (the
last digit into the rightmost node).  The drawing itself is not in the notes, but their two
worked answers pin the graph down::

    f = (a·b + d)·(b + c)      with  d = 5  (given)
    a, b, c = the third-to-last, second-to-last and last digit of the ID

    ID ...801 -> gradient (df/dd, df/da, df/db, df/dc) = (1, 0, 13, 5)
    ID ...136 -> gradient (df/dd, df/da, df/db, df/dc) = (9, 27, 17, 8)

Inner nodes: ``p = a·b``, ``q = p + d``, ``r = b + c``, ``f = q·r``.  ``b`` feeds both
``p`` and ``r``, so its gradient is a sum of two chain-rule terms.

:func:`student_graph` computes every partial derivative three ways: a backward pass written
out by hand, :mod:`dlcourse.autograd`, and central finite differences.

Examples
--------
>>> g = student_graph("...801")
>>> g.value, g.gradient
(5.0, (1.0, 0.0, 13.0, 5.0))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlcourse.autograd import Value, topological_order
from dlcourse.chapters.backprop.worked import HandGraph, _fmt
from dlcourse.gradcheck import numerical_gradient, relative_error

__all__ = ["GIVEN_D", "NOTES_ORDER", "StudentGraph", "student_digits", "student_graph"]

GIVEN_D = 5.0
"""The value already printed in the graph's fourth input node."""

NOTES_ORDER = ("d", "a", "b", "c")
"""The order in which the notes list the gradient's entries."""


def student_digits(student_id: str) -> dict[str, float]:
    """The graph's inputs from an ID: ``c`` = last digit, ``b`` = the one before, ``a`` before that.

    Spaces and dots are ignored (so ``"... 8 0 1"`` works); ``d`` is always 5.

    Examples
    --------
    >>> student_digits("0123456")
    {'a': 4.0, 'b': 5.0, 'c': 6.0, 'd': 5.0}
    """
    if not isinstance(student_id, str):
        raise TypeError(f"student_id must be a string of digits, got {type(student_id).__name__}")
    stray = sorted({ch for ch in student_id if not (ch.isdigit() or ch.isspace() or ch == ".")})
    if stray:
        raise ValueError(f"student_id may hold only digits (and spaces or dots), "
                         f"got {''.join(stray)!r} in {student_id!r}")
    digits = [int(ch) for ch in student_id if ch.isdigit()]
    if len(digits) < 3:
        raise ValueError(f"student_id needs at least 3 digits for the inputs a, b, c, "
                         f"got {len(digits)} in {student_id!r}")
    a, b, c = digits[-3:]
    return {"a": float(a), "b": float(b), "c": float(c), "d": GIVEN_D}


def _by_hand(a: float, b: float, c: float, d: float) -> HandGraph:
    """Forward and backward pass written out line by line, plus the same graph as ``Value``."""
    # forward pass: keep every value, the backward pass needs them
    p = a * b
    q = p + d
    r = b + c
    f = q * r
    # local gradient of every edge, d parent / d child
    local = {("f", "q"): r, ("f", "r"): q,      # f = q * r
             ("q", "p"): 1.0, ("q", "d"): 1.0,  # q = p + d
             ("r", "b"): 1.0, ("r", "c"): 1.0,  # r = b + c
             ("p", "a"): b, ("p", "b"): a}      # p = a * b
    # backward pass, top down: each gradient = sum over its uses of upstream x local
    grads = {"f": 1.0}
    grads["r"] = grads["f"] * local["f", "r"]
    grads["q"] = grads["f"] * local["f", "q"]
    grads["p"] = grads["q"] * local["q", "p"]
    grads["d"] = grads["q"] * local["q", "d"]
    grads["c"] = grads["r"] * local["r", "c"]
    grads["b"] = grads["p"] * local["p", "b"] + grads["r"] * local["r", "b"]  # two uses
    grads["a"] = grads["p"] * local["p", "a"]
    return HandGraph(
        output="f",
        expressions={"a": "input", "b": "input", "c": "input", "d": "input (given)",
                     "p": "a · b", "q": "p + d", "r": "b + c", "f": "q · r"},
        values={"a": a, "b": b, "c": c, "d": d, "p": p, "q": q, "r": r, "f": f},
        local=local, grads=grads, value=_as_values(a, b, c, d))


def _as_values(a: float, b: float, c: float, d: float) -> Value:
    """The same graph with :class:`dlcourse.autograd.Value`, after ``backward()``."""
    va, vb, vc, vd = (Value(v, label=n) for n, v in zip("abcd", (a, b, c, d), strict=True))
    p = va * vb
    p.label = "p"
    q = p + vd
    q.label = "q"
    r = vb + vc
    r.label = "r"
    f = q * r
    f.label = "f"
    f.backward()
    return f


def _f(x):
    """``f`` on an array ``x = (a, b, c, d)``, for finite differences."""
    a, b, c, d = x
    return (a * b + d) * (b + c)


@dataclass(frozen=True)
class StudentGraph:
    """Forward value and all partial derivatives of the student-number graph for one ID.

    Attributes
    ----------
    student_id : str
    inputs : dict of str to float
        ``a, b, c`` from the ID's last three digits, ``d = 5``.
    by_hand : HandGraph
        Hand-written forward and backward pass (every node, value and local gradient).
    autograd, numeric : dict of str to float
        ``df/d(input)`` from :mod:`dlcourse.autograd` and from central differences.
    """

    student_id: str
    inputs: dict
    by_hand: HandGraph
    autograd: dict
    numeric: dict

    @property
    def value(self) -> float:
        """``f`` after the forward pass."""
        return self.by_hand.values["f"]

    @property
    def gradient(self) -> tuple[float, ...]:
        """``(df/dd, df/da, df/db, df/dc)``, in the order the notes print it."""
        return tuple(self.by_hand.grads[name] for name in NOTES_ORDER)

    @property
    def max_error(self) -> float:
        """Largest relative error of autograd and finite differences against the hand result."""
        hand = np.array(self.gradient)
        return max(relative_error(hand, np.array([other[n] for n in NOTES_ORDER]))
                   for other in (self.autograd, self.numeric))

    def table(self) -> str:
        """The inputs, ``f``, and each partial derivative by the three methods, as text."""
        v = {name: _fmt(x) for name, x in self.by_hand.values.items()}
        lines = [
            f"student ID {self.student_id.strip()}: a, b, c = {v['a']}, {v['b']}, {v['c']} "
            f"(last three digits), d = {v['d']} (given)",
            f"f = (a·b + d)·(b + c) = ({v['a']}·{v['b']} + {v['d']})·({v['b']} + {v['c']})"
            f" = {v['f']}",
            "",
            f"{'input':<7}{'value':>6}{'by hand':>10}{'autograd':>10}{'finite diff.':>14}",
        ]
        for name in NOTES_ORDER:
            numeric = f"{round(self.numeric[name], 4) + 0.0:.4f}"
            lines.append(f"{name:<7}{v[name]:>6}{_fmt(self.by_hand.grads[name]):>10}"
                         f"{_fmt(self.autograd[name]):>10}{numeric:>14}")
        grad = ", ".join(_fmt(g) for g in self.gradient)
        lines.append(f"gradient (df/dd, df/da, df/db, df/dc) = ({grad})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def student_graph(student_id: str, *, eps: float = 1e-6) -> StudentGraph:
    """Build the student-number graph for ``student_id`` and differentiate it three ways.

    Parameters
    ----------
    student_id : str
        Digits of the ID (spaces and dots ignored); the last three are used.
    eps : float, keyword-only
        Step of the central differences.

    Returns
    -------
    StudentGraph
        Print it for the table; ``.by_hand.table()`` lists every node;
        ``.by_hand.value`` is the ``Value`` graph to draw.

    Examples
    --------
    >>> g = student_graph("136")
    >>> g.value, g.gradient, g.max_error < 1e-8
    (72.0, (9.0, 27.0, 17.0, 8.0), True)
    """
    x = student_digits(student_id)
    hand = _by_hand(x["a"], x["b"], x["c"], x["d"])
    leaves = {node.label: node.grad for node in topological_order(hand.value)
              if not node.children}
    point = np.array([x["a"], x["b"], x["c"], x["d"]])
    numeric = dict(zip("abcd", numerical_gradient(_f, point, eps=eps).tolist(), strict=True))
    return StudentGraph(student_id, x, hand, leaves, numeric)
