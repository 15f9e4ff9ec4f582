"""Drawing a ``Value`` graph with matplotlib alone (no graphviz).

Layout: the output sits on the right and every node one column further left than the
furthest node that uses it, so the forward pass reads left to right and the backward pass
right to left.  A value is a box ``label | data | grad``; the operation that made it is a
circle just left of it.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from dlcourse.autograd.graph import graph_nodes
from dlcourse.autograd.value import Value, topological_order

__all__ = ["draw", "graph_shape", "graph_texts", "to_svg"]

# Sizes in data units; one data unit is drawn as one inch on a new figure.
_BOX_W, _BOX_H = 2.7, 0.45  # a value box
_OP_R = 0.3  # radius of an operation circle
_COLUMN = 4.0  # horizontal distance between consecutive layers
_ROW = 0.9  # vertical distance between nodes of one layer
_VALUE_STYLE = dict(facecolor="#eef3fb", edgecolor="#4a6fa5", linewidth=1.2)
_OP_STYLE = dict(facecolor="#fdf1d6", edgecolor="#b7862b", linewidth=1.2)
_ARROW = dict(arrowstyle="->", color="#555555", linewidth=0.9, shrinkA=0, shrinkB=0)


def _layers(root: Value) -> dict[Value, int]:
    """Each node's layer: the length of the longest path from it up to ``root``."""
    depth = {root: 0}
    for node in reversed(topological_order(root)):  # every user before what it uses
        for child in node.children:
            depth[child] = max(depth.get(child, 0), depth[node] + 1)
    return depth


def _positions(root: Value) -> dict[Value, tuple[float, float]]:
    """Centre ``(x, y)`` of every value box; each layer a column centred on ``y = 0``."""
    depth = _layers(root)
    deepest = max(depth.values())
    columns: dict[int, list[Value]] = {}
    for node in graph_nodes(root):  # breadth-first, so the order within a layer is stable
        columns.setdefault(depth[node], []).append(node)
    positions = {}
    for layer, column in columns.items():
        top = (len(column) - 1) * _ROW / 2
        for i, node in enumerate(column):
            positions[node] = ((deepest - layer) * _COLUMN, top - i * _ROW)
    return positions


def _route(start, end, positions) -> list[tuple[float, float]]:
    """Points of an edge from ``start`` to ``end`` that pass no box on the way.

    An edge that skips columns would cut straight through any box in its way; in each
    such column it is routed instead through the gap between boxes (or above or below the
    column) nearest to the straight line.
    """
    points = [start]
    columns: dict[float, list[float]] = {}
    for x, y in positions.values():
        if start[0] < x < end[0]:
            columns.setdefault(x, []).append(y)
    for x in sorted(columns):
        ys = sorted(columns[x])
        line_y = start[1] + (end[1] - start[1]) * (x - start[0]) / (end[0] - start[0])
        if all(abs(line_y - y) > _BOX_H / 2 + 0.1 for y in ys):
            continue  # the straight line passes this column between its boxes
        gaps = [ys[0] - _ROW / 2, ys[-1] + _ROW / 2]
        gaps += [(low + high) / 2 for low, high in zip(ys, ys[1:], strict=False)]
        gap = min(gaps, key=lambda g: abs(g - line_y))
        left = x - _BOX_W / 2 - 0.3 - 2 * _OP_R - 0.15  # clear of the operation circle
        points += [(left, gap), (x + _BOX_W / 2 + 0.15, gap)]
    return points + [end]


def _box_text(node: Value, show_grad: bool, decimals: int) -> str:
    fields = [node.label] if node.label else []
    fields.append(f"data {node.data:.{decimals}f}")
    if show_grad:
        fields.append(f"grad {node.grad:.{decimals}f}")
    return " | ".join(fields)


def _node_texts(node: Value, show_grad: bool, show_local_grads: bool,
                decimals: int) -> list[str]:
    """What :func:`draw` writes for one node, in order: its box, its operation, and the
    local gradient on each of its input edges."""
    texts = [_box_text(node, show_grad, decimals)]
    if node.op:
        texts.append(node.op)
        if show_local_grads:
            texts += [f"{local:.3g}" for local in node.local_grads]
    return texts


def graph_texts(value: Value, *, show_grad: bool = True, show_local_grads: bool = False,
                decimals: int = 4) -> list[str]:
    """Every text :func:`draw` writes (its ``ax.texts`` that are not arrows), in order.

    A panel that drew one graph can show another of the same :func:`graph_shape` by
    setting these texts, without drawing the boxes and arrows again.

    Examples
    --------
    >>> x = Value(3.0, label="x")
    >>> y = x * 2; y.backward()
    >>> graph_texts(y, show_local_grads=True, decimals=1)
    ['data 6.0 | grad 1.0', '*', '2', '3', 'x | data 3.0 | grad 2.0', 'data 2.0 | grad 3.0']
    """
    return [text for node in _positions(value)
            for text in _node_texts(node, show_grad, show_local_grads, decimals)]


