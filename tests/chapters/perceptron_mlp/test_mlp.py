"""Small MLPs on toy data: training matches torch, XOR is solved, symmetry, dead ReLUs, RNN."""

import math

import numpy as np
import pytest
import torch

from dlcourse import nn
from dlcourse.chapters.perceptron_mlp.mlp import (
    dead_unit_fraction,
    decision_grid,
    dying_relu_demo,
    hidden_unit_spread,
    rnn_forward,
    start_weights,
    train_mlp,
    train_xor_mlp,
)
from dlcourse.data import blobs, xor, xor_truth_table

torch.set_num_threads(1)

TORCH_ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid,
                     "elu": torch.nn.ELU, "selu": torch.nn.SELU, "leaky_relu": torch.nn.LeakyReLU}


def _torch_history(X, y, *, hidden_sizes, activation, lr, epochs, seed, momentum=0.0):
    """The same MLP, same initial weights, trained by torch.optim.SGD on the same loss."""
    ours = nn.mlp(X.shape[1], hidden_sizes, 1 if y.max() == 1 else int(y.max()) + 1,
                  activation=activation, rng=seed, dtype=X.dtype)
    layers = []
    for layer in ours:
        if type(layer).__name__ == "Linear":
            linear = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
            linear.weight.data = torch.tensor(layer.weight.data)
            linear.bias.data = torch.tensor(layer.bias.data)
            layers.append(linear)
        else:
            layers.append(TORCH_ACTIVATIONS[activation]())
    net = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    history = []
    for _ in range(epochs):
        optimizer.zero_grad()
        logits = net(Xt)
        if logits.shape[1] == 1:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits[:, 0], yt.to(torch.float64))
        else:
            loss = torch.nn.functional.cross_entropy(logits, yt)
        history.append(loss.item())
        loss.backward()
        optimizer.step()
    return np.array(history)


@pytest.mark.kernel_sensitive
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "selu"])
def test_binary_training_matches_torch_loss_curve(activation):
    X, y = xor(40, noise=0.2, seed=1)
    X = X.astype(np.float64)
    run = train_mlp(X, y, hidden_sizes=(5,), activation=activation, lr=0.5, epochs=60, seed=3)
    expected = _torch_history(X, y, hidden_sizes=(5,), activation=activation, lr=0.5,
                              epochs=60, seed=3)
    np.testing.assert_allclose(run.history, expected, rtol=1e-6)


