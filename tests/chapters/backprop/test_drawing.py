"""Drawing a scalar autograd graph (dlcourse.chapters.backprop.drawing): boxes, circles, layout."""

import numpy as np
from matplotlib.figure import Figure

from dlcourse.autograd import Value, diamond_chain, forward_table, graph_nodes
from dlcourse.chapters.backprop.drawing import draw, to_svg


def test_draw_returns_a_figure_with_one_patch_per_value_and_per_operation():
    a, b = Value(2.0, label="a"), Value(1.0, label="b")
    e = (a + b) * (b + 1)
    e.backward()
    fig = draw(e)
    assert isinstance(fig, Figure)
    nodes = graph_nodes(e)
    ops = [n for n in nodes if n.op]
    assert len(nodes) == 6 and len(ops) == 3
    assert len(fig.axes[0].patches) == len(nodes) + len(ops)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "a | data 2.0000 | grad 2.0000" in texts
    assert "b | data 1.0000 | grad 5.0000" in texts


def test_draw_into_given_axes_and_hide_gradients():
    fig = Figure()
    ax = fig.add_subplot()
    x = Value(2.0, label="x")
    assert draw((x * x).relu(), ax=ax, show_grad=False, show_local_grads=True) is fig
    texts = [t.get_text() for t in ax.texts]
    assert "x | data 2.0000" in texts
    assert texts.count("2") == 2  # the local gradient on each of the two x -> * edges
    assert not any("grad" in t for t in texts)


def test_draw_places_the_output_rightmost_and_inputs_leftmost():
    out, x = diamond_chain(2)
    out.label = "out"
    ax = draw(out).axes[0]
    x_of = {t.get_text().split(" |")[0]: t.get_position()[0] for t in ax.texts}
    assert x_of["x"] == min(x_of.values())
    assert x_of["out"] == max(x_of.values())


def test_to_svg_returns_svg_markup():
    svg = to_svg(Value(2.0, label="a") * 3)
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")


def test_a_single_leaf_can_be_drawn_and_tabulated():
    x = Value(4.0, label="x")
    x.backward()
    assert x.grad == 1.0
    assert len(draw(x).axes[0].patches) == 1
    assert forward_table(x) == [("x", "", 4.0, 1.0)]
    assert to_svg(x).startswith("<svg")


def test_an_edge_that_skips_a_column_is_routed_around_the_boxes_in_it():
    from dlcourse.chapters.backprop.drawing import _BOX_H, _BOX_W, _OP_R, _positions, _route
    a, b, c, d = (Value(v, label=n) for n, v in zip("abcd", (6.0, 7.0, 8.0, 5.0), strict=True))
    f = (a * b + d) * (b + c)  # b feeds a product two columns away and a sum one column away
    positions = _positions(f)
    boxes = list(positions.values())
    for node, (x, y) in positions.items():
        end = (x - _BOX_W / 2 - 0.3 - 2 * _OP_R, y)
        for child in node.children:
            cx, cy = positions[child]
            path = _route((cx + _BOX_W / 2, cy), end, positions)
            for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
                for t in np.linspace(0.0, 1.0, 50):
                    px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
                    assert not any(abs(px - bx) < _BOX_W / 2 - 1e-9 and abs(py - by) < _BOX_H / 2
                                   for bx, by in boxes), (child.label, node.op)
