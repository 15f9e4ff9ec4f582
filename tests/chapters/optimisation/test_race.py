"""Optimiser races on 2-D surfaces, momentum's top speed, GD on a quadratic, Adam, schedules,
and gradient norms that do not care about the learning rate."""

import math

import numpy as np
import pytest
import torch

from dlcourse import nn
from dlcourse.chapters.optimisation import race as race_mod
from dlcourse.chapters.optimisation.race import (
    OPTIMIZERS,
    adam_first_steps,
    basins,
    fastest_lr,
    gd_steps_formula,
    gd_steps_needed,
    gradient_norms_at_init,
    gradient_norms_during_training,
    lr_curve,
    make_optimizer,
    momentum_max_step,
    momentum_step_sizes,
    race,
    steps_to_reach,
)
from dlcourse.chapters.optimisation.surfaces import bumps, quadratic
from dlcourse.optim.lr_scheduler import ExponentialLR, ReduceLROnPlateau, StepLR

TORCH_TWINS = {
    "SGD": lambda p, lr, b: torch.optim.SGD(p, lr=lr),
    "Momentum": lambda p, lr, b: torch.optim.SGD(p, lr=lr, momentum=b),
    "Nesterov": lambda p, lr, b: torch.optim.SGD(p, lr=lr, momentum=b, nesterov=True),
    "AdaGrad": lambda p, lr, b: torch.optim.Adagrad(p, lr=lr),
    "RMSProp": lambda p, lr, b: torch.optim.RMSprop(p, lr=lr),
    "Adam": lambda p, lr, b: torch.optim.Adam(p, lr=lr, betas=(b, 0.999)),
    "AdaMax": lambda p, lr, b: torch.optim.Adamax(p, lr=lr, betas=(b, 0.999)),
    "NAdam": lambda p, lr, b: torch.optim.NAdam(p, lr=lr, betas=(b, 0.999)),
}


def _torch_path(surface, name, start, *, lr, beta, steps):
    """The same race walked by torch.optim on a 2-element float64 tensor."""
    torch.set_default_dtype(torch.float64)
    try:
        p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        opt = TORCH_TWINS[name]([p], lr, beta)
        path = [p.detach().numpy().copy()]
        for _ in range(steps):
            p.grad = torch.from_numpy(surface.gradient(p.detach().numpy().copy()))
            opt.step()
            path.append(p.detach().numpy().copy())
    finally:
        torch.set_default_dtype(torch.float32)
    return np.array(path)


