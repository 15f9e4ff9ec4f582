"""The scalar autograd engine against torch autograd, and the path-counting contrast."""

import math

import numpy as np
import pytest
import torch

from dlcourse.autograd import (
    Value,
    diamond_chain,
    forward_table,
    graph_edges,
    graph_nodes,
    reverse_mode_edge_visits,
    sum_over_paths_gradient,
    topological_order,
)

RNG = np.random.default_rng(0)


def _torch_grads(f, *xs):
    """Value and gradients of ``f`` at ``xs`` by torch autograd, in float64."""
    ts = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*ts)
    out.backward()
    return out.item(), [t.grad.item() for t in ts]


def _ours(f, *xs):
    vs = [Value(float(x)) for x in xs]
    out = f(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow_value": lambda a, b: a**b,  # a > 0 below
}

UNARY = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "relu": lambda a: a.relu(),
    "sigmoid": lambda a: a.sigmoid(),
    "pow_3": lambda a: a**3,
    "pow_half": lambda a: a**0.5,
    "pow_minus_2": lambda a: a**-2,
    "radd": lambda a: 2.5 + a,
    "rsub": lambda a: 2.5 - a,
    "rmul": lambda a: 2.5 * a,
    "rdiv": lambda a: 2.5 / a,
    "rpow": lambda a: 2.5**a,
}

POSITIVE_ONLY = {"log", "pow_half"}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_value_and_gradient_match_torch(name):
    f = UNARY[name]
    for _ in range(20):
        x = RNG.uniform(0.1, 3.0) if name in POSITIVE_ONLY else RNG.uniform(-3.0, 3.0)
        want_out, want_grads = _torch_grads(f, x)
        out, grads = _ours(f, x)
        assert out == pytest.approx(want_out, rel=1e-12)
        assert grads == pytest.approx(want_grads, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_value_and_gradient_match_torch(name):
    f = BINARY[name]
    for _ in range(20):
        a, b = RNG.uniform(-3.0, 3.0, size=2)
        if name == "pow_value":
            a = abs(a) + 0.1
        want_out, want_grads = _torch_grads(f, a, b)
        out, grads = _ours(f, a, b)
        assert out == pytest.approx(want_out, rel=1e-12)
        assert grads == pytest.approx(want_grads, rel=1e-10, abs=1e-14)


def test_composite_expression_matches_torch():
    def f(x, y, z):
        h = (x * y + z).tanh() * 2 - (x / (1 + z * z)).sigmoid()
        return (h * h + (y * 0.3).exp()).log() + (x - y).relu() ** 2

    for _ in range(20):
        xs = RNG.uniform(-2.0, 2.0, size=3)
        want_out, want_grads = _torch_grads(f, *xs)
        out, grads = _ours(f, *xs)
        assert out == pytest.approx(want_out, rel=1e-12)
        assert grads == pytest.approx(want_grads, rel=1e-10, abs=1e-14)


def test_relu_gradient_at_zero_is_zero_like_torch():
    assert _ours(lambda a: a.relu(), 0.0)[1] == _torch_grads(lambda a: a.relu(), 0.0)[1] == [0.0]


def test_sigmoid_of_large_inputs_does_not_overflow():
    assert _ours(lambda a: a.sigmoid(), -800.0) == (0.0, [0.0])
    assert _ours(lambda a: a.sigmoid(), 800.0) == (1.0, [0.0])


def test_e_of_a_b_at_2_1_has_de_da_2_and_de_db_5():
    # The worked graph of the backprop notes: e(a, b) = (a + b)(b + 1) at (2, 1).
    # By hand: c = a + b = 3, d = b + 1 = 2, e = c d = 6;
    # de/da = d = 2;  de/db = d * 1 + c * 1 = 2 + 3 = 5.
    e_fn = lambda a, b: (a + b) * (b + 1)  # noqa: E731
    out, grads = _ours(e_fn, 2.0, 1.0)
    want_out, want_grads = _torch_grads(e_fn, 2.0, 1.0)
    assert (out, grads) == (6.0, [2.0, 5.0])
    assert (want_out, want_grads) == (6.0, [2.0, 5.0])


def test_a_value_used_twice_gets_the_sum_of_both_gradients():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0  # two edges, each contributing x
    y = Value(3.0)
    (y + y).backward()
    assert y.grad == 2.0
    z = Value(1.5)
    out = z * z.exp() + z
    out.backward()
    assert z.grad == pytest.approx(_torch_grads(lambda t: t * t.exp() + t, 1.5)[1][0])


def test_leaf_gradients_accumulate_over_backward_calls_until_zero_grad_like_torch():
    a, b = Value(2.0), Value(-1.0)
    out = (a * b).tanh() + a
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == pytest.approx((2 * first[0], 2 * first[1]))

    ta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    tout = (ta * tb).tanh() + ta
    tout.backward(retain_graph=True)
    tout.backward()
    assert (a.grad, b.grad) == pytest.approx((ta.grad.item(), tb.grad.item()))

    out.zero_grad()
    assert all(node.grad == 0.0 for node in topological_order(out))
    out.backward()
    assert (a.grad, b.grad) == pytest.approx(first)


def test_backward_through_a_chain_of_depth_5000_does_not_hit_the_recursion_limit():
    x = Value(0.1)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000)
    assert len(topological_order(y)) == 1 + 3 * 5000 + 5000  # x, 2 consts + 2 ops per step


