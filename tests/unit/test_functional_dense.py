"""Dense ops of dlcourse.nn.functional (activations, linear, losses, dropout).

Oracles: torch autograd in float64 for values and gradients, central differences
(dlcourse.gradcheck) for the backward functions, and closed forms written out here.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from dlcourse.backend import default_rng
from dlcourse.gradcheck import check_gradient, relative_error
from dlcourse.nn import functional as F

torch.set_num_threads(1)

TOL = 1e-6
SHAPES = [(7,), (4, 5), (2, 3, 4)]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def torch_value_and_grad(fn, x, dout):
    """fn(x) and d(sum(fn(x) * dout))/dx, by torch autograd in float64."""
    t = torch.tensor(x, requires_grad=True)
    out = fn(t)
    out.backward(torch.as_tensor(dout))
    return out.detach().numpy(), t.grad.numpy()


def with_zeros(x):
    """x with a few exact zeros, to pin down the convention at a kink (torch's)."""
    x = x.copy()
    x.reshape(-1)[::3] = 0.0
    return x


def away_from_zero(x):
    """x pushed away from 0, so that central differences never straddle a kink."""
    return x + np.where(x >= 0, 0.1, -0.1)


# --- activations -------------------------------------------------------------------------

# name -> (ours, our backward, torch's)
ACTIVATIONS = {
    "relu": (F.relu, F.relu_backward, torch.relu),
    "leaky_relu": (F.leaky_relu, F.leaky_relu_backward, TF.leaky_relu),
    "leaky_relu(0.2)": (
        lambda x: F.leaky_relu(x, 0.2),
        lambda d, x: F.leaky_relu_backward(d, x, 0.2),
        lambda t: TF.leaky_relu(t, 0.2),
    ),
    "sigmoid": (F.sigmoid, F.sigmoid_backward, torch.sigmoid),
    "tanh": (F.tanh, F.tanh_backward, torch.tanh),
    "elu": (F.elu, F.elu_backward, TF.elu),
    "elu(0.5)": (
        lambda x: F.elu(x, 0.5),
        lambda d, x: F.elu_backward(d, x, 0.5),
        lambda t: TF.elu(t, 0.5),
    ),
    "selu": (F.selu, F.selu_backward, TF.selu),
    "softmax": (F.softmax, F.softmax_backward, lambda t: torch.softmax(t, -1)),
    "softmax(dim=0)": (
        lambda x: F.softmax(x, 0),
        lambda d, x: F.softmax_backward(d, x, 0),
        lambda t: torch.softmax(t, 0),
    ),
    "log_softmax": (F.log_softmax, F.log_softmax_backward, lambda t: torch.log_softmax(t, -1)),
    "log_softmax(dim=0)": (
        lambda x: F.log_softmax(x, dim=0),
        lambda d, x: F.log_softmax_backward(d, x, dim=0),
        lambda t: torch.log_softmax(t, 0),
    ),
}
ACTIVATION_NAMES = list(ACTIVATIONS)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_and_its_backward_match_torch_autograd(name, shape, rng):
    ours, ours_backward, theirs = ACTIVATIONS[name]
    x = with_zeros(3 * rng.standard_normal(shape))
    dout = rng.standard_normal(shape)
    expected_out, expected_dx = torch_value_and_grad(theirs, x, dout)
    assert relative_error(ours(x), expected_out) < TOL
    assert relative_error(ours_backward(dout, x), expected_dx) < TOL


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_backward_agrees_with_central_differences(name, rng):
    ours, ours_backward, _ = ACTIVATIONS[name]
    x = away_from_zero(rng.standard_normal((3, 4)))
    dout = rng.standard_normal((3, 4))
    result = check_gradient(ours, x, ours_backward(dout, x), dout, tolerance=1e-5)
    assert result.ok, str(result)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_keeps_float32_in_forward_and_backward(name, rng):
    ours, ours_backward, _ = ACTIVATIONS[name]
    x = rng.standard_normal((2, 3)).astype(np.float32)
    dout = np.ones((2, 3), dtype=np.float32)
    assert ours(x).dtype == np.float32
    assert ours_backward(dout, x).dtype == np.float32


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax", "log_softmax"])
def test_backward_given_the_forward_output_equals_backward_recomputing_it(name, rng):
    ours, ours_backward, _ = ACTIVATIONS[name]
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(ours_backward(dout, x, out=ours(x)), ours_backward(dout, x))


def test_softmax_of_1_0_4_is_exp_over_sum_of_exps():
    x = np.array([1.0, 0.0, 4.0])
    closed_form = np.exp(x) / (np.e ** 1 + np.e ** 0 + np.e ** 4)
    np.testing.assert_allclose(F.softmax(x), closed_form, rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(x), np.log(closed_form), rtol=1e-12)


def test_sigmoid_of_plus_minus_1000_is_exactly_0_and_1_without_overflow_warnings():
    with np.errstate(all="raise", under="ignore"):
        out = F.sigmoid(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]))
        grad = F.sigmoid_backward(np.ones(2), np.array([-1000.0, 1000.0]))
    assert out[0] == 0.0 and out[2] == 0.5 and out[-1] == 1.0
    np.testing.assert_allclose(out[1], np.exp(-40.0), rtol=1e-12)  # the tail keeps its digits
    assert (grad == 0.0).all()


