"""Signals through depth: per-layer statistics match torch, and the textbook regimes appear."""

import math

import numpy as np
import pytest
import torch

from dlcourse.backend import default_rng
from dlcourse.chapters.training_deep_nets import signal_propagation as sp

torch.set_num_threads(1)


TORCH_ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
                     "selu": torch.selu}


@pytest.mark.parametrize("init, fan_in, fan_out, expected", [
    ("xavier", 300, 100, math.sqrt(2 / 400)),      # Glorot & Bengio (2010), normal form
    ("he", 300, 100, math.sqrt(2 / 300)),          # He et al. (2015), fan_in mode
    ("lecun", 300, 100, math.sqrt(1 / 300)),       # LeCun et al. (1998), SELU paper
    ("small", 300, 100, 0.01),
    ("zero", 300, 100, 0.0),
])
def test_init_std_is_the_published_formula(init, fan_in, fan_out, expected):
    assert sp.init_std(init, fan_in, fan_out) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("init, torch_init", [
    ("xavier", lambda t: torch.nn.init.xavier_normal_(t)),
    ("he", lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu")),
])
def test_init_weight_has_the_same_spread_as_torch_init(init, torch_init):
    shape = (400, 300)
    ours = sp.init_weight(shape, init, rng=default_rng(0))
    torch.manual_seed(0)
    theirs = torch_init(torch.empty(shape, dtype=torch.float64)).numpy()
    assert ours.shape == shape and ours.dtype == np.float32
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)
    assert abs(ours.mean()) < 0.01 * ours.std() * 10


def test_unknown_init_or_activation_is_refused():
    with pytest.raises(ValueError, match="unknown init"):
        sp.init_std("glorot-ish", 3, 3)
    with pytest.raises(ValueError, match="unknown activation"):
        sp.deep_mlp(2, 4, "swish", "he")
    with pytest.raises(ValueError, match="depth"):
        sp.deep_mlp(0, 4, "relu", "he")


@pytest.mark.parametrize("activation, init", [("tanh", "xavier"), ("relu", "he"),
                                              ("selu", "lecun"), ("sigmoid", "small")])
