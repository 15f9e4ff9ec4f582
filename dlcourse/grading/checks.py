"""``check(name, fn)``: instant feedback on an exercise, in words, in the learner's notebook.

The check runs the exercise's *public* cases on the learner's function and prints one line
when they all pass.  Otherwise it shows the first failing case: the input, what is wrong
(shape, dtype, a value, an exception) and a hint -- never a bare ``assert``, never a
traceback.  The grader later runs the same public cases, further fixed edge cases and fresh
hidden ones, in a separate process (see :mod:`dlcourse.grading.grader`).

Inside the grader's sandbox (environment variable ``DLCOURSE_GRADING=1``) ``check`` does
nothing.  For nbgrader's autograder set ``DLCOURSE_STRICT_CHECKS=1``: a failed check then
raises :class:`CheckFailed` (shown as the same report, without a traceback).

Example
-------
In a notebook, under the exercise cell::

    check("ch01.softmax", softmax)

prints ``✔ ch01.softmax: all 4 checks passed.`` -- or, for a softmax that overflows::

    ✘ ch01.softmax: 1 of 4 checks failed. The first one:
        case:    large scores
        input:   softmax(array([1000., 1001., 1002.]))
        problem: the result contains nan at index (0,) (an overflow or a division by zero?)
        hint:    np.exp(1000) overflows to inf; subtract each row's largest score first ...
"""

from __future__ import annotations

import difflib
import inspect
import os
import textwrap
import types
from dataclasses import dataclass, field

import numpy as np

from dlcourse.grading.guard import ForbiddenCall, RuntimeGuard, scan_source
from dlcourse.grading.spec import Case, Exercise, ExerciseProblem, StudentError, run_cases
from dlcourse.grading.wire import materialize

GRADING_ENV = "DLCOURSE_GRADING"
STRICT_ENV = "DLCOURSE_STRICT_CHECKS"


class CheckFailed(Exception):
    """A failed check in strict mode; IPython shows only the report."""

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


def not_written(exercise: Exercise) -> str:
    return (f"{exercise.function} is not written yet: replace `raise NotImplementedError(...)` "
            "with your code")


def refusal(exercise: Exercise, names) -> str:
    """The feedback for a refused call."""
    rules = ", ".join(exercise.forbidden) or "the grader's own code"
    return (f"{exercise.function} uses {', '.join(names)}, which {exercise.name} does not "
            f"allow (refused here: {rules}, eval/exec/importlib); write it yourself")


@dataclass
class CheckResult:
    """Outcome of the public cases: how many passed and what went wrong first."""

    exercise: Exercise
    passed: int = 0
    total: int = 0
    failures: list[tuple[Case, str]] = field(default_factory=list)
    problem: str | None = None  # stops every case: not written, refused, not a function

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.failures

    def report(self) -> str:
        name = self.exercise.name
        if self.ok:
            return (f"✔ {name}: all {self.total} checks passed. "
                    "(The grader will also try inputs you have not seen.)")
        if self.problem:
            return f"✘ {name}: {self.problem}."
        case, problem = self.failures[0]
        lines = [f"✘ {name}: {len(self.failures)} of {self.total} checks failed. The first one:",
                 f"    case:    {case.label or 'unnamed'}"]
        if self.exercise.drive is None:
            lines.append(f"    input:   {call_repr(self.exercise.function, case)}")
        lines.append(f"    problem: {problem}")
        hint = case.hint or self.exercise.hint
        if hint:
            lines.append(f"    hint:    {hint}")
        return "\n".join(lines)


def short_repr(value, width: int = 70) -> str:
    """A one-line, shortened repr of an input value."""
    if isinstance(value, np.ndarray):
        text = "array(" + np.array2string(value, precision=4, threshold=8, edgeitems=2,
                                         separator=", ", max_line_width=10**6) + ")"
        if value.dtype != np.float64:
            text = text[:-1] + f", dtype={value.dtype})"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def call_repr(function: str, case: Case) -> str:
    parts = [short_repr(a) for a in case.args]
    parts += [f"{k}={short_repr(v)}" for k, v in case.kwargs.items()]
    return f"{function}({', '.join(parts)})"


def _static_problem(exercise: Exercise, fn) -> str | None:
    """Refused names found by reading ``fn`` (and the notebook functions it calls)."""
    try:
        sources = [textwrap.dedent(inspect.getsource(fn))]
    except (OSError, TypeError):
        return None
    imports = []
    for alias, value in getattr(fn, "__globals__", {}).items():
        if isinstance(value, types.ModuleType):
            imports.append(f"import {value.__name__} as {alias}")
        elif callable(value) and getattr(value, "__module__", None) == fn.__module__:
            try:
                sources.append(textwrap.dedent(inspect.getsource(value)))
            except (OSError, TypeError):
                pass
        elif callable(value) and isinstance(getattr(value, "__module__", None), str):
            imports.append(f"from {value.__module__} import {alias}")
    refused = scan_source(["\n".join(imports), *sources[1:], sources[0]], fn.__name__,
                          exercise.forbidden)
    return refusal(exercise, refused) if refused else None


def _local_call(exercise: Exercise, fn):
    """``call(args, kwargs)`` running ``fn`` here, under the runtime guard."""
    def call(args, kwargs):
        guard = RuntimeGuard(exercise.forbidden)
        error = None
        try:
            with guard:
                value = fn(*materialize(args), **materialize(dict(kwargs)))
        except NotImplementedError:
            raise ExerciseProblem(not_written(exercise)) from None
        except (Exception, ForbiddenCall) as exc:
            error = exc
        if guard.refused:
            raise ExerciseProblem(refusal(exercise, guard.refused[:1]))
        if error is not None:
            raise StudentError(f"{exercise.function} raised {type(error).__name__}: {error}")
        return value
    return call


def run_checks(name: str, fn) -> CheckResult:
    """Run the public cases of exercise ``name`` on ``fn`` and collect what went wrong."""
    from dlcourse.grading import exercises  # not needed (nor visible) inside the sandbox

    exercise = exercises.get(name)
    result = CheckResult(exercise)
    if not callable(fn):
        result.problem = (f"check({name!r}, ...) needs your function {exercise.function} "
                          f"as its second argument, not {type(fn).__name__}")
        return result
    result.problem = _static_problem(exercise, fn)
    if result.problem:
        return result
    tally = run_cases(exercise, [("public", c) for c in exercise.public()],
                      _local_call(exercise, fn))
    result.total, result.passed, result.problem = tally.total, tally.passed, tally.stopped
    result.failures = [(f.case, f.problem) for f in tally.failures]
    return result


def check(name: str, fn) -> None:
    """Check your function ``fn`` for exercise ``name`` and print what is wrong, if anything.

    Parameters
    ----------
    name : str
        The exercise, e.g. ``"ch01.softmax"`` (written in the check cell for you).
    fn : callable
        Your function.
    """
    if os.environ.get(GRADING_ENV) == "1":
        return
    from dlcourse.grading import exercises, progress

    try:
        result = run_checks(name, fn)
    except exercises.UnknownExercise:
        close = difflib.get_close_matches(name, exercises.names(), n=1)
        print(f"✘ {name!r} is not an exercise" + (f"; did you mean {close[0]!r}?" if close
                                                   else "."))
        return
    print(result.report())
    progress.record(name, result.ok)  # on this machine only; never raises (see progress)
    if os.environ.get(STRICT_ENV) == "1" and not result.ok:
        raise CheckFailed(result.report())