def test_elu_and_selu_of_large_inputs_do_not_overflow():
    x = np.array([-1000.0, 1000.0])
    with np.errstate(all="raise", under="ignore"):
        assert F.elu(x).tolist() == [-1.0, 1000.0]
        assert F.elu_backward(np.ones(2), x).tolist() == [0.0, 1.0]
        assert np.isfinite(F.selu(x)).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_of_huge_logits_is_finite_and_shift_invariant(dtype):
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]], dtype=dtype)
    with np.errstate(all="raise", under="ignore"):
        probs, logp = F.softmax(x), F.log_softmax(x)
    assert np.isfinite(probs).all() and np.isfinite(logp).all()
    np.testing.assert_allclose(probs[0], F.softmax(np.array([0.0, 1.0, 2.0])), rtol=1e-6)
    np.testing.assert_allclose(logp[1], [-2000.0, -1000.0, 0.0])
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-6)


def test_activation_rejects_integer_arrays_and_mismatched_dout():
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        F.relu(np.arange(3))
    with pytest.raises(TypeError, match="x must be a NumPy or CuPy array"):
        F.sigmoid([1.0, 2.0])
    with pytest.raises(ValueError, match=r"dout has shape \(2,\) but x has shape \(3,\)"):
        F.tanh_backward(np.ones(2), np.ones(3))


# --- linear ------------------------------------------------------------------------------