def test_children_are_an_ordered_tuple():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a - b
    assert isinstance(c.children, tuple)
    assert c.children[0] is a


def test_topological_order_puts_every_node_after_its_children():
    out, x = diamond_chain(4)
    order = topological_order(out)
    position = {node: i for i, node in enumerate(order)}
    assert order[0] is x and order[-1] is out
    assert len(position) == len(order)
    assert all(position[c] < position[n] for n in order for c in n.children)
    assert set(graph_nodes(out)) == set(order)


def test_graph_edges_counts_each_use_once():
    x = Value(2.0)
    y = x * x + x
    assert len(graph_edges(y)) == reverse_mode_edge_visits(y) == 4


def test_forward_table_lists_label_op_data_grad_in_forward_order():
    a, b = Value(2.0, label="a"), Value(1.0, label="b")
    c = a + b
    c.label = "c"
    d = b + 1
    d.label = "d"
    e = c * d
    e.label = "e"
    e.backward()
    rows = {row.label: row for row in forward_table(e) if row.label}
    assert rows["e"] == ("e", "*", 6.0, 1.0)
    assert rows["a"] == ("a", "", 2.0, 2.0)
    assert rows["b"].grad == 5.0
    assert forward_table(e)[-1].label == "e"


def test_sum_over_paths_equals_the_reverse_mode_gradient_for_every_input():
    def f(x, y, z):
        u = x * y + z
        v = (u * x).tanh() + u.sigmoid() * y
        return v * u + (x / z)

    xs = [Value(v) for v in RNG.uniform(0.5, 2.0, size=3)]
    out = f(*xs)
    out.backward()
    for v in xs:
        gradient, visits = sum_over_paths_gradient(out, v)
        assert gradient == pytest.approx(v.grad, rel=1e-12)
        assert visits > 0


def test_e_of_a_b_sum_over_paths_gives_2_and_5():
    a, b = Value(2.0), Value(1.0)
    e = (a + b) * (b + 1)
    assert sum_over_paths_gradient(e, a) == (2.0, 2)  # one path a -> c -> e
    assert sum_over_paths_gradient(e, b) == (5.0, 4)  # b -> c -> e and b -> d -> e


def test_sum_over_paths_of_an_unrelated_node_is_zero_and_of_itself_is_one():
    a, b = Value(2.0), Value(3.0)
    out = a * 2
    assert sum_over_paths_gradient(out, b) == (0.0, 0)
    assert sum_over_paths_gradient(out, out) == (1.0, 0)


@pytest.mark.parametrize("depth", [1, 2, 5, 10])
def test_path_counting_visits_grow_like_2_to_the_depth_but_reverse_mode_is_linear(depth):
    out, x = diamond_chain(depth)
    out.backward()
    gradient, visits = sum_over_paths_gradient(out, x)
    assert gradient == pytest.approx(x.grad, rel=1e-12)
    assert visits == 2 * depth * 2**depth  # 2**depth paths of 2 * depth edges each
    assert reverse_mode_edge_visits(out) == 4 * depth


def test_diamond_chain_gradient_matches_torch():
    def chain(x):
        for _ in range(6):
            x = x.tanh() + x.sigmoid()
        return x

    out, x = diamond_chain(6)
    out.backward()
    want_out, want_grads = _torch_grads(chain, 0.5)
    assert out.data == pytest.approx(want_out, rel=1e-12)
    assert x.grad == pytest.approx(want_grads[0], rel=1e-12)


def test_value_rejects_non_numbers_and_undefined_operations():
    with pytest.raises(TypeError, match="real number"):
        Value("3")
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match="not a real number"):
        Value(-2.0) ** 0.5
    with pytest.raises(ValueError, match="no finite derivative"):
        Value(0.0) ** -1
    with pytest.raises(ValueError, match="2 children but 1"):
        Value(1.0, children=(Value(1.0), Value(2.0)), local_grads=(1.0,))


def test_integer_powers_of_negative_numbers_work():
    out, grads = _ours(lambda a: a**3, -2.0)
    assert (out, grads) == (-8.0, [12.0])
    assert math.isclose(_ours(lambda a: a**0, 0.0)[1][0], 0.0)
