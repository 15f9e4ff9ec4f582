"""The exercise format: a graded function, its test cases, and how an answer is compared.

An :class:`Exercise` names the function the learner writes (``softmax``), how many points
it is worth, a trusted reference implementation, and three sources of test inputs:

* ``public()``: fixed cases that :func:`dlcourse.grading.check` runs in the learner's
  notebook, with full details (inputs, expected and obtained values, a hint);
* ``edge()``: further fixed cases that only the grader runs;
* ``hidden(rng, student)``: fresh random cases, drawn by the grader from a secret seed.

A case is only *inputs* (:class:`Case`).  Expected values are computed on the trusted side
by the reference and compared with :func:`compare`, which answers in a sentence a learner
can act on ("dw has shape (3, 4) but should have shape (4, 3)") or ``None`` when they agree.

What the learner's function may use is NumPy, the standard library and the modules listed
in ``allowed`` (an allow-list: nothing else can even be imported while a notebook is graded,
see :mod:`dlcourse.grading.imports`); ``forbidden`` refuses names within those (``numpy.gradient``
where the exercise is a numerical gradient).

Most exercises call the learner's function once per case.  Some need a conversation: an
optimiser step is checked along a whole trajectory, each step fed with the gradient at the
learner's own previous point.  Those exercises supply ``drive(case, call)``, which calls the
learner's function as often as it likes through ``call`` and returns what to compare.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlcourse.grading.wire import Unsupported, materialize

Call = Callable[[tuple, Mapping], object]


class StudentError(Exception):
    """The learner's code failed on a case: it raised, was refused, timed out or crashed.

    ``fatal`` means the learner's process is gone (timeout, crash): the exercise stops.
    """

    def __init__(self, message: str, *, fatal: bool = False):
        super().__init__(message)
        self.message = message
        self.fatal = fatal


class ExerciseProblem(StudentError):
    """A failure of the whole exercise, not of one case: not written yet, a refused call,
    a missing function.  Always fatal."""

    def __init__(self, message: str):
        super().__init__(message, fatal=True)


@dataclass(frozen=True)
class Case:
    """The inputs of one test: positional and keyword arguments, a label and a hint."""

    args: tuple
    kwargs: Mapping = field(default_factory=dict)
    label: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Comparison:
    """What a case produced: the learner's value, the reference's, names of the parts."""

    got: object
    expected: object
    names: Sequence[str] | None = None


def _no_cases(*_args) -> list[Case]:
    return []


@dataclass(frozen=True)
class Exercise:
    """One graded function of a chapter (see the module docstring)."""

    name: str
    function: str
    points: float
    reference: Callable
    public: Callable[[], list[Case]]
    hidden: Callable[[np.random.Generator, str], list[Case]]
    edge: Callable[[], list[Case]] = _no_cases
    forbidden: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    output_names: tuple[str, ...] | None = None
    rtol: float = 1e-6
    atol: float = 1e-9
    hint: str = ""
    drive: Callable[[Case, Call], Comparison] | None = None

    @property
    def chapter(self) -> str:
        """``"ch01"`` for ``"ch01.softmax"``."""
        return self.name.split(".")[0]

    def run(self, case: Case, call: Call) -> Comparison:
        """Call the learner's function on ``case`` (through ``call``) and the reference."""
        if self.drive is not None:
            return self.drive(case, call)
        got = call(case.args, case.kwargs)
        expected = self.reference(*materialize(case.args), **materialize(dict(case.kwargs)))
        return Comparison(got, expected, self.output_names)

    def verdict(self, case: Case, call: Call, *, reveal: bool = True) -> str | None:
        """``None`` if the learner's function passes ``case``, else what is wrong."""
        result = self.run(case, call)
        return compare(result.got, result.expected, rtol=self.rtol, atol=self.atol,
                       reveal=reveal, names=result.names)


# --- the case loop that check() and the grader share ---------------------------------------

@dataclass(frozen=True)
class Failure:
    """One failed case: which kind (public, edge, hidden), the case, what went wrong, a hint."""

    kind: str
    case: Case
    problem: str
    hint: str


@dataclass
class Tally:
    """What running an exercise's cases gave: ``stopped`` is set when the whole exercise
    fails at once (not written, a refused call, no such function)."""

    total: int
    passed: int = 0
    failures: list[Failure] = field(default_factory=list)
    stopped: str | None = None


def run_cases(exercise: Exercise, cases: Sequence[tuple[str, Case]], call: Call) -> Tally:
    """Run ``(kind, case)`` pairs through ``call`` and compare; never raises for a value.

    Hidden cases keep expected values out of the messages.  A fatal error (time limit, the
    process died) fails the case and ends the loop: the remaining cases count as failed.
    Whatever the learner's function returned, a comparison that cannot be made is a failed
    case with a sentence, not an error of the grader.
    """
    tally = Tally(len(cases))
    for kind, case in cases:
        hint = case.hint or exercise.hint
        try:
            problem = exercise.verdict(case, call, reveal=kind != "hidden")
        except ExerciseProblem as exc:
            tally.stopped = exc.message
            return tally
        except StudentError as exc:
            tally.failures.append(Failure(kind, case, exc.message, ""))
            if exc.fatal:
                return tally
            continue
        except Exception as exc:  # noqa: BLE001 -- a value no comparison could handle
            problem = (f"the result could not be checked ({type(exc).__name__}: "
                       f"{' '.join(str(exc).split())[:150]})")
            hint = ""
        if problem is None:
            tally.passed += 1
        else:
            tally.failures.append(Failure(kind, case, problem, hint))
    return tally