@pytest.mark.parametrize("x_shape", [(6, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_and_its_backward_match_torch_autograd(x_shape, bias, rng):
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((5, 4))
    b = rng.standard_normal(5) if bias else None
    dout = rng.standard_normal(x_shape[:-1] + (5,))

    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True) if bias else None
    expected = TF.linear(tx, tw, tb)
    expected.backward(torch.tensor(dout))

    assert relative_error(F.linear(x, w, b), expected.detach().numpy()) < TOL
    dx, dw, db = F.linear_backward(dout, x, w, b)
    assert relative_error(dx, tx.grad.numpy()) < TOL
    assert relative_error(dw, tw.grad.numpy()) < TOL
    if bias:
        assert relative_error(db, tb.grad.numpy()) < TOL
    else:
        assert db is None


def test_linear_backward_agrees_with_central_differences_for_x_w_and_b(rng):
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)
    dout = rng.standard_normal((3, 2))
    dx, dw, db = F.linear_backward(dout, x, w, b)
    for result in (
        check_gradient(lambda v: F.linear(v, w, b), x, dx, dout),
        check_gradient(lambda v: F.linear(x, v, b), w, dw, dout),
        check_gradient(lambda v: F.linear(x, w, v), b, db, dout),
    ):
        assert result.ok, str(result)


def test_linear_keeps_float32(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.standard_normal((2, 4)).astype(np.float32)
    b = np.zeros(2, dtype=np.float32)
    assert F.linear(x, w, b).dtype == np.float32
    grads = F.linear_backward(np.ones((3, 2), dtype=np.float32), x, w, b)
    assert [g.dtype for g in grads] == [np.float32] * 3


def test_linear_names_the_feature_mismatch_and_bad_bias():
    w = np.zeros((3, 4))
    with pytest.raises(ValueError, match="x has 5 features but w expects 4"):
        F.linear(np.zeros((2, 5)), w)
    with pytest.raises(ValueError, match=r"b must have shape \(3,\)"):
        F.linear(np.zeros((2, 4)), w, np.zeros(4))
    with pytest.raises(ValueError, match="w must be 2-dimensional"):
        F.linear(np.zeros((2, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(2, 3\)"):
        F.linear_backward(np.zeros((2, 4)), np.zeros((2, 4)), w)


# --- regression losses -------------------------------------------------------------------

REGRESSION = {
    "mse": (F.mse_loss, F.mse_loss_backward, TF.mse_loss),
    "l1": (F.l1_loss, F.l1_loss_backward, TF.l1_loss),
    "bce_with_logits": (
        F.binary_cross_entropy_with_logits,
        F.binary_cross_entropy_with_logits_backward,
        TF.binary_cross_entropy_with_logits,
    ),
}


def regression_pair(name, shape, rng):
    x = 3 * rng.standard_normal(shape)
    if name == "bce_with_logits":
        return x, rng.random(shape)          # soft targets in [0, 1)
    target = rng.standard_normal(shape)
    target.reshape(-1)[::4] = x.reshape(-1)[::4]  # exact ties: l1's subgradient sign(0) = 0
    return x, target


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(REGRESSION))
def test_regression_loss_and_its_backward_match_torch_autograd(name, shape, rng):
    ours, ours_backward, theirs = REGRESSION[name]
    x, target = regression_pair(name, shape, rng)
    tx = torch.tensor(x, requires_grad=True)
    expected = theirs(tx, torch.tensor(target))
    (0.7 * expected).backward()
    assert relative_error(ours(x, target), expected.item()) < TOL
    assert relative_error(ours_backward(0.7, x, target), tx.grad.numpy()) < TOL


@pytest.mark.parametrize("name", list(REGRESSION))
def test_regression_loss_backward_agrees_with_central_differences(name, rng):
    ours, ours_backward, _ = REGRESSION[name]
    x, target = regression_pair(name, (3, 4), rng)
    x = np.where(x == target, x + 0.1, x)  # central differences need l1 away from its kink
    result = check_gradient(lambda v: ours(v, target), x, ours_backward(1.0, x, target))
    assert result.ok, str(result)


@pytest.mark.parametrize("name", list(REGRESSION))
def test_regression_loss_keeps_float32_even_with_float64_targets(name, rng):
    ours, ours_backward, _ = REGRESSION[name]
    x, target = regression_pair(name, (3, 4), rng)
    x = x.astype(np.float32)
    assert ours(x, target).dtype == np.float32
    assert ours_backward(np.float64(1.0), x, target).dtype == np.float32


def test_bce_with_logits_is_finite_for_huge_logits():
    x, target = np.array([-1000.0, 1000.0, 1000.0]), np.array([0.0, 1.0, 0.0])
    expected = TF.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(target))
    with np.errstate(all="raise", under="ignore"):
        loss = F.binary_cross_entropy_with_logits(x, target)
    np.testing.assert_allclose(loss, expected.item())  # (0 + 0 + 1000) / 3


def test_regression_losses_name_shape_mismatch_and_non_scalar_dout():
    with pytest.raises(ValueError, match=r"input has shape \(3,\) but target has shape \(4,\)"):
        F.mse_loss(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"logits has shape \(3,\) but target has shape \(3, 1\)"):
        F.binary_cross_entropy_with_logits(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="dout must be a scalar"):
        F.l1_loss_backward(np.ones(3), np.zeros(3), np.ones(3))


# --- cross-entropy -----------------------------------------------------------------------

@pytest.mark.parametrize("logits_shape", [(6, 5), (1, 3), (2, 4, 3, 5), (2, 3, 4)])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_and_its_backward_match_torch_autograd(logits_shape, weighted, rng):
    num_classes = logits_shape[1]
    logits = 3 * rng.standard_normal(logits_shape)
    target = rng.integers(0, num_classes, size=logits_shape[:1] + logits_shape[2:])
    weight = rng.random(num_classes) + 0.1 if weighted else None

    tl = torch.tensor(logits, requires_grad=True)
    tw = torch.tensor(weight) if weighted else None
    expected = TF.cross_entropy(tl, torch.tensor(target), weight=tw)
    (0.7 * expected).backward()

    assert relative_error(F.cross_entropy(logits, target, weight), expected.item()) < TOL
    grad = F.cross_entropy_backward(0.7, logits, target, weight)
    assert relative_error(grad, tl.grad.numpy()) < TOL


@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_backward_agrees_with_central_differences(weighted, rng):
    logits = rng.standard_normal((2, 3, 2, 2))
    target = rng.integers(0, 3, size=(2, 2, 2))
    weight = np.array([0.2, 1.0, 3.0]) if weighted else None
    result = check_gradient(lambda v: F.cross_entropy(v, target, weight), logits,
                            F.cross_entropy_backward(1.0, logits, target, weight))
    assert result.ok, str(result)


def test_cross_entropy_of_uniform_logits_is_log_of_the_number_of_classes():
    # Softmax of equal scores is 1/C for every class, so -log(1/C) = log C.
    logits = np.zeros((4, 10))
    target = np.array([0, 3, 9, 5], dtype=np.int32)
    np.testing.assert_allclose(F.cross_entropy(logits, target), np.log(10.0))


def test_cross_entropy_accepts_any_integer_dtype_and_keeps_float32(rng):
    logits = rng.standard_normal((5, 3)).astype(np.float32)
    weight = np.array([1.0, 2.0, 3.0])  # float64 weights must not promote
    reference = F.cross_entropy(logits.astype(np.float64), np.arange(5) % 3, weight)
    for dtype in (np.int64, np.int32, np.uint8):
        target = (np.arange(5) % 3).astype(dtype)
        loss = F.cross_entropy(logits, target, weight)
        assert loss.dtype == np.float32
        np.testing.assert_allclose(loss, reference, rtol=1e-6)
        assert F.cross_entropy_backward(1.0, logits, target, weight).dtype == np.float32


def test_cross_entropy_of_huge_logits_is_finite():
    logits = np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]])
    target = np.array([1, 0])
    with np.errstate(all="raise", under="ignore"):
        loss = F.cross_entropy(logits, target)
        grad = F.cross_entropy_backward(1.0, logits, target)
    np.testing.assert_allclose(loss, (2e4 + 1e4 + np.log(2.0)) / 2)
    assert np.isfinite(grad).all()


