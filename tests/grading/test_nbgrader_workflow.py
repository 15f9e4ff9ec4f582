"""nbgrader the whole way, with nbgrader's own commands, agrees with `dlcourse grade`.

In a temporary course directory: ``generate_assignment`` from the solution notebook,
``release_assignment`` to an exchange, a learner's ``fetch_assignment`` and ``submit``, the
instructor's ``collect``, ``autograde`` (with ``DLCOURSE_STRICT_CHECKS=1``, so a failed check
fails its grade cell) and ``export``.  The exchange names a submission after the Unix user who
submits it, so the two other learners' notebooks are placed under ``submitted/`` the way
``collect`` places them.  Every honest submission -- the reference, a blank one, one with a
single wrong exercise -- gets the same score per exercise from nbgrader as from the grader.
"""

import csv
import os
import pwd
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_helpers import CHAPTERS, solution
from nbgrader.api import Gradebook

from dlcourse.grading.grader import grade_file

pytestmark = pytest.mark.slow

CHAPTER = "02"
ASSIGNMENT = f"ch{CHAPTER}"
NOTEBOOK = CHAPTERS[CHAPTER]
BIN = Path(sys.executable).parent
# The sigmoid itself instead of its derivative: wrong on every input.
WRONG = {"ch02.sigmoid_grad": "def sigmoid_grad(x):\n    return 1 / (1 + np.exp(-x))\n"}


def nbgrader(*args: str, cwd: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "DLCOURSE_STRICT_CHECKS": "1"}
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (f"nbgrader {' '.join(args)} failed:\n"
                                  + done.stdout[-2000:] + done.stderr[-3000:])


def answered(released: Path, replace: dict[str, str] | None) -> nbformat.NotebookNode:
    """The released notebook with every exercise answered as the solution does, except
    ``replace``'s; ``None``: left blank."""
    nb = nbformat.read(released, as_version=4)
    if replace is None:
        return nb
    answers = {c.metadata["dlcourse"]["exercise"]: c.source for c in solution(CHAPTER).cells
               if "exercise" in c.metadata.get("dlcourse", {})}
    for cell in nb.cells:
        exercise = cell.metadata.get("dlcourse", {}).get("exercise")
        if exercise:
            source = replace.get(exercise, answers[exercise])
            cell.source = "\n".join(line for line in source.splitlines()
                                    if "### BEGIN SOLUTION" not in line
                                    and "### END SOLUTION" not in line)
    return nb


def test_nbgrader_generate_release_collect_autograde_export_agrees_with_dlcourse_grade(
        tmp_path):
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(solution(CHAPTER), course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'dlcourse'\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        "c.Execute.timeout = 300  # a cell that imports torch on a busy machine\n")
    nbgrader("generate_assignment", ASSIGNMENT, cwd=course)
    nbgrader("release_assignment", ASSIGNMENT, cwd=course)

    # One learner through the exchange (named after this Unix user) ...
    learner = pwd.getpwuid(os.getuid()).pw_name
    home = tmp_path / "learner"
    home.mkdir()
    exchange_flags = ("--CourseDirectory.course_id=dlcourse", f"--Exchange.root={exchange}")
    nbgrader("fetch_assignment", ASSIGNMENT, *exchange_flags, cwd=home)
    fetched = home / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    nbformat.write(answered(fetched, WRONG), fetched)
    nbgrader("submit", ASSIGNMENT, *exchange_flags, cwd=home)
    nbgrader("collect", ASSIGNMENT, cwd=course)
    # ... and two placed under submitted/ as `collect` places them.
    released = course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    submissions = {learner: WRONG, "reference": {}, "blank": None}
    full = sum(c.metadata["dlcourse"]["points"] for c in solution(CHAPTER).cells
               if "exercise" in c.metadata.get("dlcourse", {}))
    expected = {learner: full - 1, "reference": full, "blank": 0}  # sigmoid_grad: 1 point
    for student in ("reference", "blank"):
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(answered(released, submissions[student]), folder / f"{NOTEBOOK}.ipynb")
        (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")

    nbgrader("autograde", ASSIGNMENT, cwd=course)
    nbgrader("export", "--to", "grades.csv", cwd=course)

    checks = {c.metadata["nbgrader"]["grade_id"]: c.metadata["dlcourse"]["check"]
              for c in nbformat.read(released, as_version=4).cells
              if "check" in c.metadata.get("dlcourse", {})}
    with (course / "grades.csv").open() as f:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    assert sorted(exported) == sorted(submissions)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in submissions:
            graded = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
            by_nbgrader = {checks[g.name]: g.score for g in graded.grades}
            ours = grade_file(course / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                              seed=7)  # `dlcourse grade`'s own limits
            by_dlcourse = {r.name: r.score for r in ours.exercises}
            assert by_nbgrader == by_dlcourse, (student, ours)
            assert exported[student] == ours.score == expected[student], (student, ours)
