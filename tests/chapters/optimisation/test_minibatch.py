"""Minibatch size: gradient noise like 1/B, steps per epoch, memory of the activations."""

import numpy as np
import pytest
import torch

from dlcourse import nn
from dlcourse.chapters.optimisation.minibatch import (
    activation_bytes,
    logistic_loss,
    logistic_problem,
    minibatch_noise,
    minibatch_run,
    per_sample_gradients,
)

X, Y = logistic_problem(256, 5, seed=1)


def test_logistic_loss_and_per_sample_gradients_match_torch_autograd():
    w = np.random.default_rng(2).standard_normal(5)
    tw = torch.tensor(w, requires_grad=True)
    losses = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(X) @ tw, torch.tensor(Y), reduction="none")
    assert logistic_loss(X, Y, w) == pytest.approx(losses.mean().item(), rel=1e-12)
    G = per_sample_gradients(X, Y, w)
    for i in (0, 17, 255):
        (g,) = torch.autograd.grad(losses[i], tw, retain_graph=True)
        np.testing.assert_allclose(G[i], g.numpy(), rtol=1e-10, atol=1e-14)


def test_measured_noise_follows_the_sampling_formula():
    sizes = [1, 4, 16, 64, 256]
    noise = minibatch_noise(sizes, X=X, y=Y, repeats=400, timing=False)
    G = per_sample_gradients(X, Y, np.zeros(5))
    sigma2 = np.mean(np.sum((G - G.mean(0)) ** 2, axis=1))
    # sampling without replacement: Var(mean of B of N) = (N - B) / (N - 1) * sigma^2 / B
    expected = (256 - np.array(sizes)) / 255 * sigma2 / np.array(sizes)
    np.testing.assert_allclose(noise.predicted, expected, rtol=1e-12)
    np.testing.assert_allclose(noise.variance[:-1], expected[:-1], rtol=0.25)
    assert noise.variance[-1] == pytest.approx(0.0, abs=1e-25)     # the full batch: exact
    assert noise.gradient_norm == pytest.approx(np.linalg.norm(G.mean(0)))
    assert np.all(np.diff(noise.relative_noise) < 0) and noise.seconds_per_epoch is None


def test_noise_timing_gives_one_time_per_batch_size():
    noise = minibatch_noise([8, 256], X=X, y=Y, repeats=5)
    assert noise.seconds_per_epoch.shape == (2,) and (noise.seconds_per_epoch > 0).all()


def test_noise_rejects_batch_sizes_outside_one_to_n():
    with pytest.raises(ValueError, match="between 1 and the 256 samples"):
        minibatch_noise([0, 4], X=X, y=Y)
    with pytest.raises(ValueError, match="X has 256 samples but y has 3"):
        minibatch_noise([1], X=X, y=Y[:3])


def test_full_batch_run_is_plain_gradient_descent():
    run = minibatch_run(256, epochs=3, lr=0.5, X=X, y=Y)
    w, losses = np.zeros(5), [logistic_loss(X, Y, np.zeros(5))]
    for _ in range(3):
        w -= 0.5 * per_sample_gradients(X, Y, w).mean(axis=0)
        losses.append(logistic_loss(X, Y, w))
    assert run["steps"] == 3 and run["epoch"].tolist() == [0.0, 1.0, 2.0, 3.0]
    np.testing.assert_allclose(run["loss"], losses, rtol=1e-12)


def test_smaller_batches_take_more_steps_per_epoch_and_reach_a_lower_loss_after_one_epoch():
    small, full = (minibatch_run(b, epochs=1, lr=0.5, X=X, y=Y) for b in (8, 256))
    assert small["steps"] == 32 and full["steps"] == 1
    assert small["loss"][-1] < full["loss"][-1]
    assert small["epoch"][-1] == pytest.approx(1.0)


def test_run_rejects_a_batch_larger_than_the_data():
    with pytest.raises(ValueError, match="batch_size must lie between"):
        minibatch_run(257, X=X, y=Y)


def test_activation_memory_grows_linearly_with_the_batch_size():
    net = nn.Sequential(nn.Linear(64, 32, rng=0), nn.ReLU(), nn.Linear(32, 10, rng=0))
    one = activation_bytes(net, (64,), 1)
    assert one == (32 + 32 + 10) * 4                           # outputs of the 3 layers
    assert activation_bytes(net, (64,), 128) == 128 * one
    assert activation_bytes(net, (64,), 128, itemsize=8) == 256 * one