# --- comparing a learner's value with the reference ----------------------------------------

def randn(*shape, seed=0, dtype=np.float64) -> np.ndarray:
    """A reproducible standard-normal array rounded to 2 decimals: numbers a learner reads.

    >>> randn(2, seed=0).tolist()
    [0.13, -0.13]
    """
    return np.random.default_rng(seed).normal(size=shape).round(2).astype(dtype)


def describe(value) -> str:
    """A learner-readable name for the type of ``value``: 'a list', 'an array of shape (3,)'."""
    if value is None:
        return "None"
    if isinstance(value, Unsupported):
        return value.what
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} ({value.dtype})"
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _is_number(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return isinstance(value, numbers.Real)


def _fmt(x) -> str:
    return f"{x:.6g}" if isinstance(x, (float, np.floating)) else str(x)


def _tolerances(dtype, rtol: float, atol: float) -> tuple[float, float]:
    """float32 results are compared about as loosely as float32 allows."""
    if np.dtype(dtype) == np.float32 or np.dtype(dtype) == np.float16:
        return max(rtol, 1e-4), max(atol, 1e-6)
    return rtol, atol


def _compare_numbers(got, expected, where, rtol, atol, reveal) -> str | None:
    if not _is_number(got):
        return f"{where} should be a number, got {describe(got)}"
    try:
        g, e = float(got), float(expected)
    except OverflowError:
        return f"{where} is a number too large for a float"
    if np.isnan(e) and np.isnan(g):
        return None
    if not np.isfinite(g) and np.isfinite(e):
        return f"{where} is {g} (an overflow or a division by zero?)"
    if abs(g - e) <= atol + rtol * abs(e):
        return None
    return f"{where} is {_fmt(g)}" + (f" but should be {_fmt(e)}" if reveal else ", which is wrong")


def _compare_arrays(got, expected, where, rtol, atol, reveal) -> str | None:
    if not isinstance(got, np.ndarray):
        return f"{where} should be a NumPy array, got {describe(got)}"
    if got.shape != expected.shape:
        return f"{where} has shape {got.shape} but should have shape {expected.shape}"
    if expected.dtype.kind == "f":
        if got.dtype.kind != "f":
            return f"{where} has dtype {got.dtype} but should be a float array ({expected.dtype})"
        if got.dtype != expected.dtype:
            return (f"{where} has dtype {got.dtype} but should keep the input's dtype "
                    f"{expected.dtype}")
    elif expected.dtype.kind in "iu" and got.dtype.kind not in "iu":
        return f"{where} has dtype {got.dtype} but should hold integers"
    elif expected.dtype.kind == "b" and got.dtype.kind != "b":
        return f"{where} has dtype {got.dtype} but should hold booleans"
    if got.size == 0:
        return None
    g, e = got.astype(np.float64), expected.astype(np.float64)
    rtol, atol = _tolerances(expected.dtype, rtol, atol)
    bad_value = ~np.isfinite(g) & np.isfinite(e)
    if bad_value.any():
        index = tuple(int(i) for i in np.argwhere(bad_value)[0])
        return (f"{where} contains {g[index]} at index {index} "
                "(an overflow or a division by zero?)")
    close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    error = np.where(close, 0.0, np.abs(g - e))
    index = tuple(int(i) for i in np.unravel_index(np.nanargmax(error), error.shape))
    message = f"{where} is wrong at index {index}: got {_fmt(g[index])}"
    if reveal:
        message += f", expected {_fmt(e[index])}"
    wrong = int((~close).sum())
    return message + f" ({wrong} of {got.size} entries differ)"


def compare(got, expected, *, rtol: float = 1e-6, atol: float = 1e-9, reveal: bool = True,
            names: Sequence[str] | None = None, where: str = "the result") -> str | None:
    """``None`` if ``got`` matches ``expected``, else one sentence saying what is wrong.

    Arrays must match in shape and (for floats) in dtype, then in value up to
    ``rtol``/``atol``.  Numbers may be Python or NumPy scalars.  Tuples and dicts are
    compared part by part; ``names`` labels the parts of a tuple.  ``reveal=False`` keeps
    expected values out of the message (for hidden cases).

    Examples
    --------
    >>> import numpy as np
    >>> compare(np.zeros(3), np.zeros((1, 3)))
    'the result has shape (3,) but should have shape (1, 3)'
    >>> compare((1.0, np.ones(2)), (1.0, np.ones(2)), names=("loss", "grad")) is None
    True
    """
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        return _compare_arrays(got, expected, where, rtol, atol, reveal)
    if _is_number(expected):
        return _compare_numbers(got, expected, where, rtol, atol, reveal)
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"{where} should be a tuple of {len(expected)} values, got {describe(got)}"
        if len(got) != len(expected):
            return f"{where} should have {len(expected)} values, got {len(got)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            part = names[i] if names else f"{where}[{i}]"
            problem = compare(g, e, rtol=rtol, atol=atol, reveal=reveal, where=part)
            if problem:
                return problem
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where} should be a dict, got {describe(got)}"
        missing = [k for k in expected if k not in got]
        if missing:
            return f"{where} is missing the key {missing[0]!r}"
        for key, e in expected.items():
            problem = compare(got[key], e, rtol=rtol, atol=atol, reveal=reveal,
                              where=f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    if isinstance(got, np.ndarray) or got != expected:
        return f"{where} is {got!r}" + (f" but should be {expected!r}" if reveal else "")
    return None
