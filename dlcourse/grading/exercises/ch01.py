"""Chapter 01 exercises: softmax, cross-entropy and its gradient, k-NN prediction.

References are plain NumPy written to be obviously right; ``tests/grading`` checks them
against PyTorch.  Hidden cases draw random shapes and scales from the grader's ``rng``.
"""

from __future__ import annotations

import numpy as np

from dlcourse.grading.spec import Case, Exercise

NUMPY_ONLY = ("torch", "scipy.special", "scipy.stats", "dlcourse.nn", "sklearn")
A = np.array


# --- references ----------------------------------------------------------------------------

def softmax(x):
    """Softmax over the last axis, shifted by the maximum so that ``exp`` cannot overflow."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(scores):
    z = scores - scores.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def cross_entropy(scores, labels):
    """Mean of ``-log softmax(scores)[i, labels[i]]`` over the N rows of ``scores`` (N, C)."""
    return -_log_softmax(scores)[np.arange(len(labels)), labels].mean()


def cross_entropy_grad(scores, labels):
    """Gradient of :func:`cross_entropy` with respect to ``scores``: (softmax - onehot) / N."""
    grad = softmax(scores)
    grad[np.arange(len(labels)), labels] -= 1
    return grad / len(labels)


def knn_predict(X_train, y_train, X_test, k):
    """Majority label among the k nearest (Euclidean) training points; ties -> smallest label."""
    distances = ((X_test[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=-1)  # (M, N)
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return np.array([np.bincount(votes).argmax() for votes in y_train[nearest]])


# --- cases ---------------------------------------------------------------------------------

OVERFLOW_HINT = ("np.exp(1000) overflows to inf; subtract each row's largest score first "
                 "(softmax(x) == softmax(x - max(x)))")
DTYPE_HINT = ("keep the input's dtype: operations on a float32 array stay float32 unless "
              "you mix in a new float64 array")
LOG_SUM_EXP_HINT = ("log(softmax) of a tiny probability underflows to log(0) = -inf; compute "
                    "log softmax(z)_y = z_y - max(z) - log(sum(exp(z - max(z)))) instead")


def _scores(rng, n, c, scale):
    return rng.normal(0.0, scale, size=(n, c))


def _softmax_public():
    return [
        Case((A([1.0, 0.0, 4.0]),), label="the scores (1, 0, 4) from the lecture"),
        Case((A([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]),), label="two rows, one softmax each",
             hint="take max and sum over the last axis with keepdims=True so that they "
                  "broadcast row by row"),
        Case((A([1000.0, 1001.0, 1002.0]),), label="large scores", hint=OVERFLOW_HINT),
        Case((A([[0.5, -1.5, 2.0]], dtype=np.float32),), label="float32 scores",
             hint=DTYPE_HINT),
    ]


def _softmax_edge():
    return [Case((np.zeros((4, 1)),), label="one class"),
            Case((np.arange(24.0).reshape(2, 3, 4) * 100,), label="3-D input, large scores"),
            Case((A([-1000.0, -1000.0]),), label="very negative scores")]


def _softmax_hidden(rng, student):
    shapes = [(int(rng.integers(2, 12)),), (int(rng.integers(1, 8)), int(rng.integers(2, 10))),
              (2, int(rng.integers(1, 4)), int(rng.integers(2, 6)))]
    return [Case((rng.normal(0, rng.choice([1.0, 10.0, 300.0]), size=s),), label=f"random {s}")
            for s in shapes + shapes]


def _ce_public():
    return [
        Case((A([[2.0, 1.0, 0.1]]), A([0])), label="one example of class 0"),
        Case((A([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]), A([2, 0])),
             label="two examples: the loss is their mean",
             hint="average the per-example losses over N; do not sum them"),
        Case((np.zeros((3, 4)), A([0, 1, 3])), label="equal scores: log(4) for every example"),
        Case((A([[1000.0, 0.0, -1000.0]]), A([1])), label="large scores",
             hint=LOG_SUM_EXP_HINT),
    ]


def _ce_edge():
    return [Case((A([[0.3, -0.2]], dtype=np.float32), A([1])), label="float32, two classes"),
            Case((A([[-800.0, 800.0], [5.0, -5.0]]), A([0, 1])), label="very wrong and large")]


def _ce_hidden(rng, student):
    cases = []
    for scale in (1.0, 5.0, 200.0):
        n, c = int(rng.integers(1, 10)), int(rng.integers(2, 8))
        cases.append(Case((_scores(rng, n, c, scale), rng.integers(0, c, size=n)),
                          label=f"random N={n}, C={c}"))
    return cases


def _ce_grad_public():
    return [
        Case((A([[2.0, 1.0, 0.1]]), A([0])), label="one example of class 0",
             hint="the gradient is softmax(scores) minus the one-hot labels"),
        Case((A([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]), A([2, 0])),
             label="two examples: divide by N", hint="the loss is a mean, so its gradient "
                                                    "carries a factor 1/N"),
        Case((A([[1000.0, 0.0, -1000.0]]), A([1])), label="large scores", hint=OVERFLOW_HINT),
        Case((A([[0.5, -0.5, 0.0]], dtype=np.float32), A([2])), label="float32 scores",
             hint=DTYPE_HINT),
    ]


def _knn_public():
    X = A([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0], [6.0, 5.0], [5.0, 6.0]])
    y = A([0, 0, 0, 1, 1, 1])
    return [
        Case((X, y, A([[0.2, 0.1], [5.5, 5.2]]), 3), label="two clear clusters, k=3"),
        Case((X, y, A([[2.0, 2.0], [4.0, 4.5]]), 1), label="k=1: the nearest point's label"),
        Case((A([[0.0], [1.0]]), A([1, 0]), A([[0.4]]), 2), label="a tied vote (k=2)",
             hint="on a tied vote choose the smallest label; np.bincount(votes).argmax() "
                  "does exactly that"),
        Case((X, A([3, 3, 0, 0, 0, 3]), A([[0.1, 0.2], [5.0, 5.0]]), 6),
             label="k = all six points: a tie between labels 0 and 3"),
    ]


def _knn_hidden(rng, student):
    cases = []
    for _ in range(4):
        n, d, m, c = (int(rng.integers(8, 30)), int(rng.integers(1, 5)),
                      int(rng.integers(1, 8)), int(rng.integers(2, 5)))
        centres = rng.normal(0, 3, size=(c, d))
        y = rng.integers(0, c, size=n)
        X = centres[y] + rng.normal(0, 1.0, size=(n, d))
        k = int(rng.integers(1, n + 1))
        cases.append(Case((X, y, rng.normal(0, 3, size=(m, d)), k),
                          label=f"random N={n}, D={d}, k={k}"))
    return cases


EXERCISES = [
    Exercise("ch01.softmax", "softmax", 2, softmax, _softmax_public, _softmax_hidden,
             edge=_softmax_edge, forbidden=NUMPY_ONLY,
             hint="exponentiate, then divide by the sum over the last axis"),
    Exercise("ch01.cross_entropy", "cross_entropy", 2, cross_entropy, _ce_public, _ce_hidden,
             edge=_ce_edge, forbidden=NUMPY_ONLY,
             hint="the loss of one example is -log of the softmax probability of its label"),
    Exercise("ch01.cross_entropy_grad", "cross_entropy_grad", 2, cross_entropy_grad,
             _ce_grad_public, _ce_hidden, edge=_ce_edge, forbidden=NUMPY_ONLY,
             hint="(softmax(scores) - onehot(labels)) / N"),
    Exercise("ch01.knn_predict", "knn_predict", 2, knn_predict, _knn_public, _knn_hidden,
             forbidden=(*NUMPY_ONLY, "scipy.spatial"),
             hint="distances from each test point to all training points, np.argsort, "
                  "then a vote among the first k"),
]
