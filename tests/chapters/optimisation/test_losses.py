"""Losses as negative log-likelihoods: MSE (Gaussian), L1 (Laplace), BCE (Bernoulli), CE."""

import math

import numpy as np
import pytest
import torch

from dlcourse.chapters.optimisation.losses import (
    bernoulli_nll,
    best_constant,
    categorical_nll,
    classification_loss_curves,
    gaussian_nll,
    laplace_nll,
    regression_loss_curves,
)

RNG = np.random.default_rng(4)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_gaussian_nll_is_scaled_mse_plus_a_constant_like_torch(sigma):
    y, t = RNG.standard_normal(7), RNG.standard_normal(7)
    nll, mse, constant = gaussian_nll(y, t, sigma=sigma)
    assert mse == pytest.approx(np.mean((y - t) ** 2), rel=1e-12)
    assert nll == pytest.approx(mse / (2 * sigma**2) + constant, rel=1e-12)
    expected = -torch.distributions.Normal(torch.tensor(y), sigma).log_prob(torch.tensor(t))
    assert nll == pytest.approx(expected.mean().item(), rel=1e-12)


@pytest.mark.parametrize("b", [0.5, 1.0, 3.0])
def test_laplace_nll_is_scaled_l1_plus_a_constant_like_torch(b):
    y, t = RNG.standard_normal(6), RNG.standard_normal(6)
    nll, l1, constant = laplace_nll(y, t, b=b)
    assert l1 == pytest.approx(np.mean(np.abs(y - t)), rel=1e-12)
    assert nll == pytest.approx(l1 / b + constant, rel=1e-12)
    expected = -torch.distributions.Laplace(torch.tensor(y), b).log_prob(torch.tensor(t))
    assert nll == pytest.approx(expected.mean().item(), rel=1e-12)


def test_bernoulli_nll_equals_bce_with_logits_of_torch():
    z, t = RNG.standard_normal(9) * 3, (RNG.random(9) < 0.5).astype(float)
    nll, bce = bernoulli_nll(z, t)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(z),
                                                                    torch.tensor(t)).item()
    assert nll == pytest.approx(expected, rel=1e-10) and bce == pytest.approx(expected, rel=1e-10)


def test_categorical_nll_equals_cross_entropy_of_torch():
    z, t = RNG.standard_normal((8, 5)), RNG.integers(0, 5, 8)
    nll, ce = categorical_nll(z, t)
    expected = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(t)).item()
    assert nll == pytest.approx(expected, rel=1e-10) and ce == pytest.approx(expected, rel=1e-10)


def test_softmax_of_1_0_4_gives_the_third_class_a_loss_of_0_0659():
    # -log(e^4 / (e + 1 + e^4)) computed by hand
    expected = -math.log(math.exp(4) / (math.exp(1) + 1 + math.exp(4)))
    nll, ce = categorical_nll([[1.0, 0.0, 4.0]], [2])
    assert round(expected, 4) == 0.0659 and nll == pytest.approx(expected, rel=1e-12)


def test_regression_loss_curves_and_their_slopes_match_torch_autograd():
    r = np.array([-2.5, -0.3, 0.7, 1.9])
    curves = regression_loss_curves(r)
    for name, fn in (("MSE (L2)", lambda x: x * x), ("L1", torch.abs)):
        x = torch.tensor(r, requires_grad=True)
        fn(x).sum().backward()
        loss, grad = curves[name]
        np.testing.assert_allclose(loss, fn(torch.tensor(r)).numpy(), rtol=1e-12)
        np.testing.assert_allclose(grad, x.grad.numpy(), rtol=1e-12)
    assert len(regression_loss_curves()["r"]) == 241


def test_classification_loss_curves_are_softplus_of_the_logit():
    z = np.linspace(-5, 5, 11)
    c = classification_loss_curves(z)
    np.testing.assert_allclose(c["target 1"], torch.nn.functional.softplus(-torch.tensor(z)),
                               rtol=1e-10)
    np.testing.assert_allclose(c["target 0"], torch.nn.functional.softplus(torch.tensor(z)),
                               rtol=1e-10)
    np.testing.assert_allclose(c["p"], 1 / (1 + np.exp(-z)), rtol=1e-12)


def test_best_constant_is_the_mean_under_mse_and_the_median_under_l1():
    targets = RNG.integers(0, 50, 9).astype(float)
    assert best_constant(targets, "mse") == pytest.approx(np.mean(targets), abs=0.005)
    assert best_constant(targets, "l1") == pytest.approx(np.median(targets), abs=0.005)
    with pytest.raises(ValueError, match="loss must be"):
        best_constant(targets, "huber")


def test_the_chapter_example_losses_match_hand_computed_values():
    from dlcourse.nn import functional as F

    y_hat, y = np.array([2.5, 0.0, 2.1, 7.8]), np.array([3.0, -0.5, 2.0, 7.0])
    # squared errors 0.25, 0.25, 0.01, 0.64 -> mean 0.2875; absolute 0.5, 0.5, 0.1, 0.8 -> 0.475
    assert float(F.mse_loss(y_hat, y)) == pytest.approx(0.2875)
    assert float(F.l1_loss(y_hat, y)) == pytest.approx(0.475)
    # BCE of logits (0, 3) with labels (1, 0): (log 2 + log(1 + e^3)) / 2
    nll, _ = bernoulli_nll([0.0, 3.0], [1.0, 0.0])
    assert nll == pytest.approx((math.log(2) + math.log(1 + math.exp(3))) / 2)
    assert round(nll, 4) == 1.8709
