"""A scalar autograd engine for the backpropagation chapter (drawn by its ``drawing`` module).

``Value`` holds one number, remembers the operation and inputs that produced it, and
``backward()`` fills in every gradient by reverse-mode differentiation.

>>> from dlcourse.autograd import Value
>>> a, b = Value(2.0, label="a"), Value(1.0, label="b")
>>> e = (a + b) * (b + 1)
>>> e.backward()
>>> a.grad, b.grad
(2.0, 5.0)
"""

from dlcourse.autograd.graph import Row, forward_table, graph_edges, graph_nodes
from dlcourse.autograd.paths import (
    diamond_chain,
    reverse_mode_edge_visits,
    sum_over_paths_gradient,
)
from dlcourse.autograd.value import Value, topological_order

__all__ = [
    "Row",
    "Value",
    "diamond_chain",
    "forward_table",
    "graph_edges",
    "graph_nodes",
    "reverse_mode_edge_visits",
    "sum_over_paths_gradient",
    "topological_order",
]
