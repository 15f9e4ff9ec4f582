"""Chapter 04 exercises: one step of SGD with momentum, Nesterov, RMSProp and Adam.

Each step is checked along a whole trajectory on a quadratic bowl
``f(x) = x·Ax/2 - b·x`` (gradient ``Ax - b``): the grader feeds the learner's step the
gradient at the learner's own previous point and compares every point with the trajectory
of the matching ``torch.optim`` optimiser, run in the trusted process.  The update formulas
(and hyperparameter names) are exactly PyTorch's.
"""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT
from dlcourse.grading.spec import Case, Comparison, Exercise, StudentError, describe

FORBIDDEN = ("torch.optim", "dlcourse.optim")


# --- references (PyTorch's update rules, written out) ---------------------------------------

def sgd_momentum_step(param, grad, velocity, *, lr, momentum=0.9):
    """v <- momentum v + g;  p <- p - lr v.  Returns ``(param, velocity)``."""
    velocity = momentum * velocity + grad
    return param - lr * velocity, velocity


def nesterov_step(param, grad, velocity, *, lr, momentum=0.9):
    """v <- momentum v + g;  p <- p - lr (g + momentum v).  Returns ``(param, velocity)``."""
    velocity = momentum * velocity + grad
    return param - lr * (grad + momentum * velocity), velocity


def rmsprop_step(param, grad, square_avg, *, lr, alpha=0.99, eps=1e-8):
    """s <- alpha s + (1 - alpha) g²;  p <- p - lr g / (sqrt(s) + eps)."""
    square_avg = alpha * square_avg + (1 - alpha) * grad ** 2
    return param - lr * grad / (np.sqrt(square_avg) + eps), square_avg


def adam_step(param, grad, m, v, t, *, lr, betas=(0.9, 0.999), eps=1e-8):
    """Adam's step number ``t`` (from 1) with bias-corrected moments.  Returns (param, m, v)."""
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


# --- trajectories --------------------------------------------------------------------------

def _torch_trajectory(optimizer, x0, A, b, steps, hyper):
    """Points visited by ``torch.optim.<optimizer>`` on the quadratic, one per step."""
    import torch

    p = torch.nn.Parameter(torch.from_numpy(x0.copy()))
    opt = getattr(torch.optim, optimizer)([p], **hyper)
    points = []
    for _ in range(steps):
        p.grad = torch.from_numpy(A @ p.detach().numpy() - b)
        opt.step()
        points.append(p.detach().numpy().copy())
    return tuple(points)


def _step_problem(out, x, parts: tuple[str, ...]) -> str | None:
    """What is wrong with the structure of one step's return value, if anything."""
    want = f"a tuple ({', '.join(parts)}) of arrays shaped like param"
    if not isinstance(out, (tuple, list)) or len(out) != len(parts):
        return f"returned {describe(out)}; expected {want}"
    for name, value in zip(parts, out, strict=True):
        if not isinstance(value, np.ndarray) or value.shape != x.shape:
            return f"{name} is {describe(value)}; expected {want}"
    return None


def _driver(optimizer: str, parts: tuple[str, ...], *, extra=None, counts_steps=False):
    """``drive(case, call)`` running the learner's step along a trajectory (module doc)."""
    def drive(case, call):
        x0, A, b, steps = case.args
        hyper = dict(case.kwargs)
        expected = _torch_trajectory(optimizer, x0, A, b, steps, {**hyper, **(extra or {})})
        x, state, got = x0.copy(), [np.zeros_like(x0) for _ in parts[1:]], []
        for t in range(1, steps + 1):
            args = (x, A @ x - b, *state, *((t,) if counts_steps else ()))
            out = call(args, hyper)
            problem = _step_problem(out, x0, parts)
            if problem:
                raise StudentError(f"at step {t}: {problem}")
            x, *state = out
            got.append(x)
        return Comparison(tuple(got), expected, [f"param after step {t + 1}"
                                                 for t in range(steps)])
    return drive


