"""dlcourse.optim and dlcourse.optim.lr_scheduler against torch.optim: identical trajectories and
rates."""

import functools
import warnings

import numpy as np
import pytest
import torch

from dlcourse import nn, optim
from dlcourse.nn import Parameter
from dlcourse.optim import lr_scheduler as schedules

torch.set_num_threads(1)

SHAPES = [(3, 4), (5,)]  # two parameters, so per-parameter state is exercised
DIM = sum(int(np.prod(s)) for s in SHAPES)


@pytest.fixture
def torch_float64():
    """torch keeps step counters and NAdam's mu_product in the default dtype: make it float64."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def make_problem(seed=0):
    """A random quadratic plus a wavy term: convex far away, several local minima nearby."""
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((DIM, DIM))
    q = m @ m.T / DIM + 0.1 * np.eye(DIM)
    c = rng.standard_normal(DIM)

    def grad(flat):  # d/dp [0.5 p'Qp + c'p + 0.3 sum cos(2p)]
        return q @ flat + c - 0.6 * np.sin(2 * flat)

    start = [rng.standard_normal(s) for s in SHAPES]
    return grad, start


def split(flat):
    out, i = [], 0
    for s in SHAPES:
        n = int(np.prod(s))
        out.append(flat[i:i + n].reshape(s))
        i += n
    return out


def run_dlcourse(cls, kwargs, steps=50):
    """The loop of :func:`run_torch`, line for line: a fresh gradient array every step."""
    grad_fn, start = make_problem()
    params = [Parameter(p.copy()) for p in start]
    opt = cls(params, **kwargs)
    path = []
    for _ in range(steps):
        flat = np.concatenate([p.data.ravel() for p in params])
        for p, new in zip(params, split(grad_fn(flat)), strict=True):
            p.grad = new
        opt.step()
        path.append(np.concatenate([p.data.ravel() for p in params]))
    return np.array(path)


def run_torch(cls, kwargs, steps=50):
    grad_fn, start = make_problem()
    params = [torch.tensor(p, requires_grad=True) for p in start]
    opt = cls(params, foreach=False, **kwargs)
    path = []
    for _ in range(steps):
        flat = np.concatenate([p.detach().numpy().ravel() for p in params])
        for p, new in zip(params, split(grad_fn(flat)), strict=True):
            p.grad = torch.tensor(new)
        opt.step()
        path.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return np.array(path)


# Hyperparameters are chosen so that the 50-step path is not chaotic: moving the start by
# 1e-15 moves every path by < 1e-11.  (NAdam with lr=0.05, weight_decay=0.1 is: a 1e-15
# difference grows to 1e-8, so rounding alone would break any comparison.)
CASES = [
    (optim.SGD, torch.optim.SGD, {"lr": 0.05}),
    (optim.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    (optim.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (optim.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "dampening": 0.5}),
    (optim.SGD, torch.optim.SGD, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.SGD, torch.optim.SGD,
     {"lr": 0.02, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01}),
    (optim.AdaGrad, torch.optim.Adagrad, {"lr": 0.1}),
    (optim.AdaGrad, torch.optim.Adagrad,
     {"lr": 0.3, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    (optim.AdaGrad, torch.optim.Adagrad, {"lr": 0.1, "eps": 1e-3}),
    (optim.RMSProp, torch.optim.RMSprop, {"lr": 0.01}),
    (optim.RMSProp, torch.optim.RMSprop, {"lr": 0.01, "momentum": 0.9}),
    (optim.RMSProp, torch.optim.RMSprop, {"lr": 0.01, "centered": True}),
    (optim.RMSProp, torch.optim.RMSprop,
     {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    (optim.RMSProp, torch.optim.RMSprop, {"lr": 0.05, "alpha": 0.9, "eps": 1e-3}),
    (optim.Adam, torch.optim.Adam, {"lr": 0.05}),
    (optim.Adam, torch.optim.Adam, {"lr": 0.05, "amsgrad": True}),
    (optim.Adam, torch.optim.Adam, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.Adam, torch.optim.Adam,
     {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-4, "amsgrad": True, "weight_decay": 0.05}),
    (optim.AdamW, torch.optim.AdamW, {"lr": 0.05}),
    (optim.AdamW, torch.optim.AdamW, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.AdamW, torch.optim.AdamW,
     {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-4, "amsgrad": True, "weight_decay": 0.5}),
    (optim.AdaMax, torch.optim.Adamax, {"lr": 0.05}),
    (optim.AdaMax, torch.optim.Adamax,
     {"lr": 0.1, "betas": (0.8, 0.9), "eps": 1e-4, "weight_decay": 0.1}),
    (optim.NAdam, torch.optim.NAdam, {"lr": 0.05}),
    (optim.NAdam, torch.optim.NAdam, {"lr": 0.03, "weight_decay": 0.1}),
    (optim.NAdam, torch.optim.NAdam,
     {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-4, "momentum_decay": 0.01}),
]


@pytest.mark.kernel_sensitive
@pytest.mark.parametrize(("ours", "theirs", "kwargs"), CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_optimiser_trajectory_matches_torch_for_50_steps(torch_float64, ours, theirs, kwargs):
    expected = run_torch(theirs, kwargs)
    path = run_dlcourse(ours, kwargs)
    assert np.abs(expected[-1] - expected[0]).max() > 0.05  # the optimiser really moved
    np.testing.assert_allclose(path, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [optim.SGD, optim.AdaGrad, optim.RMSProp, optim.Adam,
                                 optim.AdamW, optim.AdaMax, optim.NAdam])
def test_step_updates_the_same_arrays_in_place_and_keeps_float32(cls):
    p = Parameter(np.ones((2, 3), dtype=np.float32))
    values = p.data
    opt = cls([p], lr=0.1)
    p.grad = g = np.full((2, 3), 0.5, dtype=np.float32)
    opt.step()
    assert p.data is values and p.dtype == np.float32
    assert np.all(values < 1)
    np.testing.assert_array_equal(g, 0.5)  # gradients are read, never written


def test_zero_grad_forgets_the_gradients_and_step_then_leaves_the_parameter_alone():
    p = Parameter(np.ones(3))
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.array([1.0, 2.0, 3.0])
    opt.zero_grad()
    assert p.grad is None
    opt.step()
    np.testing.assert_array_equal(p.data, 1.0)


def test_rebinding_a_gradient_between_backward_and_step_still_trains():
    # The optimiser reads p.grad when it steps: an array put there by hand (clipped,
    # say) is the one used -- it cannot keep updating from an old array it held on to.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    model = nn.Linear(3, 1, rng=0, dtype="float64")
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()
    first = None
    for _ in range(100):
        loss = float(loss_fn(model(X), y[:, None]))
        first = loss if first is None else first
        opt.zero_grad()
        model.backward(loss_fn.backward())
        w = model.weight
        computed = w.grad
        w.grad = np.clip(computed, -0.5, 0.5)               # a new array
        assert w.grad is not computed
        before = w.data.copy()
        opt.step()
        np.testing.assert_allclose(w.data, before - 0.1 * w.grad, rtol=1e-12)  # seen
    assert loss < 1e-3 * first


def test_changing_lr_changes_the_next_step():
    p = Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.ones(1)
    opt.step()
    opt.lr = 0.01
    opt.step()
    assert p.data[0] == pytest.approx(-0.11, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [(lambda: optim.SGD([], lr=0.1), ValueError, "empty list of parameters"),
     (lambda: optim.SGD([np.zeros(2)], lr=0.1), TypeError,
      r"params\[0\] must be a dlcourse.nn.Parameter .* got ndarray"),
     (lambda: optim.SGD([Parameter(np.zeros(2, dtype=int))], lr=0.1), TypeError,
      "floating dtype"),
     (lambda: optim.Adam([Parameter(np.zeros(2))], lr=-1.0), ValueError, "lr must be"),
     (lambda: optim.Adam([Parameter(np.zeros(2))], betas=(0.9, 1.0)), ValueError,
      r"betas\[1\] must be in"),
     (lambda: optim.SGD([Parameter(np.zeros(2))], nesterov=True), ValueError,
      "Nesterov momentum requires")],
)
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_gradient_of_the_wrong_shape_is_refused_when_it_is_assigned():
    p = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the parameter has shape"):
        p.grad = np.zeros(3)


def test_trajectory_matches_a_hand_written_loop_and_starts_at_start():
    def grad_fn(x):  # Rosenbrock's gradient
        return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
                         200 * (x[1] - x[0] ** 2)])

    start = np.array([-1.5, 2.0])
    path = optim.trajectory(grad_fn, start, functools.partial(optim.Adam, lr=0.05), steps=30)
    x = Parameter(start.copy())
    opt = optim.Adam([x], lr=0.05)
    expected = [x.data.copy()]
    for _ in range(30):
        x.grad = grad_fn(x.data)
        opt.step()
        expected.append(x.data.copy())
    assert path.shape == (31, 2)
    np.testing.assert_array_equal(path, np.array(expected))
    np.testing.assert_array_equal(start, [-1.5, 2.0])  # the caller's start is not moved


@pytest.mark.kernel_sensitive
def test_trajectory_of_gradient_descent_on_a_bowl_converges_to_its_bottom():
    path = optim.trajectory(lambda x: x - 3.0, [0.0, 10.0],
                            lambda params: optim.SGD(params, lr=0.5), steps=40)
    np.testing.assert_allclose(path[-1], [3.0, 3.0], atol=1e-9)


# --- learning-rate schedules -----------------------------------------------------------------

def _lr_sequences(ours_factory, theirs_factory, metrics):
    ours_opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours, theirs = ours_factory(ours_opt), theirs_factory(theirs_opt)
    ours_lrs, theirs_lrs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "scheduler.step() before optimizer.step()"
        for metric in metrics:
            ours_lrs.append(ours_opt.lr)
            theirs_lrs.append(theirs_opt.param_groups[0]["lr"])
            if metric is None:
                ours.step()
                theirs.step()
            else:
                ours.step(metric)
                theirs.step(metric)
    return np.array(ours_lrs), np.array(theirs_lrs)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(lambda o: schedules.StepLR(o, step_size=3, gamma=0.5),
      lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
     (lambda o: optim.lr_scheduler.StepLR(o, 1),
      lambda o: torch.optim.lr_scheduler.StepLR(o, 1)),
     (lambda o: schedules.ExponentialLR(o, gamma=0.9),
      lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9))],
)
def test_epoch_schedules_match_torch_for_30_epochs(ours, theirs):
    got, expected = _lr_sequences(ours, theirs, [None] * 30)
    assert expected[-1] < expected[0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"start_factor": 0.01, "total_iters": 10},
                                    {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 7}])
def test_linear_warm_up_matches_torch_linear_lr(kwargs):
    got, expected = _lr_sequences(lambda o: schedules.LinearLR(o, **kwargs),
                                  lambda o: torch.optim.lr_scheduler.LinearLR(o, **kwargs),
                                  [None] * 15)
    assert expected[0] != expected[-1]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize(("kwargs", "message"), [({"start_factor": 0.0}, "start_factor"),
                                                 ({"end_factor": 1.5}, "end_factor"),
                                                 ({"total_iters": 0}, "total_iters")])
def test_linear_lr_rejects_bad_factors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        schedules.LinearLR(optim.SGD([Parameter(np.zeros(1))], lr=0.1), **kwargs)


def test_decoupled_decay_equals_l2_for_plain_sgd_but_not_for_adam():
    # Same gradients, same decay 0.1: plain SGD with L2 in the gradient takes exactly the
    # step of "shrink by lr * wd, then step with the plain gradient"; Adam and AdamW do not.
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(20, 4)) * np.array([10.0, 1.0, 0.1, 0.01])

    def run(make, decoupled_sgd=False):
        p = Parameter(np.ones(4))
        opt = make([p])
        for g in grads:
            if decoupled_sgd:
                p.data *= 1 - 0.05 * 0.1
            p.grad = g.copy()
            opt.step()
        return p.data

    l2_sgd = run(lambda ps: optim.SGD(ps, lr=0.05, weight_decay=0.1))
    decoupled_sgd = run(lambda ps: optim.SGD(ps, lr=0.05), decoupled_sgd=True)
    np.testing.assert_allclose(l2_sgd, decoupled_sgd, rtol=1e-12)
    adam = run(lambda ps: optim.Adam(ps, lr=0.05, weight_decay=0.1))
    adamw = run(lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1))
    assert np.abs(adam - adamw).max() > 0.05


# A scripted validation loss: falls, plateaus, falls a little, plateaus, then noise.
SCRIPTED = [5.0, 4.0, 3.0, 3.0, 3.0, 2.9999, 3.1, 3.0, 2.5, 2.5, 2.5, 2.5, 2.49, 2.6,
            2.7, 2.0, 2.0, 2.0, 2.0, 2.0, 1.9, 1.95, 1.96, 1.97, 1.98, 1.99, 2.0, 1.5, 1.5, 1.5]


@pytest.mark.parametrize(
    "kwargs",
    [{"patience": 2},
     {"patience": 1, "factor": 0.5},
     {"patience": 0, "threshold": 0.01},
     {"patience": 1, "threshold": 0.05, "threshold_mode": "abs"},
     {"patience": 1, "cooldown": 2, "factor": 0.5},
     {"patience": 0, "min_lr": 0.02, "factor": 0.3},
     {"mode": "max", "patience": 1},
     {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.2}],
)
def test_reduce_lr_on_plateau_matches_torch_on_a_scripted_loss(kwargs):
    got, expected = _lr_sequences(
        lambda o: schedules.ReduceLROnPlateau(o, **kwargs),
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, **kwargs),
        SCRIPTED,
    )
    assert expected[-1] < expected[0]  # the script does trigger reductions
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_reduce_lr_on_plateau_rejects_a_growing_factor():
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="factor must be in"):
        schedules.ReduceLROnPlateau(opt, factor=2.0)