def test_propagate_statistics_match_a_torch_forward_and_backward(activation, init):
    depth, width, batch, seed = 5, 16, 12, 3
    stats = sp.propagate(depth, width, activation, init, batch=batch, bias_init=0.1,
                         seed=seed, dtype="float64", sample=batch * width)
    net = sp.deep_mlp(depth, width, activation, init, bias_init=0.1, seed=seed,
                      dtype="float64")
    rng = np.random.default_rng(seed + 1)  # propagate draws its input, then its output grad
    h = torch.tensor(rng.standard_normal((batch, width)))
    dout = torch.tensor(rng.standard_normal((batch, width)))
    f = TORCH_ACTIVATIONS[activation]
    outputs, weights = [], []
    for linear in net.layers[::2]:
        w = torch.tensor(linear.weight.data, requires_grad=True)
        h = f(h @ w.T + torch.tensor(linear.bias.data))
        h.retain_grad()
        outputs.append(h)
        weights.append(w)
    (outputs[-1] * dout).sum().backward()
    np.testing.assert_allclose(stats.act_std, [o.detach().std(unbiased=False) for o in outputs],
                               rtol=1e-6)
    np.testing.assert_allclose(stats.act_mean, [o.detach().mean() for o in outputs],
                               rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(stats.grad_std, [o.grad.std(unbiased=False) for o in outputs],
                               rtol=1e-6)
    np.testing.assert_allclose(stats.weight_grad_norm, [w.grad.norm() for w in weights],
                               rtol=1e-6)


def test_small_init_shrinks_tanh_signal_by_sigma_sqrt_width_per_layer():
    # In tanh's linear regime Var(out) = width * sigma^2 * Var(in): factor 0.01 * sqrt(256).
    stats = sp.propagate(6, 256, "tanh", "small", seed=0)
    ratios = np.array(stats.act_std[1:]) / np.array(stats.act_std[:-1])
    np.testing.assert_allclose(ratios, 0.01 * math.sqrt(256), rtol=0.05)
    # backward: the same factor per layer, so 5 layers down the gradient is 0.16^5 ~ 1e-4
    assert stats.grad_std[0] / stats.grad_std[-1] == pytest.approx(0.16 ** 5, rel=0.1)


def test_large_init_relu_explodes_and_he_init_keeps_gradients_stable():
    exploding = sp.propagate(10, 128, "relu", "large", seed=0, dtype="float64")
    assert exploding.grad_std[0] > 1e6 * exploding.grad_std[-1]
    stable = sp.propagate(10, 128, "relu", "he", seed=0)
    assert 0.5 < stable.grad_std[0] / stable.grad_std[-1] < 2


def test_selu_with_lecun_init_keeps_mean_zero_and_std_one_at_depth_30():
    # The fixed point (mean 0, variance 1) of Klambauer et al. (2017).
    stats = sp.propagate(30, 128, "selu", "lecun", seed=0)
    assert abs(stats.act_mean[-1]) < 0.1 and abs(stats.act_std[-1] - 1) < 0.1


def test_zero_init_tanh_gives_zero_activations_and_zero_weight_gradients():
    stats = sp.propagate(4, 32, "tanh", "zero", seed=0)
    assert max(stats.act_std) == 0 and max(stats.weight_grad_norm) == 0


def test_relu_bias_init_point_one_makes_zero_weight_units_active():
    dead = sp.propagate(3, 32, "relu", "zero", seed=0)
    alive = sp.propagate(3, 32, "relu", "zero", bias_init=0.1, seed=0)
    assert dead.active_fraction == [0.0] * 3 and alive.active_fraction == [1.0] * 3


def test_histogram_samples_have_the_requested_size():
    stats = sp.propagate(3, 16, "tanh", "xavier", batch=8, sample=50)
    assert [a.shape for a in stats.activations] == [(50,)] * 3
    assert [g.shape for g in stats.gradients] == [(50,)] * 3


@pytest.mark.parametrize("activation, init", [("relu", "he"), ("tanh", "large")])
def test_one_probe_gives_every_depth_what_propagate_gives_it_in_any_order(activation, init):
    probe = sp.SignalProbe(16, activation, init, batch=8, bias_init=0.1, seed=5)
    for depth in (6, 2, 9, 9, 1):                       # grows to 6, then to 9
        ours = probe.stats(depth, sample=40)
        theirs = sp.propagate(depth, 16, activation, init, batch=8, bias_init=0.1, seed=5,
                              sample=40)
        for field in ("act_mean", "act_std", "grad_std", "weight_grad_norm",
                      "active_fraction"):
            assert getattr(ours, field) == getattr(theirs, field), (depth, field)
        for field in ("activations", "gradients"):
            for a, b in zip(getattr(ours, field), getattr(theirs, field), strict=True):
                np.testing.assert_array_equal(a, b)


def test_a_deeper_mlp_starts_with_the_blocks_of_a_shallower_one():
    shallow, deep = sp.deep_mlp(2, 8, seed=1), sp.deep_mlp(5, 8, seed=1)
    for a, b in zip(shallow.parameters(), list(deep.parameters())[:4], strict=True):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("depth", [0, -1, 2.5])
def test_a_probe_refuses_a_depth_that_is_not_a_positive_integer(depth):
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        sp.SignalProbe(8).stats(depth)


def test_batchnorm_keeps_the_output_layer_input_steadier_during_training():
    from dlcourse import data

    X, y = data.digits(flatten=True, seed=0)
    X = data.standardize(X)
    plain = sp.covariate_shift(X[:300], y[:300], batchnorm=False, steps=25, seed=0)
    normed = sp.covariate_shift(X[:300], y[:300], batchnorm=True, steps=25, seed=0)
    assert plain["mean"].shape == (26,) and plain["loss"].shape == (25,)
    assert np.ptp(normed["mean"]) < 0.2 * np.ptp(plain["mean"])      # the mean stays put
    assert normed["loss"][-5:].mean() < plain["loss"][-5:].mean()    # and it learns faster
