"""The graded exercises, one module per chapter, each listing its ``EXERCISES``.

>>> get("ch01.softmax").points
2
>>> [e.function for e in chapter("ch02")][:2]
['perceptron_step', 'sigmoid_grad']
"""

from __future__ import annotations

from dlcourse.grading.exercises import (
    ch01,
    ch02,
    ch03,
    ch04,
    ch05,
    ch06,
    ch07,
    ch08,
    ch09,
    ch10,
    ch11,
    ch12,
)
from dlcourse.grading.spec import Exercise

_ALL: dict[str, Exercise] = {e.name: e for m in (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08,
                                                  ch09, ch10, ch11, ch12)
                             for e in m.EXERCISES}


class UnknownExercise(KeyError):
    """No exercise has this name."""


def get(name: str) -> Exercise:
    """The exercise called ``name`` (``"ch01.softmax"``)."""
    try:
        return _ALL[name]
    except (KeyError, TypeError):
        raise UnknownExercise(name) from None


def names() -> list[str]:
    return list(_ALL)


def chapters() -> list[str]:
    return sorted({e.chapter for e in _ALL.values()})


def chapter(name: str) -> list[Exercise]:
    """The exercises of chapter ``name`` (``"ch01"``), in notebook order."""
    return [e for e in _ALL.values() if e.chapter == name]
