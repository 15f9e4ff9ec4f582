"""Chapter 11 exercises: the GAN losses and their gradients with respect to D's logits.

The discriminator outputs a logit ``l`` and ``D = sigmoid(l)``.  Its loss is the binary
cross-entropy of real samples against label 1 plus fake samples against label 0.  The
generator either minimises ``mean(log(1 - D(G(z))))`` (the *saturating* loss of the
original minimax game) or, as everybody does in practice, ``-mean(log D(G(z)))`` (the
*non-saturating* loss: BCE against label 1).  Both are written with ``softplus``
(``log(1 + e^x)``, ``np.logaddexp(0, x)``) so that confident logits cannot overflow.
``tests/grading`` checks them against ``F.binary_cross_entropy_with_logits`` and autograd.
"""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT, NUMPY_ONLY
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


EXERCISES = [
    Exercise("ch11.discriminator_loss", "discriminator_loss", 3, discriminator_loss,
             _d_public, _d_hidden, forbidden=FORBIDDEN,
             output_names=("loss", "d_real", "d_fake"), rtol=1e-5, hint=GRAD_HINT),
    Exercise("ch11.generator_loss", "generator_loss", 3, generator_loss, _g_public, _g_hidden,
             forbidden=FORBIDDEN, output_names=("loss", "d_fake"), rtol=1e-5,
             hint=NON_SATURATING_HINT),
]
