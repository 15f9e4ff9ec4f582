"""Chapter 11 exercises: the GAN losses and their gradients with respect to D's logits, then
one whole alternating GAN step with the gradients of both players' parameters.

The discriminator outputs a logit ``l`` and ``D = sigmoid(l)``.  Its loss is the binary
cross-entropy of real samples against label 1 plus fake samples against label 0.  The
generator either minimises ``mean(log(1 - D(G(z))))`` (the *saturating* loss of the
original minimax game) or, as everybody does in practice, ``-mean(log D(G(z)))`` (the
*non-saturating* loss: BCE against label 1).  Both are written with ``softplus``
(``log(1 + e^x)``, ``np.logaddexp(0, x)``) so that confident logits cannot overflow.
``tests/grading`` checks them against ``F.binary_cross_entropy_with_logits`` and autograd.

The step uses the smallest players that still make a GAN: a logistic discriminator
``D(x) = sigmoid(x @ w + b)`` and a linear generator ``G(z) = z @ A + c``.  The D step
treats the fakes as fixed inputs and moves ``(w, b)``; the G step then sends its
non-saturating loss back *through the updated D* into ``(A, c)``, as in the lecture's step.
"""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT, NUMPY_ONLY
from dlcourse.grading.exercises.ch05 import GRADIENT_CHECK
from dlcourse.grading.spec import Case, Exercise

A = np.array
FORBIDDEN = (*NUMPY_ONLY, "dlcourse.autograd")


# --- references ----------------------------------------------------------------------------

def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


def discriminator_loss(real_logits, fake_logits):
    """``(loss, d_real, d_fake)``: loss = mean(softplus(-real)) + mean(softplus(fake)),
    i.e. BCE(real, 1) + BCE(fake, 0), and its gradients with respect to both logit arrays."""
    loss = np.logaddexp(0, -real_logits).mean() + np.logaddexp(0, fake_logits).mean()
    d_real = (_sigmoid(real_logits) - 1) / real_logits.size
    d_fake = _sigmoid(fake_logits) / fake_logits.size
    return float(loss), d_real.astype(real_logits.dtype), d_fake.astype(fake_logits.dtype)


def generator_loss(fake_logits, *, saturating=False):
    """``(loss, d_fake)`` of the generator given D's logits on fake samples.

    Non-saturating (default): loss = -mean(log D) = mean(softplus(-l)).
    Saturating: loss = mean(log(1 - D)) = -mean(softplus(l))."""
    n = fake_logits.size
    if saturating:
        loss, grad = -np.logaddexp(0, fake_logits).mean(), -_sigmoid(fake_logits) / n
    else:
        loss, grad = np.logaddexp(0, -fake_logits).mean(), (_sigmoid(fake_logits) - 1) / n
    return float(loss), grad.astype(fake_logits.dtype)


def gan_step(x_real, z, w, b, A, c, *, lr):
    """One alternating step of D(x) = sigmoid(x @ w + b) and G(z) = z @ A + c.

    x_real (n, d), z (m, k), w (d,), b a number, A (k, d), c (d,).  The D step computes
    L_D = BCE(D(x_real), 1) + BCE(D(G(z)), 0) and its gradients ``dw``, ``db`` (G fixed),
    then moves ``w, b`` by ``-lr`` times them; the G step computes the non-saturating
    L_G = -mean(log D(G(z))) with the *updated* D and its gradients ``dA``, ``dc``.
    Returns ``{"d_loss", "dw", "db", "g_loss", "dA", "dc"}`` (losses and ``db`` numbers).
    """
    x_fake = z @ A + c  # (m, d): plain data to the D step, which cannot move G
    d_loss, ds_real, ds_fake = discriminator_loss(x_real @ w + b, x_fake @ w + b)
    dw = x_real.T @ ds_real + x_fake.T @ ds_fake
    db = float(ds_real.sum() + ds_fake.sum())
    w, b = w - lr * dw, b - lr * db  # the D step
    g_loss, ds_g = generator_loss(x_fake @ w + b)
    dx_fake = np.outer(ds_g, w)  # dL_G / dG(z): what D hands back to G, (m, d)
    return {"d_loss": d_loss, "dw": dw, "db": db,
            "g_loss": g_loss, "dA": z.T @ dx_fake, "dc": dx_fake.sum(axis=0)}


# --- cases ---------------------------------------------------------------------------------

