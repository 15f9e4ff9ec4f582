"""Randomised exam practice: a fresh problem per seed, checked with a worked solution.

Every answer is computed by the engine (:mod:`dlcourse.sizing`, :mod:`dlcourse.nn.functional`,
:mod:`dlcourse.autograd`, :mod:`dlcourse.detection`), never by a second formula; the
``trap_*`` kinds (:mod:`.traps`) refute one sentence of the notes each, with closed-form
expectations where no engine function applies.

>>> from dlcourse.chapters.review import practice
>>> problem = practice.generate("param_count", seed=3)
>>> problem.check(problem.answer).message
'Correct!'
>>> "conv_size" in practice.KINDS
True
"""

from __future__ import annotations

from dlcourse.chapters.review.practice.arrays import pooling, softmax, transposed_conv
from dlcourse.chapters.review.practice.graphs import backprop
from dlcourse.chapters.review.practice.problem import Feedback, Problem, parse_answer
from dlcourse.chapters.review.practice.sizes import (
    conv_size,
    param_count,
    receptive_field,
    yolo_size,
)
from dlcourse.chapters.review.practice.traps import GENERATORS as TRAP_GENERATORS

__all__ = ["KINDS", "Feedback", "Problem", "generate", "parse_answer"]

_GENERATORS = {
    "conv_size": conv_size,
    "param_count": param_count,
    "receptive_field": receptive_field,
    "pooling": pooling,
    "transposed_conv": transposed_conv,
    "backprop": backprop,
    "yolo_size": yolo_size,
    "softmax": softmax,
    **TRAP_GENERATORS,
}
KINDS: tuple[str, ...] = tuple(_GENERATORS)


def generate(kind: str, seed: int = 0) -> Problem:
    """A new problem of ``kind`` (one of :data:`KINDS`); the same seed gives the same problem.

    Parameters
    ----------
    kind : str
        ``"conv_size"``, ``"param_count"``, ``"receptive_field"``, ``"pooling"``,
        ``"transposed_conv"``, ``"backprop"``, ``"yolo_size"``, ``"softmax"``, or one of
        the ``"trap_*"`` kinds that refute the notes (``practice.traps.GENERATORS``).
    seed : int
        Any non-negative integer.

    Returns
    -------
    Problem
        ``.question``, ``.answer``, ``.solution`` and ``.check(answer) -> Feedback``.
    """
    if kind not in _GENERATORS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return _GENERATORS[kind](seed)