@pytest.mark.kernel_sensitive
@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("surface_name", ["quadratic", "bumps"])
def test_race_path_matches_torch_optim_step_for_step(name, surface_name):
    surface = quadratic(10.0) if surface_name == "quadratic" else bumps()
    start = (0.7, -2.1)
    ours = race(surface, [name], lr=0.05, beta=0.8, start=start, steps=30)[name]
    theirs = _torch_path(surface, name, start, lr=0.05, beta=0.8, steps=30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_sgd_on_the_quadratic_shrinks_each_axis_by_one_minus_lr_times_curvature():
    # the gradient of (x^2 + 10 y^2) / 2 is (x, 10 y): one step multiplies x by (1 - lr)
    # and y by (1 - 10 lr), so after k steps the point is known in closed form
    path = race("quadratic", ["SGD"], lr=0.15, start=(2.0, 1.0), steps=8)["SGD"]
    k = np.arange(9)
    np.testing.assert_allclose(path[:, 0], 2.0 * 0.85**k)
    np.testing.assert_allclose(path[:, 1], 1.0 * (-0.5) ** k)   # zig-zag across the valley


def test_sgd_above_two_over_kappa_diverges_along_the_steep_axis():
    path = race("quadratic", ["SGD"], lr=0.21, start=(1.0, 1.0), steps=50)["SGD"]
    # |1 - 10 * 0.21| = 1.1 > 1: y grows like 1.1^k (117 after 50 steps); x shrinks
    assert abs(path[-1, 1]) == pytest.approx(1.1**50) and abs(path[-1, 0]) < 1e-4


def test_race_takes_one_learning_rate_per_optimiser():
    paths = race("quadratic", ["SGD", "Adam"], lr={"SGD": 0.1, "Adam": 0.3}, steps=1,
                 start=(1.0, 0.0))
    assert paths["SGD"][1, 0] == pytest.approx(0.9)
    assert paths["Adam"][1, 0] == pytest.approx(0.7)      # Adam's first step has size lr


def test_race_rejects_unknown_optimisers_and_bad_learning_rates():
    with pytest.raises(ValueError, match="unknown optimiser"):
        race("quadratic", ["Adadelta"], lr=0.1)
    with pytest.raises(ValueError, match="learning rate of SGD must be positive"):
        race("quadratic", ["SGD"], lr=0.0)


@pytest.mark.kernel_sensitive
def test_momentum_escapes_the_plateau_where_plain_sgd_stalls():
    paths = race("bumps", ["SGD", "Momentum"], lr=0.1, beta=0.9, steps=100)
    s = bumps()
    glob = s.critical_points[0]
    assert s(paths["SGD"][-1]) > 0                          # still on the plateau
    assert s(paths["Momentum"][-1]) < glob.value + 0.01      # in the deepest well


@pytest.mark.kernel_sensitive
def test_basins_label_starts_by_the_minimum_they_reach():
    X, Y, label = basins("bumps", optimizer="Momentum", lr=0.1, steps=300, n=9)
    assert X.shape == Y.shape == label.shape == (9, 9)
    assert set(np.unique(label)) <= {-1, 0, 1}
    s = bumps()
    (gx, gy), (lx, ly) = s.minima()
    nearest = np.argmin((X - gx) ** 2 + (Y - gy) ** 2)
    assert label.ravel()[nearest] == 0
    nearest = np.argmin((X - lx) ** 2 + (Y - ly) ** 2)
    assert label.ravel()[nearest] == 1


def test_maximum_momentum_step_for_beta_09_is_ten_plain_steps():
    # geometric series 1 + 0.9 + 0.81 + ... = 1 / (1 - 0.9) = 10
    assert momentum_max_step(lr=0.01, grad_norm=3.0, beta=0.9) == pytest.approx(0.3)
    assert momentum_max_step(lr=1.0, grad_norm=1.0, beta=0.0) == 1.0
    with pytest.raises(ValueError, match="beta"):
        momentum_max_step(lr=1.0, grad_norm=1.0, beta=1.0)


def test_momentum_steps_are_partial_geometric_sums_approaching_the_maximum():
    sizes = momentum_step_sizes(0.1, 0.9, grad=(3.0, 4.0), steps=200)
    k = np.arange(1, 201)
    np.testing.assert_allclose(sizes, 0.1 * 5.0 * (1 - 0.9**k) / (1 - 0.9), rtol=1e-10)
    assert sizes[-1] == pytest.approx(momentum_max_step(0.1, 5.0, 0.9), rel=1e-8)


@pytest.mark.kernel_sensitive
@pytest.mark.parametrize("kappa", [1.0, 2.0, 10.0, 50.0])
def test_gd_steps_formula_agrees_with_running_sgd(kappa):
    # at the best lr both axes shrink by the same factor: the count is exact from any start
    assert gd_steps_needed(kappa) == gd_steps_formula(kappa)
    # at another lr the formula bounds the slowest axis: exact for a start on that axis
    lr = 0.5 / kappa
    assert gd_steps_needed(kappa, lr=lr, start=(1.0, 0.0)) == gd_steps_formula(kappa, lr=lr)
    assert gd_steps_needed(kappa, lr=lr) <= gd_steps_formula(kappa, lr=lr)


def test_gd_steps_for_condition_number_ten_is_35():
    # rho = (10 - 1) / (10 + 1); ln(1e-3) / ln(9 / 11) = 34.4 -> 35 steps
    assert gd_steps_formula(10.0) == 35 == math.ceil(math.log(1e-3) / math.log(9 / 11))


def test_gd_steps_grow_linearly_with_the_condition_number_and_diverge_past_two_over_kappa():
    assert gd_steps_formula(100.0) > 9 * gd_steps_formula(10.0)
    assert gd_steps_formula(10.0, lr=0.2) == math.inf
    assert gd_steps_needed(10.0, lr=0.25, max_steps=500) == math.inf


def test_adam_first_steps_match_optim_and_torch():
    grads = [2.0, -1.0, 0.5, 0.5, 3.0]
    rows = adam_first_steps(grads, lr=0.1)
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.1)
    for row, g in zip(rows, grads, strict=True):
        before = p.item()
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        assert row["step"] == pytest.approx(row["step_optim"], rel=1e-12)
        assert row["step"] == pytest.approx(before - p.item(), rel=1e-9)
    assert rows[0]["step"] == pytest.approx(0.1)                      # bias-corrected: lr
    assert rows[0]["step_uncorrected"] == pytest.approx(0.1 * 0.1 / math.sqrt(0.001))


def test_lr_curves_match_torch_schedulers():
    p = [torch.zeros(1, requires_grad=True)]
    for ours, make_theirs in [
        (lambda o: StepLR(o, step_size=3, gamma=0.5),
         lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
        (lambda o: ExponentialLR(o, gamma=0.8),
         lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.8)),
    ]:
        opt = torch.optim.SGD(p, lr=0.1)
        sched, theirs = make_theirs(opt), []
        for _ in range(10):
            theirs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        np.testing.assert_allclose(lr_curve(ours, epochs=10, lr=0.1), theirs, rtol=1e-12)


