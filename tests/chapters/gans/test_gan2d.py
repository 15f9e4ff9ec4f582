"""dlcourse.chapters.gans.gan2d: GAN losses and their gradients (vs torch autograd), the 2-D GAN
trainer."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.gans import gan2d as gan
from dlcourse.data import mixture_centers
from dlcourse.gradcheck import check_gradient

torch.set_num_threads(1)
RNG = np.random.default_rng(11)


def _torch_losses(real, fake):
    r = torch.tensor(real, requires_grad=True)
    f = torch.tensor(fake, requires_grad=True)
    ones, zeros = torch.ones_like(r), torch.zeros_like(f)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    d_loss = bce(r, ones) + bce(f, zeros)
    return r, f, d_loss


@pytest.mark.parametrize("shape", [(1,), (7,), (5, 1), (3, 4)])
def test_discriminator_loss_and_gradients_match_torch_bce(shape):
    real, fake = RNG.normal(0, 3, shape), RNG.normal(0, 3, (2,) + shape)
    r, f, d_loss = _torch_losses(real, fake)
    d_loss.backward()
    assert abs(float(gan.discriminator_loss(real, fake)) - d_loss.item()) < 1e-12
    g_real, g_fake = gan.discriminator_loss_backward(1.0, real, fake)
    np.testing.assert_allclose(g_real, r.grad.numpy(), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(g_fake, f.grad.numpy(), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("kind", gan.GENERATOR_LOSSES)
def test_generator_losses_and_gradients_match_torch_autograd(kind):
    fake = RNG.normal(0, 4, 9)
    s = torch.tensor(fake, requires_grad=True)
    d = torch.sigmoid(s)
    loss = torch.log1p(-d).mean() if kind == "minimax" else -torch.log(d).mean()
    (2.5 * loss).backward()
    np.testing.assert_allclose(gan.generator_loss(fake, kind=kind), loss.item(), rtol=1e-9)
    np.testing.assert_allclose(gan.generator_loss_backward(2.5, fake, kind=kind),
                               s.grad.numpy(), rtol=1e-9)


@pytest.mark.parametrize("kind", gan.GENERATOR_LOSSES)
def test_generator_loss_gradients_pass_gradcheck(kind):
    fake = RNG.normal(0, 2, (4, 3))
    result = check_gradient(lambda s: gan.generator_loss(s, kind=kind), fake,
                            gan.generator_loss_backward(1.0, fake, kind=kind))
    assert result.ok, result.error


def test_losses_stay_finite_for_extreme_logits():
    s = np.array([-800.0, 800.0])
    assert np.isfinite(gan.discriminator_loss(s, s))
    for kind in gan.GENERATOR_LOSSES:
        assert np.isfinite(gan.generator_loss(s, kind=kind))
        assert np.isfinite(gan.generator_loss_backward(1.0, s, kind=kind)).all()


def test_losses_keep_float32():
    s = RNG.normal(size=5).astype(np.float32)
    assert gan.discriminator_loss_backward(1.0, s, s)[0].dtype == np.float32
    assert gan.generator_loss_backward(1.0, s).dtype == np.float32


def test_discriminator_loss_is_log_4_when_d_is_one_half_everywhere():
    # D = sigmoid(0) = 1/2: -log(1/2) - log(1/2) = 2 log 2 = log 4 (Goodfellow et al. 2014, Thm 1)
    assert gan.discriminator_loss(np.zeros(4), np.zeros(6)) == pytest.approx(np.log(4))


def test_at_d_of_fake_0_01_minimax_gradient_is_tiny_and_non_saturating_is_near_minus_one():
    # d/ds log(1 - sigmoid(s)) = -sigmoid(s) = -0.01; d/ds -log sigmoid(s) = sigmoid(s) - 1
    s = np.array([np.log(0.01 / 0.99)])
    assert gan.generator_loss_backward(1.0, s, kind="minimax")[0] == pytest.approx(-0.01)
    assert gan.generator_loss_backward(1.0, s)[0] == pytest.approx(-0.99)
    curves = gan.generator_loss_curves(np.array([0.01]))
    assert curves["minimax_grad"][0] == pytest.approx(-0.01)
    assert curves["non_saturating"][0] == pytest.approx(-np.log(0.01))


def test_generator_loss_curves_reject_d_outside_open_interval():
    with pytest.raises(ValueError, match="strictly between"):
        gan.generator_loss_curves(np.array([0.0, 0.5]))


def test_unknown_generator_loss_kind_is_rejected():
    with pytest.raises(ValueError, match="kind must be one of"):
        gan.generator_loss(np.zeros(2), kind="wasserstein")


def test_optimal_discriminator_for_two_unit_gaussians_is_a_sigmoid():
    # p_data = N(0, 1), p_g = N(1, 1): D*(x) = 1 / (1 + exp(x - 1/2)), 1/2 at x = 1/2
    x = np.linspace(-3, 3, 13)
    p_data, p_g = np.exp(-x**2 / 2), np.exp(-(x - 1) ** 2 / 2)
    np.testing.assert_allclose(gan.optimal_discriminator(p_data, p_g), 1 / (1 + np.exp(x - 0.5)))
    with pytest.raises(ValueError, match="shape"):
        gan.optimal_discriminator(p_data, p_g[:3])


def test_mode_coverage_counts_modes_with_enough_nearby_samples():
    centers = mixture_centers(8)
    samples = np.repeat(centers[:3], [50, 50, 1], axis=0)   # the third mode has 1 of 101 points
    assert gan.mode_coverage(samples, centers) == 2
    assert gan.mode_coverage(samples, centers, min_fraction=0.005) == 3


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_train_gan_2d_defaults_cover_all_modes_and_low_lr_d_collapses():
    # Mode coverage is what tells the two regimes apart, with a wide margin: seeds 0 to 5, on
    # AVX-512 and AVX2 kernels, give 6 to 8 modes at the end of the default run and at most 1
    # at every snapshot of the collapsed one.  (The collapsed blob's spread is no measure: it
    # wanders and swells, 0.06 to 3.0, from one snapshot and one CPU to the next.)
    good = gan.train_gan_2d()
    assert good.coverage[-1] >= 6 and good.coverage[0] == 0
    assert len(good.epochs) == len(good.samples) == len(good.surfaces) == 10
    assert good.surfaces[-1].shape == (41, 41) and 0 <= good.surfaces[-1].min()
    collapsed = gan.train_gan_2d(lr_g=1e-2, lr_d=1e-3)
    assert max(collapsed.coverage) <= 2


def test_train_gan_2d_is_deterministic_and_restores_threads():
    before = torch.get_num_threads()
    a = gan.train_gan_2d(epochs=3, n_snapshots=2)
    b = gan.train_gan_2d(epochs=3, n_snapshots=2)
    np.testing.assert_array_equal(a.samples[-1], b.samples[-1])
    assert a.d_loss == b.d_loss and torch.get_num_threads() == before


def test_gan_lab_caches_runs_and_picks_snapshots():
    first = gan.gan_lab(epochs=3, seed=5)
    again = gan.gan_lab(epochs=3, seed=5, snapshot=0)
    assert again["cached"] and again["run"] is first["run"]
    assert (again["epoch"], again["step"]) == (0, 0) and first["epoch"] == 3
    assert gan.gan_lab(epochs=3, seed=5, snapshot=10)["epoch"] == 3   # clipped to the last
    with pytest.raises(ValueError, match="snapshot"):
        gan.gan_lab(epochs=3, seed=5, snapshot=-20)


def test_train_gan_2d_rejects_bad_settings():
    with pytest.raises(ValueError, match="d_steps"):
        gan.train_gan_2d(d_steps=0)
    with pytest.raises(ValueError, match="kind"):
        gan.train_gan_2d(loss="hinge")


def test_losses_on_cupy_match_numpy(cupy):
    real, fake = RNG.normal(size=6), RNG.normal(size=4)
    got = gan.discriminator_loss_backward(1.0, cupy.asarray(real), cupy.asarray(fake))
    want = gan.discriminator_loss_backward(1.0, real, fake)
    for g, w in zip(got, want, strict=True):
        assert isinstance(g, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(g), w, rtol=1e-12)
    for kind in gan.GENERATOR_LOSSES:
        np.testing.assert_allclose(
            float(gan.generator_loss(cupy.asarray(fake), kind=kind)),
            float(gan.generator_loss(fake, kind=kind)), rtol=1e-12)
