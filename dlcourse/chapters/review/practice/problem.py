"""A practice problem: a question, its answer and worked solution, and a friendly checker."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


class Feedback(NamedTuple):
    """What :meth:`Problem.check` says about an answer."""

    correct: bool
    message: str   # one or two sentences for the learner
    solution: str  # the worked solution, always included


def _describe(shape: tuple[int, ...]) -> str:
    """Say a shape in words: ``()`` → "a single number", ``(2, 2)`` → "a 2×2 matrix"."""
    if shape == ():
        return "a single number"
    if len(shape) == 1:
        return f"{shape[0]} number{'s' if shape[0] != 1 else ''}"
    return f"a {'×'.join(map(str, shape))} matrix"


def parse_answer(answer) -> np.ndarray:
    """Read an answer as a float array: a number, a sequence, an array or a string.

    Strings may be ``"14"``, ``"2.5, -1"``, ``"[[6, 8], [3, 4]]"`` or rows separated by
    ``;`` or new lines (``"6 8; 3 4"``).  Raises ``ValueError`` with a readable message.

    >>> parse_answer("6 8; 3 4").tolist()
    [[6.0, 8.0], [3.0, 4.0]]
    """
    if isinstance(answer, bool):
        raise ValueError("give a number, not True/False")
    if isinstance(answer, str):
        text = answer.strip()
        if not text:
            raise ValueError("the answer is empty: type a number (or several, separated "
                             "by commas)")
        if text.startswith(("[", "(")):
            try:
                answer = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise ValueError(f"could not read {text!r}: check the brackets and "
                                 f"commas") from None
        else:
            rows = [row for row in re.split(r"[;\n]", text) if row.strip()]
            try:
                answer = [[float(v) for v in re.split(r"[,\s]+", row.strip()) if v]
                          for row in rows]
            except ValueError:
                raise ValueError(f"could not read {text!r} as numbers (use digits, '.', "
                                 f"commas or spaces, and ';' between rows)") from None
            answer = answer[0] if len(answer) == 1 else answer
            if isinstance(answer, list) and len(answer) == 1:
                answer = answer[0]
    try:
        array = np.asarray(answer, dtype=float)
    except (ValueError, TypeError):
        raise ValueError(f"could not read {answer!r} as a number or a grid of numbers "
                         f"(rows of different lengths?)") from None
    if not np.all(np.isfinite(array)):
        raise ValueError("the answer contains nan or inf")
    return array


@dataclass(frozen=True)
class Problem:
    """One randomised exercise.

    Attributes
    ----------
    kind : str
        One of :data:`dlcourse.chapters.review.practice.KINDS`.
    seed : int
        The seed that generated it; the same seed gives the same problem.
    question : str
        Plain text, possibly with a small matrix.
    answer : int, float, tuple or numpy.ndarray
        The right answer, computed with the engine.
    solution : str
        The worked solution, step by step.
    hint : str
        One sentence shown with a wrong answer.
    atol : float
        Absolute tolerance when comparing (0 for exact integer answers).
    data : dict
        The problem's inputs (matrices, layer lists ...) for drawings and tests.
    """

    kind: str
    seed: int
    question: str
    answer: object
    solution: str
    hint: str = ""
    atol: float = 0.0
    data: dict = field(default_factory=dict)

    @property
    def answer_text(self) -> str:
        """The answer as a learner would type it: ``14``, ``15, 20`` or ``6 8; 3 4``.

        >>> from dlcourse.chapters.review import practice
        >>> practice.generate("pooling", seed=3).answer_text
        '2 4.75; 4.25 3.25'
        """
        answer = np.asarray(self.answer, dtype=float)
        if answer.ndim == 2:
            return "; ".join(" ".join(_fmt(v) for v in row) for row in answer)
        return ", ".join(_fmt(v) for v in answer.ravel())

    def check(self, answer) -> Feedback:
        """Compare ``answer`` with :attr:`answer`; say what is wrong, in words.

        >>> from dlcourse.chapters.review import practice
        >>> p = practice.generate("yolo_size", seed=0)
        >>> p.check(p.answer).correct, p.check("x").correct
        (True, False)
        """
        try:
            given = parse_answer(answer)
        except ValueError as error:
            return Feedback(False, f"{error}.", self.solution)
        expected = np.asarray(self.answer, dtype=float)
        if given.size == expected.size == 1:
            given = given.reshape(expected.shape)  # "14" for a 1x1 output is fine
        if given.shape != expected.shape:
            return Feedback(False, f"Expected {_describe(expected.shape)}, you gave "
                                   f"{_describe(given.shape)}.", self.solution)
        close = np.isclose(given, expected, rtol=0.0, atol=self.atol + 1e-9)
        if close.all():
            return Feedback(True, "Correct!", self.solution)
        if expected.ndim == 0:
            message = f"Not quite: {_fmt(given.item())} is not right."
        else:
            first = tuple(int(i) for i in np.argwhere(~close)[0])
            where = f"entry {first[0] + 1}" if len(first) == 1 else \
                f"row {first[0] + 1}, column {first[1] + 1}"
            message = (f"Not quite: {int((~close).sum())} of {close.size} entries are off "
                       f"(first at {where}, you wrote {_fmt(given[first])}).")
        if self.atol:
            message += f" Numbers within {self.atol:g} count as right."
        return Feedback(False, f"{message} Hint: {self.hint}" if self.hint else message,
                        self.solution)


def _fmt(x) -> str:
    """A number as a learner writes it: ``6`` not ``6.0``, at most 4 decimals."""
    x = float(x)
    return str(int(x)) if x == int(x) else f"{x:.4f}".rstrip("0")


def grid(matrix) -> str:
    """A small matrix as aligned text rows."""
    rows = [[_fmt(v) for v in row] for row in np.asarray(matrix)]
    width = max(len(v) for row in rows for v in row)
    return "\n".join("  [ " + "  ".join(v.rjust(width) for v in row) + " ]" for row in rows)

