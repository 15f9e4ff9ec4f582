"""Walking a ``Value`` graph: its nodes, its edges, and a printable forward table."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from dlcourse.autograd.value import Value, topological_order

__all__ = ["Row", "forward_table", "graph_edges", "graph_nodes"]


def graph_nodes(root: Value) -> list[Value]:
    """Every node reachable from ``root``, once each, in breadth-first order from ``root``.

    This is the order in which one reads a graph backwards from its output; drawings use
    it to order the nodes within a layer.

    Examples
    --------
    >>> a, b = Value(2.0, label="a"), Value(1.0, label="b")
    >>> [node.label or node.op for node in graph_nodes(a * b)]
    ['*', 'a', 'b']
    """
    nodes, seen = [], {root}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        nodes.append(node)
        for child in node.children:
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return nodes


def graph_edges(root: Value) -> list[tuple[Value, Value]]:
    """Every edge ``(child, parent)`` of the graph below ``root``, one per use.

    A node used twice by the same operation (``x * x``) gives two edges: its gradient
    receives two contributions.

    Examples
    --------
    >>> x = Value(3.0, label="x")
    >>> len(graph_edges(x * x))
    2
    """
    return [(child, node) for node in graph_nodes(root) for child in node.children]


class Row(NamedTuple):
    """One node of a :func:`forward_table`."""

    label: str
    op: str
    data: float
    grad: float


def forward_table(root: Value) -> list[Row]:
    """One row ``(label, op, data, grad)`` per node, in the order of the forward pass.

    Inputs come first and ``root`` last.  Call ``root.backward()`` first to see gradients.

    Examples
    --------
    >>> a, b = Value(2.0, label="a"), Value(1.0, label="b")
    >>> c = a + b; c.label = "c"
    >>> c.backward()
    >>> for row in forward_table(c):
    ...     print(row.label, row.op, row.data, row.grad)
    a  2.0 1.0
    b  1.0 1.0
    c + 3.0 1.0
    """
    return [Row(n.label, n.op, n.data, n.grad) for n in topological_order(root)]