SOFTPLUS_HINT = ("log(sigmoid(x)) of a confident logit underflows to log(0) = -inf; use "
                 "-log(sigmoid(x)) = softplus(-x) = np.logaddexp(0, -x) and "
                 "-log(1 - sigmoid(x)) = softplus(x)")
MEAN_HINT = ("each term is a MEAN over its own batch, so each logit's gradient carries a "
             "1 / (number of logits in its array) factor")
GRAD_HINT = ("d softplus(-x)/dx = sigmoid(x) - 1 and d softplus(x)/dx = sigmoid(x): "
             "d_real = (sigmoid(real) - 1) / n_real, d_fake = sigmoid(fake) / n_fake")
NON_SATURATING_HINT = ("non-saturating: the generator MINIMISES -mean(log D(G(z))) = "
                       "mean(softplus(-l)), a positive number; its gradient "
                       "(sigmoid(l) - 1) / n is large when D rejects the fakes")
SATURATING_HINT = ("saturating: the generator minimises mean(log(1 - D(G(z)))) = "
                   "-mean(softplus(l)), a NEGATIVE number; its gradient -sigmoid(l) / n "
                   "vanishes when D rejects the fakes (l very negative) -- that is why it "
                   "saturates")


def _logits(*shape, seed=0, scale=2.0):
    return np.random.default_rng(seed).normal(0.0, scale, size=shape).round(3)


def _d_public():
    return [
        Case((A([0.0]), A([0.0])), label="D undecided (logit 0 for both): loss 2 log 2",
             hint="BCE(real, 1) + BCE(fake, 0) = -log D(x) - log(1 - D(G(z)))"),
        Case((_logits(8), _logits(8, seed=1)), label="eight real and eight fake logits",
             hint=GRAD_HINT),
        Case((_logits(5, seed=2), _logits(3, seed=3)),
             label="five real but three fake samples", hint=MEAN_HINT),
        Case((A([1000.0, -800.0]), A([-1000.0, 800.0])),
             label="confident logits, one right and one wrong in each batch: a large loss, "
                   "but finite", hint=SOFTPLUS_HINT),
        Case((_logits(4, 1, seed=4).astype(np.float32), _logits(4, 1, seed=5).astype(np.float32)),
             label="float32 logits of shape (4, 1)", hint=DTYPE_HINT),
    ]


def _d_hidden(rng, student):
    cases = []
    for _ in range(5):
        shape = (int(rng.integers(1, 10)), 1) if rng.random() < 0.5 else (int(rng.integers(1, 10)),)
        scale = float(rng.choice([0.5, 3.0, 30.0]))
        fake_n = int(rng.integers(1, 10))
        cases.append(Case((rng.normal(0, scale, size=shape), rng.normal(0, scale, size=fake_n)),
                          label=f"random logits {shape} and ({fake_n},), scale {scale}"))
    return cases


def _g_public():
    return [
        Case((A([0.0]),), label="non-saturating, D undecided: loss log 2",
             hint=NON_SATURATING_HINT),
        Case((_logits(6, seed=6),), label="non-saturating, six fake logits",
             hint=NON_SATURATING_HINT),
        Case((A([-5.0, -8.0, -3.0]),), {"saturating": True},
             label="saturating, D rejects the fakes: tiny gradients", hint=SATURATING_HINT),
        Case((A([-5.0, -8.0, -3.0]),), {"saturating": False},
             label="non-saturating, D rejects the fakes: strong gradients",
             hint=NON_SATURATING_HINT),
        Case((A([-1000.0, 900.0]),), label="non-saturating, extreme logits: no nan or inf",
             hint=SOFTPLUS_HINT),
        Case((_logits(3, 1, seed=7).astype(np.float32),), label="float32 logits",
             hint=DTYPE_HINT),
    ]


def _g_hidden(rng, student):
    cases = []
    for saturating in (False, True, False, True, False):
        shape = (int(rng.integers(1, 12)),)
        scale = float(rng.choice([0.5, 3.0, 30.0]))
        cases.append(Case((rng.normal(0, scale, size=shape),), {"saturating": saturating},
                          label=f"random {shape}, scale {scale}, saturating={saturating}"))
    return cases


# --- cases: one GAN step -------------------------------------------------------------------

STEP_LABELS_HINT = ("D's loss labels real samples 1 and fakes 0: dL_D/ds = (sigmoid(s) - 1) / n "
                    "on a real logit, sigmoid(s) / m on a fake one; G's non-saturating loss "
                    "labels its fakes 1: L_G = -mean(log D(G(z))) = mean(softplus(-s)) > 0. "
                    "Return the gradients OF the losses (the step subtracts them)")
