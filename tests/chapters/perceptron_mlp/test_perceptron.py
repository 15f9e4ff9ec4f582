"""Rosenblatt's perceptron: the learning rule, its objective, convergence and its failure on XOR."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.perceptron_mlp.perceptron import (
    neuron,
    perceptron_criterion,
    perceptron_predict,
    perceptron_step,
    to_signed,
    train_perceptron,
)
from dlcourse.data import linearly_separable, xor, xor_truth_table
from dlcourse.gradcheck import numerical_gradient
from dlcourse.nn import functional as F


def test_neuron_is_activation_of_weighted_sum_like_torch():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((7, 3)), rng.standard_normal(3), 0.3
    expected = torch.sigmoid(torch.from_numpy(x) @ torch.from_numpy(w) + b).numpy()
    np.testing.assert_allclose(neuron(x, w, b, F.sigmoid), expected, rtol=1e-12)
    np.testing.assert_allclose(neuron(x, w, b), x @ w + b)


def test_step_moves_weights_towards_a_misclassified_sample_and_ignores_correct_ones():
    w, b = np.array([1.0, -1.0]), 0.5
    x = np.array([2.0, 3.0])                   # w.x + b = -0.5: predicted -1
    w_new, b_new, mistake = perceptron_step(w, b, x, 1.0, lr=0.5)
    assert mistake
    np.testing.assert_allclose(w_new, [2.0, 0.5])   # w + 0.5 * (+1) * x
    assert b_new == 1.0
    w_same, b_same, mistake = perceptron_step(w, b, x, -1.0)
    assert not mistake and b_same == b and np.array_equal(w_same, w)


def test_a_sample_on_the_boundary_counts_as_a_mistake():
    _, _, mistake = perceptron_step(np.zeros(2), 0.0, np.array([1.0, 1.0]), 1.0)
    assert mistake


def test_rule_is_a_gradient_step_on_the_perceptron_criterion():
    rng = np.random.default_rng(1)
    w, b = rng.standard_normal(3), 0.2
    x, y = rng.standard_normal(3), 1.0
    if y * (x @ w + b) > 0:
        y = -y                                  # make the sample misclassified
    lr = 0.3
    def criterion(w, b):                        # as an array, for numerical_gradient
        return np.asarray(perceptron_criterion(w, b, x[None], np.array([y])))

    grad_w = numerical_gradient(lambda v: criterion(v, b), w)
    grad_b = numerical_gradient(lambda v: criterion(w, float(v[0])), np.array([b]))
    w_new, b_new, _ = perceptron_step(w, b, x, y, lr=lr)
    np.testing.assert_allclose(w_new, w - lr * grad_w, rtol=1e-6)
    np.testing.assert_allclose(b_new, b - lr * grad_b[0], rtol=1e-6)


def test_criterion_is_zero_exactly_when_every_sample_is_correct():
    X, y = np.array([[1.0, 0.0], [-1.0, 0.0]]), np.array([1.0, -1.0])
    assert perceptron_criterion(np.array([1.0, 0.0]), 0.0, X, y) == 0.0
    # Flipped weights: both samples misclassified by margin 1 each.
    assert perceptron_criterion(np.array([-1.0, 0.0]), 0.0, X, y) == 2.0


def _separable(n=80, seed=3):
    """Points on either side of the line n.x = c with a known margin."""
    rng = np.random.default_rng(seed)
    normal, offset = np.array([0.6, 0.8]), 0.5
    X = rng.uniform(-3, 3, (4 * n, 2))
    distance = X @ normal - offset
    keep = np.abs(distance) > 0.4
    X, distance = X[keep][:n], distance[keep][:n]
    return X, np.sign(distance), normal, offset


@pytest.mark.kernel_sensitive
def test_perceptron_converges_within_novikoffs_bound_on_separable_data():
    X, y, normal, offset = _separable()
    result = train_perceptron(X, y, epochs=200)
    assert result.converged_epoch is not None
    np.testing.assert_array_equal(perceptron_predict(result.w, result.b, X), y)
    # Novikoff (1962): updates <= (R / gamma)^2 in the space of (x, 1), with the
    # separator (normal, -offset) normalised; R and gamma computed from the data.
    augmented = np.hstack([X, np.ones((len(X), 1))])
    separator = np.append(normal, -offset)
    gamma = np.min(y * (augmented @ separator)) / np.linalg.norm(separator)
    radius = np.linalg.norm(augmented, axis=1).max()
    assert result.mistakes.sum() <= (radius / gamma) ** 2


@pytest.mark.kernel_sensitive
def test_perceptron_converges_on_the_course_separable_data_set():
    X, y01 = linearly_separable(200, margin=0.5, seed=0)
    result = train_perceptron(X.astype(np.float64), to_signed(y01), epochs=50)
    assert result.converged_epoch is not None
    assert (result.mistakes[result.converged_epoch - 1:] == 0).all()


@pytest.mark.parametrize("data", ["truth table", "noisy"])
def test_perceptron_never_stops_making_mistakes_on_xor(data):
    X, y01 = xor_truth_table() if data == "truth table" else xor(100, noise=0.1, seed=0)
    result = train_perceptron(X, to_signed(y01), epochs=100)
    assert result.converged_epoch is None
    assert result.mistakes.min() >= 1


def test_without_a_bias_the_boundary_must_pass_through_the_origin():
    # (1, 1) and (2, 2) lie on one ray from the origin: every line through the origin
    # puts them on the same side, but x1 + x2 = 3 separates them.
    X, y = np.array([[1.0, 1.0], [2.0, 2.0]]), np.array([-1.0, 1.0])
    assert train_perceptron(X, y, epochs=100, bias=False).converged_epoch is None
    assert train_perceptron(X, y, epochs=100).converged_epoch is not None


def test_shuffled_training_is_reproducible_with_a_seed():
    X, y, _, _ = _separable(seed=4)
    a = train_perceptron(X, y, epochs=10, shuffle=True, seed=7)
    b = train_perceptron(X, y, epochs=10, shuffle=True, seed=7)
    np.testing.assert_array_equal(a.mistakes, b.mistakes)
    np.testing.assert_array_equal(a.w, b.w)


def test_weights_keep_the_input_dtype():
    X, y, _, _ = _separable()
    assert train_perceptron(X.astype(np.float32), y, epochs=3).w.dtype == np.float32


def test_to_signed_maps_zero_one_labels_and_rejects_others():
    np.testing.assert_array_equal(to_signed(np.array([0, 1, 0])), [-1.0, 1.0, -1.0])
    np.testing.assert_array_equal(to_signed(np.array([-1, 1])), [-1.0, 1.0])
    with pytest.raises(ValueError, match="0/1 or -1/\\+1"):
        to_signed(np.array([0, 2]))


def test_bad_labels_and_shapes_are_refused_with_clear_errors():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="-1 or \\+1"):
        train_perceptron(X, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="3 samples but y has 2"):
        train_perceptron(X, np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="epochs must be positive"):
        train_perceptron(X, np.array([1.0, -1.0, 1.0]), epochs=0)
    with pytest.raises(ValueError, match="y must be -1 or \\+1"):
        perceptron_step(np.zeros(2), 0.0, np.ones(2), 0.0)