def test_plateau_schedule_follows_the_validation_loss_like_torch():
    metrics = [1.0, 0.8, 0.8, 0.8, 0.8, 0.5, 0.5, 0.5, 0.5, 0.5]
    ours = lr_curve(lambda o: ReduceLROnPlateau(o, factor=0.5, patience=2), epochs=10,
                    lr=0.1, metrics=metrics)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched, theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2), []
    for m in metrics:
        theirs.append(opt.param_groups[0]["lr"])
        sched.step(m)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_make_optimizer_builds_the_named_rule():
    p = [nn.Parameter(np.zeros(2))]
    assert make_optimizer("Nesterov", p, lr=0.1).nesterov
    assert make_optimizer("Adam", p, lr=0.1, beta=0.5).beta1 == 0.5
    with pytest.raises(ValueError, match="unknown optimiser"):
        make_optimizer("LBFGS", p, lr=0.1)


def test_gradient_norms_at_init_match_torch_autograd():
    torch.set_num_threads(1)
    net, x, target = race_mod._deep_net(5, "sigmoid", 1.0, 16, 3)
    twin = torch.nn.Sequential(*[m for _ in range(5)
                                 for m in (torch.nn.Linear(16, 16), torch.nn.Sigmoid())],
                               torch.nn.Linear(16, 10)).double()
    twin.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in net.state_dict().items()})
    loss = torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(target))
    loss.backward()
    expected = [twin[2 * i].weight.grad.norm().item() for i in range(5)]
    ours = gradient_norms_at_init(5, activation="sigmoid", width=16, seed=3)
    np.testing.assert_allclose(ours, expected, rtol=1e-10)


@pytest.mark.kernel_sensitive
def test_sigmoid_gradients_vanish_and_large_init_makes_them_explode():
    sig = gradient_norms_at_init(12, activation="sigmoid")
    assert sig[0] < 1e-4 * sig[-1]                    # shrink towards the input
    tanh = gradient_norms_at_init(12, activation="tanh", init_scale=3.0)
    assert tanh[0] > 10 * tanh[-1]                    # grow towards the input
    he = gradient_norms_at_init(12, activation="relu", init_scale=2**0.5)
    big = gradient_norms_at_init(12, activation="relu", init_scale=3.0)
    assert big.min() > 1e3 * he.max()                 # (3 / sqrt 2)^12 ~ 8e3 times larger


@pytest.mark.kernel_sensitive
def test_vanishing_gradients_do_not_depend_on_the_learning_rate():
    runs = {lr: gradient_norms_during_training(10, lr=lr, steps=5) for lr in (0.01, 0.1, 1.0)}
    np.testing.assert_array_equal(runs[0.01][0], runs[1.0][0])     # before any step: identical
    for norms in runs.values():
        assert norms.shape == (6, 10)
        assert (norms[:, 0] < 1e-3 * norms[:, -1]).all()           # vanishing at every lr
    with pytest.raises(ValueError, match="lr"):
        gradient_norms_during_training(3, lr=0.0)


def test_steps_to_reach_counts_from_when_the_path_stays_near_the_minimum():
    # SGD on x^2 / 2 from x = 1 with lr 0.5: f_k = 0.5 * 0.25^k <= 1e-3 first at k = 5
    paths = race("quadratic", ["SGD"], lr=0.5, start=(1.0, 0.0), steps=20)
    assert steps_to_reach("quadratic", paths, tol=1e-3) == {"SGD": 5}
    assert 0.5 * 0.25**5 <= 1e-3 < 0.5 * 0.25**4
    swinging = {"M": np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])}
    assert steps_to_reach("quadratic", swinging, tol=1e-3) == {"M": 3}   # left again at k = 2
    assert steps_to_reach("quadratic", {"far": swinging["M"][:3]}) == {"far": None}


def test_steps_to_reach_ignores_a_local_minimum():
    s = bumps()
    local = np.array([s.minima()[1]] * 3)
    assert steps_to_reach(s, {"stuck": local}) == {"stuck": None}


@pytest.mark.kernel_sensitive
def test_fastest_lr_picks_the_rate_with_fewest_steps():
    best = fastest_lr("quadratic", ["SGD", "Adam"], [0.01, 0.18, 0.3], start=(1.0, 1.0),
                      steps=200, tol=1e-6)
    runs = {lr: steps_to_reach("quadratic", race("quadratic", ["SGD"], lr=lr, start=(1.0, 1.0),
                                                 steps=200), tol=1e-6)["SGD"]
            for lr in (0.01, 0.18, 0.3)}
    assert runs[0.3] is None                       # above 2 / kappa = 0.2: diverges
    assert runs[0.01] is None                      # too slow: (1 - 0.01)^k needs > 600 steps
    assert best["SGD"] == (0.18, runs[0.18])
    assert best["Adam"][0] in (0.01, 0.18, 0.3)
    assert fastest_lr("quadratic", ["SGD"], [0.3], steps=20) == {"SGD": (None, None)}