def test_cross_entropy_names_bad_class_indices_dtype_and_shapes():
    logits = np.zeros((3, 5))
    with pytest.raises(ValueError, match="target contains class 7 but logits have 5 classes"):
        F.cross_entropy(logits, np.array([0, 7, 2]))
    with pytest.raises(ValueError, match="target contains class -1 but logits have 5 classes"):
        F.cross_entropy_backward(1.0, logits, np.array([0, -1, 2]))
    with pytest.raises(TypeError, match="target must hold integer class indices"):
        F.cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"need a target of shape \(3,\)"):
        F.cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"need a target of shape \(2, 4, 4\)"):
        F.cross_entropy(np.zeros((2, 5, 4, 4)), np.zeros((2, 5, 4, 4), dtype=int))
    with pytest.raises(ValueError, match="weight must have one entry per class"):
        F.cross_entropy(logits, np.array([0, 1, 2]), weight=np.ones(4))
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\)"):
        F.cross_entropy(np.zeros(5), np.array(1))


# --- dropout -----------------------------------------------------------------------------

def test_dropout_drops_a_fraction_p_and_scales_survivors_by_one_over_one_minus_p():
    x = np.full(200_000, 3.0)
    out, mask = F.dropout(x, 0.3, True, rng=np.random.default_rng(0), return_mask=True)
    dropped = out == 0
    assert abs(dropped.mean() - 0.3) < 0.01  # binomial std is 0.001
    np.testing.assert_allclose(out[~dropped], 3.0 / 0.7)
    np.testing.assert_array_equal(out, x * mask)
    assert abs(out.mean() - 3.0) < 0.03      # inverted dropout keeps the mean


