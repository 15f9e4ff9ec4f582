"""The activation table: values and derivatives against torch, and what the derivatives imply."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.perceptron_mlp.activations import (
    ACTIVATION_FORMULAS,
    activation_curves,
    activation_table,
    format_activation_table,
    next_layer_weight_gradients,
    same_sign_fraction,
    softmax_jacobian,
)

TORCH = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": torch.nn.functional.leaky_relu,
    "elu": torch.nn.functional.elu,
    "selu": torch.selu,
}


def _points():
    """Random points, both signs, large magnitudes and 0 itself."""
    rng = np.random.default_rng(0)
    return np.concatenate([rng.standard_normal(50) * 3, [0.0, -12.0, 12.0]])


@pytest.mark.parametrize("name", list(TORCH))
def test_values_and_derivatives_match_torch_autograd(name):
    x = _points()
    f, df = activation_curves(name, x)
    xt = torch.tensor(x, requires_grad=True)
    out = TORCH[name](xt)
    out.sum().backward()                        # d(sum f(x_i))/dx_i = f'(x_i)
    np.testing.assert_allclose(f, out.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(df, xt.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_threshold_and_signum_match_torch_and_have_zero_gradient():
    x = _points()
    f, df = activation_curves("threshold", x)
    one = torch.tensor(1.0, dtype=torch.float64)        # H(0) = 1, as for the perceptron
    np.testing.assert_array_equal(f, torch.heaviside(torch.tensor(x), one))
    assert not df.any()
    f, df = activation_curves("signum", x)
    xt = torch.tensor(x, requires_grad=True)
    torch.sign(xt).sum().backward()
    np.testing.assert_array_equal(f, torch.sign(xt).detach().numpy())
    np.testing.assert_array_equal(df, xt.grad.numpy())   # torch: 0 everywhere too


def test_sigmoid_slope_at_zero_is_a_quarter_and_tanh_slope_is_one():
    # Derived by hand: sigma'(0) = sigma(0)(1 - sigma(0)) = 1/4; tanh'(0) = 1 - tanh(0)^2 = 1.
    _, d_sigmoid = activation_curves("sigmoid", np.array([0.0]))
    _, d_tanh = activation_curves("tanh", np.array([0.0]))
    assert d_sigmoid[0] == 0.25 and d_tanh[0] == 1.0


def test_sigmoid_and_tanh_saturate_but_relu_does_not_for_positive_inputs():
    x = np.array([-10.0, 10.0])
    assert np.all(activation_curves("sigmoid", x)[1] < 1e-4)
    assert np.all(activation_curves("tanh", x)[1] < 1e-8)
    np.testing.assert_array_equal(activation_curves("relu", x)[1], [0.0, 1.0])


def test_table_lists_every_activation_with_consistent_numbers():
    rows = {row["name"]: row for row in activation_table()}
    assert list(rows) == list(ACTIVATION_FORMULAS)
    assert rows["sigmoid"]["max f'"] == 0.25
    assert rows["tanh"]["f'(0)"] == 1.0 and rows["tanh"]["f(0)"] == 0.0
    # E[sigmoid(z)] = 1/2 for symmetric z; E[relu(z)] = 1/sqrt(2 pi) for z ~ N(0, 1).
    assert abs(rows["sigmoid"]["mean f(z)"] - 0.5) < 0.01
    assert abs(rows["relu"]["mean f(z)"] - 1 / np.sqrt(2 * np.pi)) < 0.01
    assert abs(rows["tanh"]["mean f(z)"]) < 0.01 and abs(rows["selu"]["mean f(z)"]) < 0.01


@pytest.mark.parametrize("name", list(ACTIVATION_FORMULAS))
def test_float32_in_float32_out(name):
    f, df = activation_curves(name, np.linspace(-2, 2, 5, dtype=np.float32))
    assert f.dtype == np.float32 and df.dtype == np.float32


def test_unknown_activation_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        activation_curves("swish", np.zeros(2))


def test_softmax_jacobian_matches_torch_and_rows_sum_to_zero():
    z = np.array([1.0, 0.0, 4.0, -2.0])
    expected = torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, dim=0), torch.tensor(z)).numpy()
    jac = softmax_jacobian(z)
    np.testing.assert_allclose(jac, expected, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(jac.sum(axis=1), 0.0, atol=1e-15)


@pytest.mark.parametrize("name", ["sigmoid", "relu"])
def test_positive_inputs_give_weight_gradients_of_one_sign(name):
    grads = next_layer_weight_gradients(name, n_samples=500, n_inputs=4)
    assert grads.shape == (500, 4)
    assert same_sign_fraction(grads) == 1.0


def test_zero_centred_tanh_inputs_give_mixed_signs():
    # Independent symmetric inputs: all 4 signs agree with probability 2 / 2^4 = 1/8.
    grads = next_layer_weight_gradients("tanh", n_samples=20_000, n_inputs=4)
    assert abs(same_sign_fraction(grads) - 0.125) < 0.01


def test_formatted_table_has_a_header_and_one_line_per_activation():
    lines = format_activation_table().splitlines()
    assert lines[0].split() == ["activation", "f(0)", "f'(0)", "max", "f'", "f'(-5)", "f'(5)",
                                "mean", "f(z)"]
    assert [line.split()[0] for line in lines[1:]] == list(ACTIVATION_FORMULAS)
    assert lines[3].split()[1:3] == ["0.5000", "0.2500"]          # sigmoid: f(0), f'(0)
