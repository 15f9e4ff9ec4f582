"""Two ways to get ``d output / d input``, and what each one costs in edge visits.

*Sum over paths* (the naive method): for every path from the output down to the input,
multiply the local gradients on its edges; add the products.  Paths that share edges
multiply those edges again, and the number of paths can grow exponentially with depth.

*Reverse mode* (backpropagation): one backward pass visits every edge exactly once and
gives the gradient with respect to *all* nodes at the same time.

:func:`diamond_chain` builds the graph on which the difference is dramatic.
"""

from __future__ import annotations

import math

from dlcourse.autograd.value import Value, topological_order

__all__ = ["diamond_chain", "reverse_mode_edge_visits", "sum_over_paths_gradient"]


def _paths(output: Value, wrt: Value):
    """Yield the local gradients along each path from ``output`` down to ``wrt``."""
    reaches_wrt = {wrt}  # nodes with at least one path down to wrt
    for node in topological_order(output):
        if any(child in reaches_wrt for child in node.children):
            reaches_wrt.add(node)
    if output not in reaches_wrt:
        return
    stack = [(output, ())]
    while stack:
        node, locals_so_far = stack.pop()
        if node is wrt:
            yield locals_so_far
            continue
        for child, local in zip(node.children, node.local_grads, strict=True):
            if child in reaches_wrt:
                stack.append((child, locals_so_far + (local,)))


def sum_over_paths_gradient(output: Value, wrt: Value) -> tuple[float, int]:
    """``d output / d wrt`` by multiplying local gradients along every path, and its cost.

    Needs only the forward pass (the local gradients stored on each node).

    Returns
    -------
    gradient : float
        The sum over all paths of the product of their local gradients.
    edge_visits : int
        How many edge factors were multiplied: the total length of all paths.

    Examples
    --------
    >>> a, b = Value(2.0), Value(1.0)
    >>> e = (a + b) * (b + 1)
    >>> sum_over_paths_gradient(e, b)  # two paths of two edges: 1 * 2 + 1 * 3
    (5.0, 4)
    """
    gradient, edge_visits = 0.0, 0
    for path in _paths(output, wrt):
        gradient += math.prod(path)
        edge_visits += len(path)
    return gradient, edge_visits


def reverse_mode_edge_visits(output: Value) -> int:
    """How many edges one backward pass from ``output`` visits: each edge once.

    Examples
    --------
    >>> a, b = Value(2.0), Value(1.0)
    >>> reverse_mode_edge_visits((a + b) * (b + 1))  # a, b -> +; b, 1 -> +; both -> *
    6
    """
    return sum(len(node.children) for node in topological_order(output))


def diamond_chain(depth: int) -> tuple[Value, Value]:
    """A chain of ``depth`` diamonds: ``x -> (tanh x, sigmoid x) -> their sum -> ...``.

    Each diamond doubles the number of paths from the output to the input ``x``, so there
    are ``2 ** depth`` paths of ``2 * depth`` edges each, while the graph has only
    ``4 * depth`` edges.

    Returns
    -------
    output, x : Value
        The last node and the input leaf.

    Examples
    --------
    >>> out, x = diamond_chain(3)
    >>> sum_over_paths_gradient(out, x)[1], reverse_mode_edge_visits(out)
    (48, 12)
    """
    if not isinstance(depth, int) or depth < 0:
        raise ValueError(f"depth must be a non-negative int, got {depth!r}")
    x = Value(0.5, label="x")
    node = x
    for _ in range(depth):
        node = node.tanh() + node.sigmoid()
    return node, x