def _bowl(rng, n, condition):
    """A random symmetric positive definite A with the given condition number, and b."""
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = q @ np.diag(np.geomspace(1.0, condition, n)) @ q.T
    return (A + A.T) / 2, rng.normal(size=n)


def _public(**hyper):
    A, b = np.diag([1.0, 10.0]), np.zeros(2)
    x0 = np.ones(2)
    return lambda: [
        Case((x0, A, b, 1), hyper, label="one step from zero state on x·diag(1, 10)x/2"),
        Case((x0, A, b, 5), hyper, label="five steps on the same bowl"),
        Case((np.array([2.0, -1.0]), A, np.array([1.0, 1.0]), 4), hyper,
             label="four steps, minimum away from 0"),
    ]


def _edge(**hyper):
    A, b = np.diag([2.0, 0.5]), np.array([1.0, -1.0])
    return lambda: [
        Case((np.ones(2, np.float32), A.astype(np.float32), b.astype(np.float32), 6), hyper,
             label="float32 parameters", hint=DTYPE_HINT),
        Case((np.linalg.solve(A, b), A, b, 3), hyper, label="starting at the minimum: g = 0"),
    ]


def _hidden(sample_hyper):
    def hidden(rng, student):
        cases = []
        for _ in range(4):
            n, steps = int(rng.integers(2, 6)), int(rng.integers(8, 25))
            A, b = _bowl(rng, n, float(rng.uniform(2, 50)))
            hyper = sample_hyper(rng)
            cases.append(Case((rng.normal(size=n), A, b, steps), hyper,
                              label=f"random {n}-D bowl, {steps} steps, {hyper}"))
        return cases
    return hidden


def _momentum_hyper(rng):
    return {"lr": round(float(rng.uniform(0.005, 0.05)), 4),
            "momentum": round(float(rng.uniform(0.5, 0.95)), 3)}


def _rmsprop_hyper(rng):
    return {"lr": round(float(rng.uniform(0.005, 0.05)), 4),
            "alpha": round(float(rng.uniform(0.8, 0.99)), 3)}


def _adam_hyper(rng):
    return {"lr": round(float(rng.uniform(0.005, 0.1)), 4),
            "betas": (round(float(rng.uniform(0.8, 0.95)), 3),
                      round(float(rng.uniform(0.99, 0.999)), 4))}


EXERCISES = [
    Exercise("ch04.sgd_momentum_step", "sgd_momentum_step", 2, sgd_momentum_step,
             _public(lr=0.05, momentum=0.9), _hidden(_momentum_hyper),
             edge=_edge(lr=0.1, momentum=0.8), forbidden=FORBIDDEN,
             drive=_driver("SGD", ("param", "velocity")),
             hint="velocity = momentum * velocity + grad; param - lr * velocity"),
    Exercise("ch04.nesterov_step", "nesterov_step", 2, nesterov_step,
             _public(lr=0.05, momentum=0.9), _hidden(_momentum_hyper),
             edge=_edge(lr=0.1, momentum=0.8), forbidden=FORBIDDEN,
             drive=_driver("SGD", ("param", "velocity"), extra={"nesterov": True}),
             hint="as momentum, but step along grad + momentum * (new velocity)"),
    Exercise("ch04.rmsprop_step", "rmsprop_step", 2, rmsprop_step, _public(lr=0.01),
             _hidden(_rmsprop_hyper), edge=_edge(lr=0.01, alpha=0.9), forbidden=FORBIDDEN,
             drive=_driver("RMSprop", ("param", "square_avg")),
             hint="square_avg = alpha * square_avg + (1 - alpha) * grad**2; "
                  "divide by sqrt(square_avg) + eps"),
    Exercise("ch04.adam_step", "adam_step", 2, adam_step, _public(lr=0.1),
             _hidden(_adam_hyper), edge=_edge(lr=0.05, betas=(0.8, 0.99)), forbidden=FORBIDDEN,
             drive=_driver("Adam", ("param", "m", "v"), counts_steps=True),
             hint="bias-correct both moments with 1 - beta**t before the step"),
]
