"""Chapter 03 exercises: backpropagation by hand, the student-number graph, numerical
gradients, and the backward pass of a linear layer in matrix form."""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT, NUMPY_ONLY
from dlcourse.grading.spec import Case, Exercise
from dlcourse.grading.wire import FunctionSpec

A = np.array
NODES = ("a", "b", "c", "d", "u", "v", "w", "f")
GIVEN_D = 5  # the constant the exam's graph prints in its fourth input node


# --- references ----------------------------------------------------------------------------

def backprop_e(a, b):
    """e = (a + b)(b + 1) and its partial derivatives, by the chain rule on the graph
    c = a + b, d = b + 1, e = c d.  Returns ``(e, de_da, de_db)``."""
    c, d = a + b, b + 1
    e = c * d
    de_dc, de_dd = d, c
    return e, de_dc * 1, de_dc * 1 + de_dd * 1


def student_digits(student_id) -> tuple[int, int, int, int]:
    """``(a, b, c, d)``: the last three decimal digits of the ID read right to left
    (c = last, b = second last, a = third last; missing digits are 0) and the given d = 5."""
    digits = [int(ch) for ch in str(student_id) if ch in "0123456789"]
    c, b, a = (digits[::-1] + [0, 0, 0])[:3]
    return a, b, c, GIVEN_D


def student_number_graph(student_id):
    """Forward values and gradients of f = (a b + d)(b + c), inputs from ``student_id``.

    Graph: u = a b, v = u + d, w = b + c, f = v w.  Returns ``(values, grads)``, two dicts
    over the nodes "a", "b", "c", "d", "u", "v", "w", "f"; ``grads[n]`` is df/dn.
    """
    a, b, c, d = student_digits(student_id)
    u = a * b
    v = u + d
    w = b + c
    f = v * w
    df_df = 1
    df_dv, df_dw = w * df_df, v * df_df
    df_du, df_dd = df_dv, df_dv
    grads = {"f": df_df, "v": df_dv, "w": df_dw, "u": df_du, "d": df_dd,
             "a": b * df_du, "b": a * df_du + df_dw, "c": df_dw}
    values = {"a": a, "b": b, "c": c, "d": d, "u": u, "v": v, "w": w, "f": f}
    return values, {n: grads[n] for n in NODES}


