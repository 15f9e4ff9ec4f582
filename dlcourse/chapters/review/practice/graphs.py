"""Practice problems on computational graphs: forward value and every input's gradient."""

from __future__ import annotations

import numpy as np

from dlcourse.autograd import Value, forward_table, topological_order
from dlcourse.chapters.review.practice.problem import Problem, _fmt

# Each template works on plain floats and on autograd Values alike (only + - * / **).
TEMPLATES = {
    "(x + y) * (y + z)": lambda x, y, z: (x + y) * (y + z),
    "(x * y + z) * x": lambda x, y, z: (x * y + z) * x,
    "(x - y)**2 * z": lambda x, y, z: (x - y) ** 2 * z,
    "x * y * z + y": lambda x, y, z: x * y * z + y,
    "(x + y * z) / y": lambda x, y, z: (x + y * z) / y,
    "(x + 1) * (y - z) + z * x": lambda x, y, z: (x + 1) * (y - z) + z * x,
}


def build_graph(formula: str, inputs) -> Value:
    """The graph of one of :data:`TEMPLATES` at ``inputs = (x, y, z)``, backpropagated.

    >>> f = build_graph("(x + y) * (y + z)", (2, 1, 0))
    >>> f.data, [leaf.grad for leaf in _leaves(f)]
    (3.0, [1.0, 4.0, 3.0])
    """
    x, y, z = (Value(float(v), label=name) for v, name in zip(inputs, "xyz", strict=True))
    f = TEMPLATES[formula](x, y, z)
    f.label = "f"
    f.backward()
    return f


def _leaves(f: Value) -> list[Value]:
    """The inputs x, y, z of a graph made by :func:`build_graph`, in that order."""
    leaves = {node.label: node for node in topological_order(f) if node.label in ("x", "y", "z")}
    return [leaves[name] for name in "xyz"]


def backprop(seed: int) -> Problem:
    """Forward value and ``(f, df/dx, df/dy, df/dz)`` of a small expression."""
    rng = np.random.default_rng(seed)
    formula = str(rng.choice(list(TEMPLATES)))
    inputs = [int(v) for v in rng.choice([-3, -2, -1, 1, 2, 3], size=3)]  # no 0: y divides
    f = build_graph(formula, inputs)
    x, y, z = _leaves(f)
    answer = (f.data, x.grad, y.grad, z.grad)
    rows = "\n".join(f"  {row.label or row.op:>4}  value {_fmt(row.data):>7}   "
                     f"df/d(node) {_fmt(row.grad):>7}" for row in forward_table(f))
    question = (f"f(x, y, z) = {formula} at x = {inputs[0]}, y = {inputs[1]}, z = {inputs[2]}. "
                f"Give f, df/dx, df/dy, df/dz (4 numbers).")
    solution = ("Forward pass: compute every node from the inputs. Backward pass: start with "
                "df/df = 1 and multiply each node's upstream gradient by the local gradient; "
                "a variable used twice adds up the gradients of both uses.\n" + rows
                + f"\nf = {_fmt(f.data)}, df/dx = {_fmt(x.grad)}, df/dy = {_fmt(y.grad)}, "
                  f"df/dz = {_fmt(z.grad)}.")
    return Problem("backprop", seed, question, answer, solution,
                   hint="upstream × local gradient at every node; sum over uses.", atol=1e-3,
                   data=dict(formula=formula, inputs=tuple(inputs)))
