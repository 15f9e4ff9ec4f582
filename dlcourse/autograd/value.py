"""``Value``: one scalar, the operation that made it, and its gradient.

Every operation below builds its output node and, right beside the forward value, the
*local gradients* ``d out / d input`` for each input.  ``backward`` then walks the graph from
the output to the inputs once and applies the chain rule at every edge::

    input.grad += local_gradient * output.grad      # accumulate: a node may feed many others

Only a handful of operations are primitive (``+``, ``*``, ``**`` by a number, ``exp``,
``log``, ``tanh``, ``relu``, ``sigmoid``).  The rest are composed from them -- subtraction is
adding a negation, division is multiplying by a power of -1 -- so they need no gradient code.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["Value", "topological_order"]


class Value:
    """A scalar node of a computational graph that knows its gradient.

    Parameters
    ----------
    data : float
        The value computed in the forward pass.
    label : str, optional
        A name to show in drawings and tables, e.g. ``"a"``.
    op : str, optional
        The operation that produced this node (``"+"``, ``"*"``, ``"tanh"``, ...);
        empty for inputs (leaves).
    children : tuple of Value, optional
        The inputs of that operation, in order.  A tuple, so drawings are stable.
    local_grads : tuple of float, optional
        ``d self / d child`` for each child, computed in the forward pass.

    Attributes
    ----------
    grad : float
        ``d output / d self`` after :meth:`backward`; starts at 0 and *accumulates*.

    Examples
    --------
    >>> a, b = Value(2.0, label="a"), Value(1.0, label="b")
    >>> e = (a + b) * (b + 1)
    >>> e.backward()
    >>> e.data, a.grad, b.grad
    (6.0, 2.0, 5.0)
    """

    def __init__(self, data, *, label: str = "", op: str = "", children=(), local_grads=()):
        if not isinstance(data, numbers.Real):
            raise TypeError(f"Value holds a real number, got {type(data).__name__}")
        if len(children) != len(local_grads):
            raise ValueError(
                f"got {len(children)} children but {len(local_grads)} local gradients"
            )
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = op
        self.children = tuple(children)
        self.local_grads = tuple(float(g) for g in local_grads)

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ---- primitive operations: forward value and local gradients side by side ----

    def __add__(self, other) -> Value:
        other = _as_value(other)
        return Value(self.data + other.data, op="+", children=(self, other),
                     local_grads=(1.0, 1.0))

    def __mul__(self, other) -> Value:
        other = _as_value(other)
        return Value(self.data * other.data, op="*", children=(self, other),
                     local_grads=(other.data, self.data))

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, Value):  # x ** y = exp(y * log x), for x > 0
            return (exponent * self.log()).exp()
        if not isinstance(exponent, numbers.Real):
            return NotImplemented
        k = float(exponent)
        if self.data < 0.0 and not k.is_integer():
            raise ValueError(f"({self.data:g}) ** {k:g} is not a real number")
        if self.data == 0.0 and k < 1.0 and k != 0.0:
            raise ValueError(f"0 ** {k:g} has no finite derivative")
        local = 0.0 if k == 0.0 else k * self.data ** (k - 1)
        return Value(self.data**k, op=f"**{k:g}", children=(self,), local_grads=(local,))

    def exp(self) -> Value:
        """``e ** self``; its derivative is itself."""
        out = math.exp(self.data)
        return Value(out, op="exp", children=(self,), local_grads=(out,))

    def log(self) -> Value:
        """Natural logarithm, defined for positive values; derivative ``1 / x``."""
        if self.data <= 0.0:
            raise ValueError(f"log is defined for positive numbers, got {self.data:g}")
        return Value(math.log(self.data), op="log", children=(self,),
                     local_grads=(1.0 / self.data,))

    def tanh(self) -> Value:
        """Hyperbolic tangent; derivative ``1 - tanh(x) ** 2``."""
        out = math.tanh(self.data)
        return Value(out, op="tanh", children=(self,), local_grads=(1.0 - out**2,))

    def relu(self) -> Value:
        """``max(0, x)``; derivative 1 for ``x > 0``, else 0 (PyTorch's choice at 0)."""
        positive = self.data > 0.0
        return Value(self.data if positive else 0.0, op="relu", children=(self,),
                     local_grads=(1.0 if positive else 0.0,))

    def sigmoid(self) -> Value:
        """Logistic sigmoid ``1 / (1 + e^-x)``; derivative ``s (1 - s)``."""
        x = self.data  # two forms, so that exp never overflows
        out = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return Value(out, op="sigmoid", children=(self,), local_grads=(out * (1.0 - out),))

    # ---- derived operations: compositions, no gradient code of their own ----

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other) -> Value:
        return self + (-_as_value(other))

    def __truediv__(self, other) -> Value:
        return self * _as_value(other) ** -1

    def __radd__(self, other) -> Value:
        return _as_value(other) + self

    def __rsub__(self, other) -> Value:
        return _as_value(other) - self

    def __rmul__(self, other) -> Value:
        return _as_value(other) * self

    def __rtruediv__(self, other) -> Value:
        return _as_value(other) / self

    def __rpow__(self, base) -> Value:
        return _as_value(base) ** self

    # ---- the backward pass ----

    def backward(self) -> None:
        """Fill ``.grad`` of every node with ``d self / d node`` (reverse mode).

        The output is seeded with ``d self / d self = 1``; then each node, visited after
        every node that uses it, passes ``local_grad * grad`` on to its children.  As in
        PyTorch, the gradients of inputs (leaves) *accumulate* over calls: call
        :meth:`zero_grad` before a second backward pass.  Inner nodes are reset first.
        """
        order = topological_order(self)
        for node in order:
            if node.children:
                node.grad = 0.0
        self.grad += 1.0  # d self / d self
        for node in reversed(order):  # the output first, then towards the inputs
            for child, local in zip(node.children, node.local_grads, strict=True):
                child.grad += local * node.grad

    def zero_grad(self) -> None:
        """Set ``.grad`` of every node in this node's graph back to 0."""
        for node in topological_order(self):
            node.grad = 0.0


def _as_value(x) -> Value:
    """Wrap a plain number as a leaf ``Value`` so that ``2 * v`` and ``v + 1`` work."""
    return x if isinstance(x, Value) else Value(x)


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each one after all of its children.

    Inputs come first and ``root`` last; reversed, it is the order of the backward pass.
    Iterative depth-first search, so graphs deeper than Python's recursion limit work.

    Examples
    --------
    >>> a = Value(2.0, label="a")
    >>> b = a * a
    >>> [node.label or node.op for node in topological_order(b + a)]
    ['a', '*', '+']
    """
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children))
    return order
