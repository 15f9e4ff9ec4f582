"""Which exercises a run grades: the shipped ones, or an instructor's private bank.

The shipped exercises (:mod:`dlcourse.grading.exercises`) are public: their references ship
with the course and ``solutions/`` shows worked answers.  An instructor who needs exercises no
student has seen writes them in the same format -- Python files in a folder of their own,
each with a list ``EXERCISES`` of :class:`~dlcourse.grading.spec.Exercise` -- and grades with
``dlcourse grade --bank DIR``.  The bank is loaded here, in the grader's trusted process; the
learner's process never sees the folder (the sandbox does not mount it, and the runner's
audit hook refuses reading it).  An exercise's name is ``<assignment>.<name>``; the
assignment plays the part of a chapter (``ch02``, or ``hw3``).

Examples
--------
>>> registry = shipped()
>>> registry.chapter("ch02")[0].name
'ch02.perceptron_step'
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dlcourse.grading.spec import Exercise

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")


class BankError(ValueError):
    """A bank folder that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Registry:
    """Exercises by name; ``folder`` is the bank they came from (None: the shipped ones)."""

    exercises: Mapping[str, Exercise]
    folder: Path | None = None

    def chapters(self) -> list[str]:
        return sorted({e.chapter for e in self.exercises.values()})

    def chapter(self, name: str) -> list[Exercise]:
        """The exercises of chapter (assignment) ``name``, in the order they were listed."""
        return [e for e in self.exercises.values() if e.chapter == name]


@functools.cache
def shipped() -> Registry:
    """The exercises that ship with the course."""
    from dlcourse.grading import exercises

    return Registry({name: exercises.get(name) for name in exercises.names()})


def _load_file(path: Path) -> list[Exercise]:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(f"dlcourse_bank_{digest}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 -- the instructor's code; report, do not crash
        raise BankError(f"{path}: {type(exc).__name__}: {exc}") from None
    found = getattr(module, "EXERCISES", None)
    if not isinstance(found, list) or not all(isinstance(e, Exercise) for e in found):
        raise BankError(f"{path}: define EXERCISES, a list of dlcourse.grading.spec.Exercise")
    return found


@functools.cache
def load_bank(folder: Path) -> Registry:
    """The exercises of every ``*.py`` file in ``folder`` (files starting with ``_`` are
    helpers and are not read for ``EXERCISES``); raise :class:`BankError` if none, if a name
    is not ``<assignment>.<name>`` or if one is listed twice."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise BankError(f"{folder} is not a folder")
    found: dict[str, Exercise] = {}
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        for exercise in _load_file(path):
            if not _NAME.fullmatch(exercise.name):
                raise BankError(f"{path}: {exercise.name!r} should be <assignment>.<name>, "
                                "e.g. 'hw3.leaky_relu'")
            if exercise.name in found:
                raise BankError(f"{path}: {exercise.name!r} is defined twice")
            found[exercise.name] = exercise
    if not found:
        raise BankError(f"{folder} holds no exercises (Python files defining EXERCISES)")
    return Registry(found, folder)
