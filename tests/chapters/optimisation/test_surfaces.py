"""The 2-D loss surfaces of chapter 04: values, gradients, Hessians and critical points."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.optimisation.surfaces import (
    SURFACES,
    Surface,
    bumps,
    get_surface,
    grid,
    quadratic,
)
from dlcourse.gradcheck import check_gradient

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("surface", [quadratic(10.0), quadratic(25.0, angle=30.0), bumps()],
                         ids=["quadratic", "turned quadratic", "bumps"])
def test_gradient_matches_finite_differences_at_random_points(surface):
    for p in RNG.uniform(-3, 3, size=(5, 2)):
        result = check_gradient(lambda q: surface(q), p, surface.gradient(p))
        assert result.ok, result.error


def test_gradient_is_vectorised_over_leading_axes():
    s = bumps()
    p = RNG.uniform(-3, 3, size=(4, 3, 2))
    g = s.gradient(p)
    assert g.shape == (4, 3, 2) and s(p).shape == (4, 3)
    np.testing.assert_allclose(g[2, 1], s.gradient(p[2, 1]), rtol=1e-14)


def test_bumps_gradient_matches_torch_autograd():
    p = RNG.uniform(-3, 3, size=(6, 2))
    t = torch.tensor(p, requires_grad=True)
    x, y = t[:, 0], t[:, 1]
    f = 0.01 * (x**2 + (y - 0.8) ** 2)
    for cx, cy, depth, width in ((1.3, 1.0, 2.0, 0.7), (-1.5, 0.8, 1.3, 0.6)):
        f = f - depth * torch.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * width**2))
    f.sum().backward()
    np.testing.assert_allclose(bumps()(p), f.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(bumps().gradient(p), t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_quadratic_hessian_has_eigenvalues_one_and_the_condition_number():
    for angle in (0.0, 30.0, 90.0):
        h = quadratic(40.0, angle=angle).hessian([0.3, -0.2])
        np.testing.assert_allclose(np.linalg.eigvalsh(h), [1.0, 40.0], rtol=1e-6)


def test_quadratic_rejects_condition_number_below_one():
    with pytest.raises(ValueError, match="condition_number"):
        quadratic(0.5)


def test_quadratic_has_a_single_minimum_at_the_origin():
    points = quadratic(10.0).critical_points
    assert [c.kind for c in points] == ["minimum"]
    np.testing.assert_allclose(points[0].point, [0.0, 0.0], atol=1e-8)


def test_bumps_has_a_global_minimum_a_local_minimum_and_a_saddle_between():
    s = bumps()
    kinds = [c.kind for c in s.critical_points]
    assert kinds == ["minimum", "minimum", "saddle"]
    glob, local, saddle = s.critical_points
    assert glob.value < local.value < saddle.value
    assert local.point[0] < saddle.point[0] < glob.point[0]      # the saddle sits between
    for c in s.critical_points:
        assert np.linalg.norm(s.gradient(c.point)) < 1e-8
    assert s.minima() == [glob.point, local.point]


def test_bumps_start_lies_on_a_plateau():
    s = bumps()
    slope_at_start = np.linalg.norm(s.gradient(s.start))
    slope_in_a_well = np.linalg.norm(s.gradient([0.6, 1.0]))
    assert slope_at_start < 0.1 < slope_in_a_well


def test_points_must_have_two_coordinates():
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        bumps()([1.0, 2.0, 3.0])


def test_get_surface_by_name_or_object_and_rejects_unknown_names():
    s = bumps()
    assert get_surface(s) is s
    assert all(isinstance(get_surface(name), Surface) for name in SURFACES)
    with pytest.raises(ValueError, match="unknown surface"):
        get_surface("banana")


def test_grid_evaluates_the_surface_on_its_extent():
    X, Y, Z = grid("quadratic", n=5)
    assert X.shape == Y.shape == Z.shape == (5, 5)
    assert (X[0, 0], X[0, -1], Y[0, 0], Y[-1, 0]) == (-3.0, 3.0, -3.0, 3.0)
    np.testing.assert_allclose(Z, 0.5 * (X**2 + 10 * Y**2))
