"""Chapter 03: worked graphs, the student-number graph, finite differences, matrix backprop."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlcourse.autograd import Value, graph_edges
from dlcourse.chapters.backprop.conv import (
    conv_input_grad_by_flipped_kernel,
    flip_kernel,
    flipped_kernel_demo,
)
from dlcourse.chapters.backprop.layers import (
    compare_two_layer_gradients,
    example_batch,
    gradient_check_table,
    init_two_layer,
    two_layer_backward,
    two_layer_forward,
    verdict,
)
from dlcourse.chapters.backprop.numeric import (
    finite_difference_error,
    finite_difference_error_model,
    forward_difference_gradient,
    gradient_cost,
)
from dlcourse.chapters.backprop.plots import (
    plot_edge_visits,
    plot_finite_difference_error,
    plot_flipped_kernel,
    plot_gradient_cost,
)
from dlcourse.chapters.backprop.student import student_digits, student_graph
from dlcourse.chapters.backprop.worked import (
    backward_overwriting,
    e_graph,
    edge_visit_table,
    leaf_gradients,
    neuron_graph,
)
from dlcourse.gradcheck import check_gradient, numerical_gradient
from dlcourse.nn import functional as F

torch.set_num_threads(1)
RNG = np.random.default_rng(2024)


def _torch_grads(fn, *values):
    """Value and gradients of a scalar torch function at ``values`` (float64)."""
    leaves = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in values]
    out = fn(*leaves)
    out.backward()
    return out.item(), [leaf.grad.item() for leaf in leaves]


# ---- the worked graph e = (a + b)(b + 1) ------------------------------------------------------

def test_e_graph_at_2_1_gives_6_and_gradients_2_and_5():
    # The notes' worked example: e_b(2, 1) = 2 + 3 = 5; e = 3 * 2 = 6, de/da = b + 1 = 2.
    g = e_graph(2, 1)
    assert (g.values["e"], g.grads["a"], g.grads["b"]) == (6.0, 2.0, 5.0)
    assert (g.values["c"], g.values["d"], g.grads["c"], g.grads["d"]) == (3.0, 2.0, 2.0, 3.0)


@pytest.mark.parametrize("a, b", RNG.normal(size=(5, 2)).tolist())
def test_e_graph_by_hand_matches_autograd_and_torch(a, b):
    g = e_graph(a, b)
    value, (da, db) = _torch_grads(lambda a, b: (a + b) * (b + 1), a, b)
    assert g.values["e"] == pytest.approx(value) == g.value.data
    assert g.grads["a"] == pytest.approx(da) == leaf_gradients(g.value)["a"]
    assert g.grads["b"] == pytest.approx(db) == leaf_gradients(g.value)["b"]


def test_e_graph_table_shows_b_as_a_sum_of_two_upstream_times_local_terms():
    table = e_graph(2, 1).table()
    assert "= 2·1 (via c) + 3·1 (via d)" in table
    assert "seed: de/de = 1" in table  # the upstream gradient at the output is 1
    assert table.splitlines()[1].startswith("e ")  # backward order: the output first


def test_e_graph_rejects_non_numbers():
    with pytest.raises(TypeError, match="a must be a real number"):
        e_graph("2", 1)
    with pytest.raises(ValueError, match="b must be finite"):
        e_graph(2, float("inf"))


# ---- the accumulation bug ---------------------------------------------------------------------

def test_overwriting_gradients_loses_a_term_when_a_node_is_used_twice():
    g = e_graph(2, 1)
    assert leaf_gradients(g.value) == {"a": 2.0, "b": 5.0}
    wrong = leaf_gradients(g.value, backward_overwriting)
    assert wrong["a"] == 2.0 and wrong["b"] in (2.0, 3.0)  # one of the two terms only

    x = Value(3.0, label="x")
    backward_overwriting(x * x)
    assert x.grad == 3.0  # instead of 2x = 6


def test_overwriting_is_harmless_on_a_graph_where_every_node_is_used_once():
    x, w, b = Value(1.5, label="x"), Value(-2.0, label="w"), Value(0.3, label="b")
    out = (x * w + b).tanh()
    assert leaf_gradients(out, backward_overwriting) == leaf_gradients(out)


# ---- the neuron -------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_neuron_graph_matches_torch(activation):
    x, w, b = 1.3, -0.7, 0.4
    o = neuron_graph(x, w, b, activation=activation)
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[activation]
    value, grads = _torch_grads(lambda x, w, b: act(w * x + b), x, w, b)
    got = leaf_gradients(o)
    assert o.data == pytest.approx(value)
    assert [got["x"], got["w"], got["b"]] == pytest.approx(grads)


def test_neuron_graph_rejects_unknown_activation():
    with pytest.raises(ValueError, match="activation must be"):
        neuron_graph(activation="softplus")


# ---- the student-number graph -----------------------------------------------------------------

def test_student_digits_go_in_from_right_to_left():
    # The notes: for ID 0123456 the rightmost node gets 6, the one left of it 5, and so on.
    assert student_digits("0123456") == {"a": 4.0, "b": 5.0, "c": 6.0, "d": 5.0}


@pytest.mark.parametrize("student_id, value, gradient", [
    # The notes' two worked answers, gradient in their order (df/dd, df/da, df/db, df/dc);
    # f = (a·b + 5)(b + c): (8·0 + 5)(0 + 1) = 5 and (1·3 + 5)(3 + 6) = 72.
    ("... 8 0 1", 5.0, (1.0, 0.0, 13.0, 5.0)),
    ("...136", 72.0, (9.0, 27.0, 17.0, 8.0)),
])
def test_student_graph_reproduces_the_notes_examples(student_id, value, gradient):
    g = student_graph(student_id)
    assert g.value == value and g.gradient == gradient


def test_student_graph_for_12345678_by_the_formula():
    # a, b, c, d = 6, 7, 8, 5: f = 47 * 15 = 705; df/dd = b + c = 15, df/da = b(b + c) = 105,
    # df/db = a(b + c) + (ab + d) = 90 + 47 = 137, df/dc = ab + d = 47.
    g = student_graph("12345678")
    assert g.value == 705.0 and g.gradient == (15.0, 105.0, 137.0, 47.0)
    assert "gradient (df/dd, df/da, df/db, df/dc) = (15, 105, 137, 47)" in str(g)


@pytest.mark.parametrize("seed", range(4))
def test_student_graph_three_methods_agree_with_torch(seed):
    digits = np.random.default_rng(seed).integers(0, 10, size=8)
    g = student_graph("".join(map(str, digits)))
    a, b, c = map(float, digits[-3:])
    value, grads = _torch_grads(lambda a, b, c, d: (a * b + d) * (b + c), a, b, c, 5.0)
    assert g.value == pytest.approx(value)
    for name, expected in zip("abcd", grads, strict=True):
        assert g.by_hand.grads[name] == pytest.approx(expected)
        assert g.autograd[name] == pytest.approx(expected)
        assert g.numeric[name] == pytest.approx(expected, abs=1e-6)
    assert g.max_error < 1e-8


def test_student_graph_node_table_lists_every_node_and_both_uses_of_b():
    table = student_graph("12345678").by_hand.table()
    assert [line.split()[0] for line in table.splitlines()[1:]] == list("frqpdcba")
    assert "47·1 (via r) + 15·6 (via p)" in table


@pytest.mark.parametrize("bad, error, match", [
    ("12", ValueError, "at least 3 digits"),
    ("12a45", ValueError, "'a'"),
    (12345, TypeError, "string of digits"),
])
def test_student_graph_rejects_bad_ids(bad, error, match):
    with pytest.raises(error, match=match):
        student_graph(bad)


# ---- sum over paths vs reverse mode -----------------------------------------------------------

def test_edge_visits_grow_exponentially_for_paths_and_linearly_for_reverse_mode():
    for row in edge_visit_table(range(1, 11)):
        d = row.depth
        assert row.paths == 2**d and row.sum_over_paths == 2 * d * 2**d
        assert row.reverse_mode == 4 * d and row.same_gradient


def test_reverse_mode_visits_each_edge_of_the_e_graph_once():
    g = e_graph(2, 1)
    assert edge_visit_table([3])[0].reverse_mode == 12
    assert len(graph_edges(g.value)) == 6


# ---- finite differences: accuracy and cost ----------------------------------------------------

def test_forward_difference_truncation_error_is_about_eps_over_2_times_f_second():
    eps = np.array([1e-2, 1e-3, 1e-4])
    err = finite_difference_error(eps, scheme="forward")
    assert err == pytest.approx(eps / 2 * np.sin(1.0), rel=0.01)


def test_central_differences_beat_forward_ones_and_tiny_eps_is_bad():
    eps = np.logspace(-15, -1, 29)
    fwd = finite_difference_error(eps, scheme="forward")
    cen = finite_difference_error(eps, scheme="central")
    assert cen.min() < fwd.min() / 10
    assert fwd[0] > 100 * fwd.min() and cen[0] > 100 * cen.min()  # round-off at eps = 1e-15
    assert 1e-10 < eps[np.argmin(fwd)] < 1e-6 and 1e-8 < eps[np.argmin(cen)] < 1e-3


def test_float32_differences_are_far_less_accurate_than_float64():
    eps = np.logspace(-10, -1, 37)
    best32 = finite_difference_error(eps, dtype=np.float32).min()
    best64 = finite_difference_error(eps, dtype=np.float64).min()
    assert best32 > 1e4 * best64


def test_error_model_matches_measurement_where_truncation_dominates():
    eps = np.array([1e-2, 1e-3])
    trunc, roff = finite_difference_error_model(eps, scheme="central")
    assert np.all(roff < trunc / 1e3)
    assert finite_difference_error(eps) == pytest.approx(trunc, rel=0.01)


def test_finite_difference_error_rejects_bad_arguments():
    with pytest.raises(ValueError, match="scheme"):
        finite_difference_error([1e-3], scheme="backward")
    with pytest.raises(ValueError, match="positive"):
        finite_difference_error([0.0])


def test_forward_difference_gradient_uses_n_plus_1_evaluations():
    calls = []
    x = RNG.normal(size=(2, 3))

    def f(v):
        calls.append(1)
        return (np.sin(v) * v).sum()

    grad = forward_difference_gradient(f, x, eps=1e-7)
    assert len(calls) == x.size + 1
    assert check_gradient(lambda v: np.sin(v) * v, x, grad, tolerance=1e-5).ok
    with pytest.raises(ValueError, match="C-contiguous"):
        forward_difference_gradient(f, np.ones((3, 2)).T)


def test_gradient_cost_counts_2n_evaluations_numerically_and_one_pass_each_way_by_backprop():
    rows = gradient_cost([3, 50])
    assert [(r.forward_difference_evals, r.central_difference_evals) for r in rows] == [
        (4, 6), (51, 100)]
    assert all(r.backprop_forward_passes == r.backprop_backward_passes == 1 for r in rows)
    assert all(r.relative_error < 1e-5 for r in rows)


# ---- matrix-form backprop and gradient checks -------------------------------------------------

def test_two_layer_forward_loss_matches_torch():
    params = init_two_layer(4, 6, 3, seed=3)
    x, y = example_batch(10, 4, 3, seed=4)
    loss, _ = two_layer_forward(x, y, **params)
    t = {k: torch.tensor(v) for k, v in params.items()}
    logits = torch.relu(torch.tensor(x) @ t["w1"].T + t["b1"]) @ t["w2"].T + t["b2"]
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
    assert float(loss) == pytest.approx(expected.item(), rel=1e-12)


def test_two_layer_backward_matches_the_engine_and_torch():
    for seed in range(3):
        rows = compare_two_layer_gradients(batch=7, in_features=3, hidden=6, classes=4,
                                           seed=seed)
        assert [r.name for r in rows] == ["dL/dx", "dL/dw1", "dL/db1", "dL/dw2", "dL/db2"]
        assert all(err < 1e-10 for r in rows for err in r.errors.values())


def test_two_layer_backward_passes_a_numerical_gradient_check():
    params = init_two_layer(3, 4, 3, seed=5)
    x, y = example_batch(5, 3, 3, seed=6)
    _, cache = two_layer_forward(x, y, **params)
    grads = two_layer_backward(cache)
    for name in ("w1", "b1", "w2", "b2"):
        def loss(v, name=name):
            return two_layer_forward(x, y, **{**params, name: v})[0]
        assert check_gradient(loss, params[name], grads[name]).ok, name
    numeric_dx = numerical_gradient(lambda v: two_layer_forward(v, y, **params)[0], x)
    assert np.allclose(grads["x"], numeric_dx, atol=1e-7)


def test_softmax_cross_entropy_gradient_is_p_minus_onehot_over_n():
    logits, y = RNG.normal(size=(6, 4)), np.array([0, 3, 1, 1, 2, 0])
    tz = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(tz, torch.tensor(y)).backward()
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(tz.grad.numpy(), (p - np.eye(4)[y]) / 6)


def test_gradient_check_table_passes_every_layer_and_catches_the_missing_1_over_n():
    rows = gradient_check_table()
    verdicts = [verdict(r.errors["numeric"]) for r in rows]
    assert verdicts[:-1] == ["< 1e-7: OK"] * 5 and verdicts[-1] == ">= 1e-2: WRONG"
    # A gradient N = 4 times too big: |4g - g| / (|4g| + |g|) = 3 / 5 in every entry.
    assert rows[-1].errors["numeric"] == pytest.approx(0.6, abs=1e-6)


def test_verdict_thresholds():
    assert [verdict(e) for e in (1e-9, 1e-6, 1e-3, 0.5)] == [
        "< 1e-7: OK", "< 1e-4: suspicious (kink?)", "< 1e-2: probably wrong", ">= 1e-2: WRONG"]


# ---- backprop through a convolution = convolution with the flipped kernel ---------------------

@pytest.mark.parametrize("kernel, padding", [((3, 3), 0), ((3, 2), (1, 0)), ((2, 4), (1, 3)),
                                             ((1, 1), 0), ((3, 3), 2)])
def test_conv_input_gradient_is_a_full_convolution_with_the_flipped_kernel(kernel, padding):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 3, 6, 7))
    w = rng.normal(size=(4, 3, *kernel))
    dout = rng.normal(size=F.conv2d(x, w, padding=padding).shape)
    dx = conv_input_grad_by_flipped_kernel(dout, w, padding=padding)
    assert np.allclose(dx, F.conv2d_backward(dout, x, w, padding=padding)[0])
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.conv2d(tx, torch.tensor(w), padding=padding).backward(torch.tensor(dout))
    assert np.allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_flip_kernel_turns_180_degrees_and_swaps_channels():
    w = np.arange(24.0).reshape(2, 3, 2, 2)
    flipped = flip_kernel(w)
    assert flipped.shape == (3, 2, 2, 2) and flipped.flags.c_contiguous
    assert flipped[1, 0].tolist() == np.rot90(w[0, 1], 2).tolist()


def test_flipped_kernel_demo_by_hand():
    demo = flipped_kernel_demo()
    # dout = [[1..3], [4..6], [7..9]], w = [[1, 2], [3, 4]]: dx[0,0] = 1·1,
    # dx[1,1] = 1·4 + 2·3 + 4·2 + 5·1 = 23, dx[3,3] = 9·4 = 36.
    assert (demo.dx_backward[0, 0], demo.dx_backward[1, 1], demo.dx_backward[3, 3]) == (
        1.0, 23.0, 36.0)
    assert np.array_equal(demo.dx_backward, demo.dx_flipped_conv)
    assert "equal: True" in str(demo)


def test_flipped_conv_keeps_float32_and_refuses_bad_arguments():
    w = np.ones((2, 3, 3, 3), dtype=np.float32)
    dout = np.ones((1, 2, 4, 4), dtype=np.float32)
    assert conv_input_grad_by_flipped_kernel(dout, w).dtype == np.float32
    with pytest.raises(ValueError, match="padding"):
        conv_input_grad_by_flipped_kernel(dout, w, padding=3)
    with pytest.raises(ValueError, match="dout has 2 channels but w makes 4"):
        conv_input_grad_by_flipped_kernel(dout, np.ones((4, 3, 3, 3), dtype=np.float32))


# ---- plots ------------------------------------------------------------------------------------

def test_plots_have_titles_labels_and_legends():
    for plot, data in [(plot_finite_difference_error, None),
                       (plot_edge_visits, edge_visit_table(range(1, 5))),
                       (plot_gradient_cost, gradient_cost([2, 20]))]:
        ax = Figure().add_subplot()
        ax = plot(ax) if data is None else plot(ax, data)
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        assert ax.get_legend() is not None
    fig = plot_flipped_kernel(Figure(), flipped_kernel_demo())
    assert len(fig.axes) == 5 and all(ax.get_title() for ax in fig.axes)


def test_matrix_backprop_and_flipped_conv_run_on_cupy_arrays(cupy):
    params = init_two_layer(4, 5, 3, seed=0)
    x, y = example_batch(6, 4, 3, seed=1)
    _, cache = two_layer_forward(cupy.asarray(x), cupy.asarray(y),
                                 **{k: cupy.asarray(v) for k, v in params.items()})
    grads = two_layer_backward(cache)
    _, cpu_cache = two_layer_forward(x, y, **params)
    for name, grad in two_layer_backward(cpu_cache).items():
        assert isinstance(grads[name], cupy.ndarray)
        assert np.allclose(cupy.asnumpy(grads[name]), grad)
    w, dout = np.ones((2, 3, 3, 3)), np.ones((1, 2, 4, 4))
    dx = conv_input_grad_by_flipped_kernel(cupy.asarray(dout), cupy.asarray(w))
    assert np.allclose(cupy.asnumpy(dx), conv_input_grad_by_flipped_kernel(dout, w))