def numerical_gradient(f, x, eps=1e-6):
    """Central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), entry by entry."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = f(x)
        x[i] = old - eps
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def linear_backward(dout, x, w):
    """Gradients of out = x @ w.T + b: ``(dx, dw, db)`` shaped like x (N, in), w (out, in),
    b (out,), given dout (N, out)."""
    return dout @ w, dout.T @ x, dout.sum(axis=0)


# --- cases ---------------------------------------------------------------------------------

def _backprop_e_public():
    return [Case((2.0, 1.0), label="the lecture's point (a, b) = (2, 1)",
                 hint="c = a + b, d = b + 1, e = c d; de/db collects a path through c and "
                      "one through d"),
            Case((0.0, 0.0), label="(0, 0)"),
            Case((-1.0, 3.0), label="(-1, 3)")]


def _backprop_e_hidden(rng, student):
    return [Case((float(a), float(b)), label="random point")
            for a, b in rng.uniform(-10, 10, size=(5, 2))]


def _student_public():
    return [
        Case(("0125801",), label="the notes' first example (...801: f = 5)",
             hint="read the last three digits right to left: c is the last digit, then b, "
                  "then a; d is the given 5, not a digit"),
        Case(("136",), label="the notes' second example (...136: f = 72)",
             hint="a, b, c = 1, 3, 6 and d = 5: f = (1*3 + 5)(3 + 6) = 72"),
        Case(("42",), label="fewer than three digits: the missing ones are 0"),
        Case(("s-12 34x",), label="characters that are not digits are skipped"),
    ]


def _student_hidden(rng, student):
    ids = [str(n) for n in rng.integers(10**6, 10**8, size=3)]
    return [Case((str(student),), label=f"your student ID {student!r}"),
            *(Case((i,), label=f"student ID {i}") for i in ids)]


def _numgrad_public():
    quadratic = FunctionSpec("quadratic", {"A": A([[2.0, 0.0], [0.0, 4.0]]), "b": A([1.0, -1.0])})
    return [
        Case((quadratic, A([1.0, 1.0])), label="f(x) = x·Ax/2 + b·x at (1, 1)",
             hint="(f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for each entry i; put x[i] "
                  "back afterwards"),
        Case((FunctionSpec("sin_sum", {"w": A([1.0, 2.0, 3.0])}), A([0.0, 0.5, 1.0])),
             label="f(x) = sum(sin(w x))"),
        Case((FunctionSpec("log_sum_exp", {}), A([[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]])),
             label="a 2-D x: the gradient has x's shape",
             hint="loop over every index of x (np.ndindex(x.shape)), not only the first axis"),
        Case((FunctionSpec("sin_sum", {"w": A([2.0])}), A([0.3])), {"eps": 1e-4},
             label="a larger step eps=1e-4"),
    ]


def _numgrad_hidden(rng, student):
    n = int(rng.integers(2, 5))
    m = rng.normal(size=(n, n))
    return [
        Case((FunctionSpec("quadratic", {"A": m @ m.T, "b": rng.normal(size=n)}),
              rng.normal(size=n)), label=f"random quadratic in {n} variables"),
        Case((FunctionSpec("sin_sum", {"w": rng.normal(size=(2, 3))}), rng.normal(size=(2, 3))),
             label="random sum of sines, x of shape (2, 3)"),
        Case((FunctionSpec("log_sum_exp", {}), rng.normal(size=int(rng.integers(2, 6)))),
             label="random log-sum-exp"),
    ]


def _linear_public():
    x = np.arange(6.0).reshape(2, 3)
    w = np.arange(12.0).reshape(4, 3) / 10
    dout = A([[1.0, 0.0, -1.0, 2.0], [0.5, 1.0, 0.0, -1.0]])
    return [
        Case((dout, x, w), label="N=2 examples, 3 inputs, 4 outputs",
             hint="dx = dout @ w, dw = dout.T @ x, db = dout summed over the examples"),
        Case((np.ones((1, 1)), A([[2.0]]), A([[3.0]])), label="one example, one weight"),
        Case((dout.astype(np.float32), x.astype(np.float32), w.astype(np.float32)),
             label="float32 arrays", hint=DTYPE_HINT),
    ]


def _linear_hidden(rng, student):
    cases = []
    for _ in range(4):
        n, i, o = (int(v) for v in rng.integers(1, 7, size=3))
        cases.append(Case((rng.normal(size=(n, o)), rng.normal(size=(n, i)),
                           rng.normal(size=(o, i))), label=f"random N={n}, in={i}, out={o}"))
    return cases


EXERCISES = [
    Exercise("ch03.backprop_e", "backprop_e", 1, backprop_e, _backprop_e_public,
             _backprop_e_hidden, output_names=("e", "de_da", "de_db"),
             hint="local gradients: dc/da = dc/db = 1, dd/db = 1, de/dc = d, de/dd = c"),
    Exercise("ch03.student_number_graph", "student_number_graph", 2, student_number_graph,
             _student_public, _student_hidden, output_names=("values", "grads"),
             hint="forward: u = a b, v = u + d, w = b + c, f = v w; backward from df/df = 1"),
    Exercise("ch03.numerical_gradient", "numerical_gradient", 2, numerical_gradient,
             _numgrad_public, _numgrad_hidden, rtol=1e-5, atol=1e-6,
             forbidden=(*NUMPY_ONLY, "dlcourse.gradcheck", "dlcourse.autograd", "numpy.gradient",
                        "scipy.optimize", "scipy.differentiate"),
             hint="central differences, one entry of x at a time"),
    Exercise("ch03.linear_backward", "linear_backward", 3, linear_backward, _linear_public,
             _linear_hidden, forbidden=(*NUMPY_ONLY, "dlcourse.autograd"),
             output_names=("dx", "dw", "db"),
             hint="each gradient has the shape of what it is the gradient of"),
]
