"""Linear models (dlcourse.chapters.learning_from_data.linear_classifier): entropies, softmax
answers, least squares, and gradient-descent training reproduced step by step with torch
autograd in float64."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from scipy.stats import entropy as scipy_entropy

from dlcourse.chapters.learning_from_data.linear_classifier import (
    LogisticRegression,
    SoftmaxClassifier,
    binary_entropy,
    cross_entropy_between,
    entropy,
    linear_regression,
    signed_distances,
)
from dlcourse.data import blobs
from dlcourse.gradcheck import check_gradient
from dlcourse.nn import functional as F

torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


# --- softmax: the notes' answer and its (missing) scale invariance ---------------------------

def test_softmax_of_1_0_4_is_0_0466_0_0171_0_9362():
    # by hand: e^1, e^0, e^4 divided by their sum e + 1 + e^4 = 58.316...
    total = math.e + 1 + math.e**4
    expected = [math.e / total, 1 / total, math.e**4 / total]
    assert [round(v, 4) for v in expected] == [0.0466, 0.0171, 0.9362]
    p = F.softmax(np.array([1.0, 0.0, 4.0]))
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    # the notes write "approximately (0.05, 0.02, 0.93)": each entry within 0.01
    np.testing.assert_allclose(p, [0.05, 0.02, 0.93], atol=0.01)


def test_softmax_is_shift_invariant_but_not_scale_invariant():
    x = np.array([1.0, 0.0, 4.0])
    np.testing.assert_allclose(F.softmax(x + 100.0), F.softmax(x), rtol=1e-12)
    sharper = F.softmax(10 * x)
    assert sharper[2] > 0.99999 > F.softmax(x)[2]
    np.testing.assert_allclose(F.softmax(10 * x), TF.softmax(torch.tensor(10 * x), 0).numpy())


def test_two_class_softmax_is_the_sigmoid_of_the_score_difference(rng):
    scores = rng.standard_normal((10, 2))
    np.testing.assert_allclose(F.softmax(scores, dim=1)[:, 1],
                               F.sigmoid(scores[:, 1] - scores[:, 0]), rtol=1e-12)


# --- entropy and cross-entropy ----------------------------------------------------------------

def test_binary_entropy_of_a_fair_coin_is_one_bit_and_zero_for_a_sure_outcome():
    assert binary_entropy(np.array([0.5])).tolist() == [1.0]
    assert binary_entropy(np.array([0.0, 1.0])).tolist() == [0.0, 0.0]
    p = np.linspace(0.01, 0.49, 25)
    np.testing.assert_allclose(binary_entropy(p), binary_entropy(1 - p), rtol=1e-12)
    assert (binary_entropy(p) < 1.0).all()


@pytest.mark.parametrize("base", [2.0, math.e, 10.0])
def test_entropy_matches_scipy(rng, base):
    p = rng.random((5, 4))
    p[0, 1] = 0.0                                            # 0 log 0 counts as 0
    p /= p.sum(axis=1, keepdims=True)
    expected = [scipy_entropy(row, base=base) for row in p]
    np.testing.assert_allclose(entropy(p, base=base), expected, rtol=1e-12)


def test_cross_entropy_between_matches_torch_soft_target_cross_entropy(rng):
    logits = rng.standard_normal((6, 5))
    u = rng.random((6, 5))
    u /= u.sum(axis=1, keepdims=True)
    v = F.softmax(logits, dim=1)
    expected = TF.cross_entropy(torch.tensor(logits), torch.tensor(u), reduction="none").numpy()
    np.testing.assert_allclose(cross_entropy_between(u, v), expected, rtol=1e-10)


def test_cross_entropy_is_smallest_and_equals_the_entropy_when_prediction_is_the_truth(rng):
    u = np.array([0.2, 0.5, 0.3])
    best = cross_entropy_between(u, u)
    assert best == pytest.approx(entropy(u))
    for _ in range(20):
        v = rng.dirichlet(np.ones(3))
        assert cross_entropy_between(u, v) >= best


def test_cross_entropy_of_true_class_2_against_softmax_1_0_4():
    # -ln(e^4 / (e + 1 + e^4)) = ln(1 + (e + 1) / e^4), by hand
    expected = math.log(1 + (math.e + 1) / math.e**4)
    v = F.softmax(np.array([1.0, 0.0, 4.0]))
    assert float(cross_entropy_between(np.array([0.0, 0.0, 1.0]), v)) == pytest.approx(expected)
    assert round(expected, 4) == 0.0659
    assert float(F.cross_entropy(np.array([[1.0, 0.0, 4.0]]), np.array([2]))) == pytest.approx(
        expected)


def test_cross_entropy_between_names_shape_mismatch():
    with pytest.raises(ValueError, match=r"u has shape \(2,\) but v has shape \(3,\)"):
        cross_entropy_between(np.ones(2) / 2, np.ones(3) / 3)


# --- regression -------------------------------------------------------------------------------

def test_linear_regression_matches_numpy_polyfit(rng):
    x = rng.uniform(-2, 3, 40)
    y = 1.7 * x - 0.4 + 0.3 * rng.standard_normal(40)
    weight, bias = linear_regression(x[:, None], y)
    slope, intercept = np.polyfit(x, y, 1)
    assert weight.tolist() == pytest.approx([slope])
    assert bias == pytest.approx(intercept)


# --- classifiers trained by gradient descent, step for step like torch ---------------------

def torch_gradient_descent(X, target, weight, lr, epochs, loss_fn):
    W = torch.tensor(weight, requires_grad=True)
    b = torch.zeros(len(weight), dtype=torch.float64, requires_grad=True)
    X, target = torch.tensor(X), torch.tensor(target)
    losses = []
    for _ in range(epochs):
        loss = loss_fn(X @ W.T + b, target)
        W.grad = b.grad = None
        loss.backward()
        with torch.no_grad():
            W -= lr * W.grad
            b -= lr * b.grad
        losses.append(loss.item())
    return W.detach().numpy(), b.detach().numpy(), losses


def initial_weight(seed, shape, scale):
    return scale * np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.kernel_sensitive
def test_softmax_classifier_trains_exactly_like_torch(rng):
    X, y = blobs(60, centers=3, std=1.5, seed=4)
    X = X.astype(np.float64)
    model = SoftmaxClassifier(lr=0.3, epochs=40, init_scale=0.1, seed=5).fit(X, y)
    W, b, losses = torch_gradient_descent(X, y, initial_weight(5, (3, 2), 0.1), 0.3, 40,
                                          TF.cross_entropy)
    np.testing.assert_allclose(model.weight, W, rtol=1e-6)
    np.testing.assert_allclose(model.bias, b, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(model.loss_history, losses, rtol=1e-6)
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.kernel_sensitive
def test_logistic_regression_trains_exactly_like_torch():
    X, y = blobs(50, centers=[[-1.0, 0.5], [1.5, -0.5]], std=1.0, seed=2)
    X = X.astype(np.float64)
    model = LogisticRegression(lr=0.5, epochs=30, init_scale=0.1, seed=3).fit(X, y)
    W, b, losses = torch_gradient_descent(X, y[:, None].astype(np.float64),
                                          initial_weight(3, (1, 2), 0.1), 0.5, 30,
                                          TF.binary_cross_entropy_with_logits)
    np.testing.assert_allclose(model.weight, W, rtol=1e-6)
    np.testing.assert_allclose(model.bias, b, rtol=1e-6)
    np.testing.assert_allclose(model.loss_history, losses, rtol=1e-6)
    np.testing.assert_allclose(model.predict_proba(X), torch.sigmoid(
        torch.tensor(X @ W.T + b)).numpy()[:, 0], rtol=1e-6)
    assert set(model.predict(X).tolist()) <= {0, 1}


def test_softmax_loss_gradient_passes_gradcheck(rng):
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 4, 8)
    weight, bias = rng.standard_normal((4, 3)), rng.standard_normal(4)
    scores = F.linear(X, weight, bias)
    _, dweight, _ = F.linear_backward(F.cross_entropy_backward(1.0, scores, y), X, weight, bias)
    result = check_gradient(lambda w: F.cross_entropy(F.linear(X, w, bias), y), weight, dweight)
    assert result.ok, result.error


def test_classifiers_keep_float32(rng):
    X = rng.standard_normal((20, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    for model in (SoftmaxClassifier(epochs=5), LogisticRegression(epochs=5)):
        model.fit(X, y)
        assert model.weight.dtype == model.bias.dtype == np.float32
        assert model.predict_proba(X).dtype == np.float32


def test_logistic_regression_needs_0_1_labels():
    with pytest.raises(ValueError, match="labels 0 and 1"):
        LogisticRegression().fit(np.zeros((3, 2)), np.array([0, 1, 2]))


def test_class_score_grows_with_the_signed_distance_to_the_hyperplane(rng):
    weight, bias = rng.standard_normal((3, 2)), rng.standard_normal(3)
    X = rng.standard_normal((10, 2))
    distances = signed_distances(X, weight, bias)
    np.testing.assert_allclose(distances * np.linalg.norm(weight, axis=1), X @ weight.T + bias)
    # moving one unit along w_c / |w_c| raises the distance to hyperplane c by exactly 1
    step = weight[0] / np.linalg.norm(weight[0])
    np.testing.assert_allclose(signed_distances(X + step, weight, bias)[:, 0],
                               distances[:, 0] + 1.0)