def test_dropout_backward_is_dout_times_the_forward_mask_and_matches_central_differences(rng):
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    out, mask = F.dropout(x, 0.4, True, rng=default_rng(7, like=x), return_mask=True)
    np.testing.assert_array_equal(F.dropout_backward(dout, mask), dout * mask)
    # Re-seeding makes every call draw the same mask, so dropout is a function of x alone.
    result = check_gradient(lambda v: F.dropout(v, 0.4, True, rng=default_rng(7, like=v)), x,
                            F.dropout_backward(dout, mask), dout)
    assert result.ok, str(result)


def test_dropout_is_the_identity_in_eval_mode_or_with_p_zero(rng):
    x = rng.standard_normal((3, 4))
    assert F.dropout(x, 0.5, False, rng=rng) is x
    out, mask = F.dropout(x, 0.0, True, rng=rng, return_mask=True)
    assert out is x and (mask == 1).all()
    torch_eval = TF.dropout(torch.tensor(x), 0.5, training=False).numpy()
    np.testing.assert_array_equal(F.dropout(x, 0.5, False), torch_eval)


def test_dropout_with_p_one_gives_zeros_like_torch(rng):
    x = rng.standard_normal((3, 4))
    out, mask = F.dropout(x, 1.0, True, rng=rng, return_mask=True)
    np.testing.assert_array_equal(out, TF.dropout(torch.tensor(x), 1.0, training=True).numpy())
    assert (out == 0).all() and (F.dropout_backward(np.ones_like(x), mask) == 0).all()


def test_dropout_with_the_same_seed_draws_the_same_mask_and_keeps_float32():
    x = np.ones((5, 6), dtype=np.float32)
    a, mask = F.dropout(x, 0.5, True, rng=np.random.default_rng(3), return_mask=True)
    b = F.dropout(x, 0.5, True, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == mask.dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_a_probability_outside_0_1(p):
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        F.dropout(np.ones(3), p, True, rng=np.random.default_rng(0))


# --- the GPU path ------------------------------------------------------------------------

def test_dense_ops_on_cupy_arrays_match_numpy(cupy):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((6, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    target = np.array([0, 2, 1, 1, 0, 2])
    logits = F.linear(x, w, b)
    gx, gw, gb, gt = (cupy.asarray(a) for a in (x, w, b, target))
    glogits = F.linear(gx, gw, gb)
    assert isinstance(glogits, cupy.ndarray)
    np.testing.assert_allclose(glogits.get(), logits)
    for name in ACTIVATION_NAMES:
        ours, ours_backward, _ = ACTIVATIONS[name]
        np.testing.assert_allclose(ours(glogits).get(), ours(logits), rtol=1e-12)
        np.testing.assert_allclose(ours_backward(glogits, glogits).get(),
                                   ours_backward(logits, logits), rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(glogits, gt).get(), F.cross_entropy(logits, target))
    np.testing.assert_allclose(F.cross_entropy_backward(1.0, glogits, gt).get(),
                               F.cross_entropy_backward(1.0, logits, target))
    out, mask = F.dropout(glogits, 0.5, True, rng=default_rng(0, like=glogits), return_mask=True)
    assert isinstance(out, cupy.ndarray) and isinstance(mask, cupy.ndarray)