STEP_CHAIN_HINT = ("chain rule through D into G: dL_G/dG(z) = outer(dL_G/ds, w), an (m, d) "
                   "array; then dA = z.T @ dL_G/dG(z) and dc = its sum over the m samples. "
                   "For D: dw = x_real.T @ dL/ds_real + x_fake.T @ dL/ds_fake")
STEP_MEAN_HINT = ("each loss term is a MEAN over its own batch: 1 / n on the n real samples, "
                  "1 / m on the m fakes")
STEP_UPDATE_HINT = ("alternating: the G step sees the discriminator AFTER its step, "
                    "w - lr * dw and b - lr * db; d_loss, dw and db belong to the D before it")


def _step_args(n, m, d, k, *, seed, scale=1.0, dtype=np.float64):
    """A real batch around (1, ..., 1), noise, and D's and G's weights, rounded to read."""
    r = np.random.default_rng(seed)
    x_real = (1.0 + 0.5 * r.normal(size=(n, d))).round(2)
    z, w = r.normal(size=(m, k)).round(2), (scale * r.normal(size=d)).round(2)
    A, c = r.normal(size=(k, d)).round(2), r.normal(size=d).round(2)
    b = round(float(scale * r.normal()), 2)
    return tuple(a.astype(dtype) for a in (x_real, z, w)) + (b,) + tuple(
        a.astype(dtype) for a in (A, c))


def _step_public():
    undecided = (A([[1.0, 2.0]]), A([[0.5]]), np.zeros(2), 0.0, A([[1.0, -1.0]]), A([0.5, 0.5]))
    return [
        Case(undecided, {"lr": 0.0},
             label="one real and one fake point, D undecided (w = 0, b = 0): "
                   "L_D = 2 log 2, L_G = log 2", hint=STEP_LABELS_HINT),
        Case(_step_args(1, 1, 2, 3, seed=1), {"lr": 0.0},
             label="one real and one fake point, D has opinions, lr = 0",
             hint=STEP_CHAIN_HINT),
        Case(_step_args(5, 3, 2, 2, seed=2), {"lr": 0.0},
             label="five real points but three fakes, lr = 0", hint=STEP_MEAN_HINT),
        Case(_step_args(4, 4, 3, 2, seed=3), {"lr": 0.5},
             label="lr = 0.5: the G step meets the updated D", hint=STEP_UPDATE_HINT),
        Case((A([[2.0], [-1.0]]), A([[1.0], [-1.0]]), A([50.0]), 0.0, A([[1.0]]), A([0.0])),
             {"lr": 0.01}, label="a very confident D (logits 100, -50 on real, 50, -50 on "
                                 "fakes): large losses, but finite", hint=SOFTPLUS_HINT),
        Case(_step_args(4, 2, 2, 2, seed=5, dtype=np.float32), {"lr": 0.1},
             label="float32 arrays", hint=DTYPE_HINT),
    ]


def _step_hidden(rng, student):
    cases = []
    for _ in range(5):
        n, m, d, k = (int(v) for v in rng.integers(1, 7, size=4))
        scale, lr = float(rng.choice([0.3, 1.0, 5.0])), float(rng.choice([0.0, 0.1, 1.0]))
        cases.append(Case(_step_args(n, m, d, k, seed=int(rng.integers(2**31)), scale=scale),
                          {"lr": lr}, label=f"random n={n}, m={m}, d={d}, k={k}, "
                                            f"D's scale {scale}, lr {lr}"))
    return cases


EXERCISES = [
    Exercise("ch11.discriminator_loss", "discriminator_loss", 3, discriminator_loss,
             _d_public, _d_hidden, forbidden=FORBIDDEN,
             output_names=("loss", "d_real", "d_fake"), rtol=1e-5, hint=GRAD_HINT),
    Exercise("ch11.generator_loss", "generator_loss", 3, generator_loss, _g_public, _g_hidden,
             forbidden=FORBIDDEN, output_names=("loss", "d_fake"), rtol=1e-5,
             hint=NON_SATURATING_HINT),
    Exercise("ch11.gan_step", "gan_step", 4, gan_step, _step_public, _step_hidden,
             forbidden=FORBIDDEN, allowed=GRADIENT_CHECK, rtol=1e-5,
             hint="D step first (fakes fixed), update D, then the G step through the new D"),
]