@pytest.mark.kernel_sensitive
def test_multiclass_training_with_momentum_matches_torch():
    X, y = blobs(45, centers=3, std=1.0, seed=2)
    X = X.astype(np.float64)
    kwargs = dict(hidden_sizes=(6, 4), activation="elu", lr=0.1, epochs=40, seed=5,
                  momentum=0.9)
    run = train_mlp(X, y, **kwargs)
    np.testing.assert_allclose(run.history, _torch_history(X, y, **kwargs), rtol=1e-6)
    assert run.net[-1].out_features == 3                  # softmax over 3 class scores
    proba = run.predict_proba(X)
    assert proba.shape == (45, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.kernel_sensitive
def test_mlp_reproduces_the_xor_truth_table():
    run = train_xor_mlp(hidden=4, activation="tanh", lr=0.5, epochs=500)
    X, y = xor_truth_table()
    np.testing.assert_array_equal(run.predict(X), y)
    assert run.accuracy == 1.0 and run.history[-1] < 0.05


@pytest.mark.kernel_sensitive
def test_without_a_nonlinearity_xor_stays_at_a_coin_flip():
    # A linear model's best fit of the XOR table predicts 1/2 everywhere: loss = log 2.
    run = train_xor_mlp(hidden=8, activation="identity", lr=0.5, epochs=2000)
    assert abs(run.history[-1] - math.log(2)) < 1e-4


@pytest.mark.kernel_sensitive
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_constant_initialisation_keeps_every_hidden_unit_identical(activation):
    X, y = xor(60, noise=0.2, seed=0)
    run = train_mlp(X, y, hidden_sizes=(6,), activation=activation, lr=1.0, epochs=300,
                    init_constant=0.5)
    # Identical in exact arithmetic; float32 matrix products may differ in the last bit
    # between rows, and such round-off is far too small to break the symmetry.
    assert hidden_unit_spread(run.net) < 1e-5
    # One distinct unit cannot solve XOR: accuracy stays well below 100%.
    assert run.accuracy <= 0.8
    random = train_mlp(X, y, hidden_sizes=(6,), activation=activation, lr=1.0, epochs=300)
    assert hidden_unit_spread(random.net) > 0.1


def test_zero_initialised_tanh_net_never_moves_its_hidden_weights():
    # tanh(0) = 0 gives zero hidden outputs, so dL/dW2 = 0; W2 = 0 gives dL/dW1 = 0.
    run = train_xor_mlp(hidden=4, activation="tanh", init_scale=0.0, epochs=50)
    assert not run.net[0].weight.data.any() and not run.net[-1].weight.data.any()


def test_init_scale_multiplies_the_default_initialisation():
    base = nn.mlp(2, [3], 1, rng=4, dtype="float64")
    scaled = start_weights(nn.mlp(2, [3], 1, rng=4, dtype="float64"), init_scale=2.5)
    for a, b in zip(base.parameters(), scaled.parameters(), strict=True):
        np.testing.assert_allclose(b.data, 2.5 * a.data)


@pytest.mark.kernel_sensitive
def test_larger_learning_rates_kill_more_relus():
    small_before, small_after = dying_relu_demo(0.1)
    big_before, big_after = dying_relu_demo(10.0)
    assert small_after == small_before
    assert big_after > big_before + 0.3


def test_dead_unit_fraction_counts_units_silent_on_every_input():
    net = nn.mlp(2, [4], 1, activation="relu", dtype="float64")
    net[0].weight.data[...] = 0.0
    net[0].bias.data[...] = np.array([1.0, -1.0, -2.0, 0.5])
    assert dead_unit_fraction(net, np.ones((3, 2))) == 0.5


def test_rnn_forward_matches_torch_rnn():
    rng = np.random.default_rng(0)
    T, N, d, H = 5, 3, 4, 6
    x = rng.standard_normal((T, N, d))
    rnn = torch.nn.RNN(d, H, dtype=torch.float64)
    w_ih, w_hh = rnn.weight_ih_l0.detach().numpy(), rnn.weight_hh_l0.detach().numpy()
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy()
    h0 = rng.standard_normal((N, H))
    expected, _ = rnn(torch.tensor(x), torch.tensor(h0)[None])
    np.testing.assert_allclose(rnn_forward(x, w_ih, w_hh, b, h0), expected.detach().numpy(),
                               rtol=1e-10)


def test_decision_grid_covers_the_data_with_probabilities():
    run = train_xor_mlp(epochs=20)
    grid = run.grid
    assert grid.proba.shape == (60, 60, 2)
    assert grid.xs[0] < 0 < 1 < grid.xs[-1] and grid.ys[0] < 0 < 1 < grid.ys[-1]
    np.testing.assert_allclose(grid.proba.sum(axis=-1), 1.0, rtol=1e-6)
    small = decision_grid(run.predict_proba, run.X, resolution=7)
    assert small.proba.shape == (7, 7, 2)


def test_training_keeps_float32_data_in_float32():
    run = train_xor_mlp(epochs=5)
    assert all(p.dtype == np.float32 for p in run.net.parameters())


def test_bad_arguments_are_refused_with_clear_errors():
    X, y = xor_truth_table()
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        train_mlp(X, y, activation="swish")
    with pytest.raises(TypeError, match="integer class labels"):
        train_mlp(X, y.astype(np.float32))
    with pytest.raises(ValueError, match="4 samples but y has 3"):
        train_mlp(X, y[:3])
    with pytest.raises(ValueError, match="init_scale must be non-negative"):
        start_weights(nn.mlp(2, [2], 1), init_scale=-1.0)
    with pytest.raises(ValueError, match="x has 2 features but w_ih expects 3"):
        rnn_forward(np.zeros((2, 1, 2)), np.zeros((4, 3)), np.zeros((4, 4)), np.zeros(4))
