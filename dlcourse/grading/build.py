"""``dlcourse exercises build``: derive ``exercises/`` from ``solutions/``.

The solutions are the source of truth.  In an exercise notebook every region between the
nbgrader markers (a line with ``BEGIN SOLUTION`` and one with ``END SOLUTION``, written
``### BEGIN SOLUTION`` in our notebooks) becomes::

    # YOUR CODE HERE
    raise NotImplementedError("...")

indented like the marker (markdown regions become ``YOUR ANSWER HERE``), exactly as
nbgrader's ``ClearSolutions`` does, so that instructors who use nbgrader can use the
solutions directly.  Cell metadata (``dlcourse`` and ``nbgrader``) is kept.  Answer-cell
marks are dropped, because an unsolved notebook cannot reproduce the solution's outputs,
and the result is stored in committed form (:func:`dlcourse.nbtools.clean`).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

from dlcourse.nbtools import ANSWER_MARK, clean

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
TEXT_STUB = "YOUR ANSWER HERE"


class BuildError(ValueError):
    """A solution notebook whose markers do not pair up."""


def code_stub(exercise: str | None) -> list[str]:
    what = f"write {exercise.split('.')[-1]}" if exercise else "write your solution"
    return ["# YOUR CODE HERE", f'raise NotImplementedError("{what} here")']


def strip_solutions(source: str, stub: list[str]) -> str:
    """``source`` with each marked solution region replaced by ``stub`` (same indent).

    >>> print(strip_solutions("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n"
    ...                       "    ### END SOLUTION", ["pass"]))
    def f():
        pass
    """
    lines, inside = [], False
    for line in source.split("\n"):
        if BEGIN in line:
            if inside:
                raise BuildError("a solution region starts inside another one")
            inside = True
            indent = re.match(r"\s*", line).group(0)
            lines.extend(indent + s for s in stub)
        elif END in line:
            if not inside:
                raise BuildError("a solution region ends without having started")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise BuildError("a solution region is never closed")
    return "\n".join(lines)


def exercise_notebook(solution):
    """The exercise twin of a solution notebook (a new notebook object)."""
    nb = copy.deepcopy(solution)
    for cell in nb.cells:
        if cell.cell_type == "code":
            exercise = cell.metadata.get("dlcourse", {}).get("exercise")
            cell.source = strip_solutions(cell.source, code_stub(exercise))
            cell.source = "\n".join(line for line in cell.source.split("\n")
                                    if line.strip() != ANSWER_MARK)
            cell.outputs = []
        elif cell.cell_type == "markdown":
            cell.source = strip_solutions(cell.source, [TEXT_STUB])
    return clean(nb)


def _text(nb) -> str:
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def build(solutions: Path, exercises: Path, *, check: bool = False) -> list[Path]:
    """Write ``exercises/NN_*.ipynb`` for every ``solutions/NN_*.ipynb``.

    Returns the exercise notebooks that were (``check=False``) or would be (``check=True``)
    written or are stale, i.e. an empty list when everything is in sync.
    """
    solutions, exercises = Path(solutions), Path(exercises)
    changed = []
    wanted = set()
    for source in sorted(solutions.glob("*.ipynb")):
        target = exercises / source.name
        wanted.add(target.name)
        try:
            text = _text(exercise_notebook(nbformat.read(source, as_version=4)))
        except BuildError as exc:
            raise BuildError(f"{source}: {exc}") from None
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(target)
            if not check:
                exercises.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    changed += [p for p in sorted(exercises.glob("*.ipynb")) if p.name not in wanted]
    return changed