def graph_shape(value: Value) -> tuple:
    """What the boxes, circles and arrows of :func:`draw` depend on: every node's place,
    whether it has an operation, and where its inputs are.  Hashable.

    Examples
    --------
    >>> a, b = Value(1.0), Value(2.0)
    >>> graph_shape(a * b) == graph_shape(Value(5.0) + Value(-1.0))  # the op is a text
    True
    >>> graph_shape(a * b) == graph_shape(a * b * b)
    False
    """
    positions = _positions(value)
    return tuple((*xy, bool(node.op), tuple(positions[child] for child in node.children))
                 for node, xy in positions.items())


def draw(value: Value, *, ax=None, show_grad: bool = True, show_local_grads: bool = False,
         decimals: int = 4, fontsize: float = 8):
    """Draw the graph that computed ``value``: one box per value, one circle per operation.

    Parameters
    ----------
    value : Value
        The output node; everything it depends on is drawn.
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the graph is made if omitted.
    show_grad : bool
        Show each node's ``.grad`` (call ``value.backward()`` first).
    show_local_grads : bool
        Write the local gradient ``d op / d input`` on each input edge.
    decimals : int
        Digits after the point of ``data`` and ``grad`` in the boxes.
    fontsize : float
        Points of the box text; operations and local gradients are a little smaller.
        The boxes fit four decimals at 8 pt, or two at 12 pt.

    Returns
    -------
    matplotlib.figure.Figure
        ``ax.patches`` holds exactly one patch per value and one per operation.

    Examples
    --------
    >>> a, b = Value(2.0, label="a"), Value(1.0, label="b")
    >>> e = (a + b) * (b + 1); e.backward()
    >>> fig = draw(e)
    >>> len(fig.axes[0].patches)  # 6 values (a, b, 1, a+b, b+1, e) and 3 operations
    9
    """
    positions = _positions(value)
    if ax is None:
        xs = [x for x, _ in positions.values()]
        ys = [y for _, y in positions.values()]
        width = max(xs) - min(xs) + _BOX_W + 0.4
        height = max(ys) - min(ys) + _BOX_H + 0.6
        ax = Figure(figsize=(min(width, 40.0), min(height, 40.0))).add_subplot()
    for node, (x, y) in positions.items():
        box, *texts = _node_texts(node, show_grad, show_local_grads, decimals)
        ax.add_patch(FancyBboxPatch((x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H,
                                    boxstyle="round,pad=0.02", **_VALUE_STYLE))
        ax.text(x, y, box, ha="center", va="center", fontsize=fontsize)
        if not node.op:
            continue
        op, *locals_ = texts
        op_x = x - _BOX_W / 2 - 0.3 - _OP_R  # the operation circle, left of its value
        ax.add_patch(Circle((op_x, y), _OP_R, **_OP_STYLE))
        ax.text(op_x, y, op, ha="center", va="center", fontsize=min(fontsize, 10))
        ax.annotate("", xy=(x - _BOX_W / 2, y), xytext=(op_x + _OP_R, y), arrowprops=_ARROW)
        for i, child in enumerate(node.children):
            cx, cy = positions[child]
            path = _route((cx + _BOX_W / 2, cy), (op_x - _OP_R, y), positions)
            *_, start, end = path  # the arrow head and the label sit on the last stretch
            if len(path) > 2:
                ax.plot(*zip(*path[:-1], strict=True), color=_ARROW["color"],
                        linewidth=_ARROW["linewidth"])
            ax.annotate("", xy=end, xytext=start, arrowprops=_ARROW)
            if show_local_grads:
                ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, locals_[i],
                        ha="center", va="bottom", fontsize=min(fontsize, 10) - 1,
                        color="#8a3b12")
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.margins(0.02)
    ax.set_axis_off()
    return ax.figure


def to_svg(value: Value, *, show_grad: bool = True, show_local_grads: bool = False) -> str:
    """The drawing of :func:`draw` as an SVG string (starts with ``<svg``), e.g. for HTML.

    Examples
    --------
    >>> to_svg(Value(1.0, label="x") * 2).startswith("<svg")
    True
    """
    figure = draw(value, show_grad=show_grad, show_local_grads=show_local_grads)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]
