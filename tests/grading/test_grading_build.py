"""exercises/ is generated from solutions/ and stays in sync; nbgrader accepts the solutions."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_helpers import CHAPTERS, ROOT, solution
from grading_helpers import exercise_notebook as committed_exercise

from dlcourse.grading.build import BuildError, build, exercise_notebook, strip_solutions


def test_committed_exercises_are_in_sync_with_the_solutions():
    stale = build(ROOT / "solutions", ROOT / "exercises", check=True)
    assert stale == [], "run `dlcourse exercises build` and commit exercises/"


def test_a_solution_region_becomes_not_implemented_at_the_same_indent():
    source = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION"
    assert strip_solutions(source, ["# YOUR CODE HERE", "raise NotImplementedError()"]) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()")


@pytest.mark.parametrize("source", [
    "### BEGIN SOLUTION\nx = 1",
    "x = 1\n### END SOLUTION",
    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
])
def test_unpaired_markers_are_an_error(source):
    with pytest.raises(BuildError):
        strip_solutions(source, ["pass"])


def test_exercise_notebooks_keep_metadata_and_checks_but_no_solutions_or_answers():
    for chapter in sorted(CHAPTERS):
        nb = exercise_notebook(solution(chapter))
        text = nbformat.writes(nb)
        assert "BEGIN SOLUTION" not in text and "NBVAL_CHECK_OUTPUT" not in text
        exercise_cells = [c for c in nb.cells if "exercise" in c.metadata.get("dlcourse", {})]
        assert exercise_cells and all("raise NotImplementedError" in c.source
                                      and c.metadata["nbgrader"]["solution"]
                                      for c in exercise_cells)
        assert all(not c.get("outputs") for c in nb.cells)


def test_build_writes_missing_notebooks_and_reports_stale_ones(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    shutil.copy(ROOT / "solutions" / "02_perceptron_mlp.ipynb", solutions)
    assert [p.name for p in build(solutions, exercises, check=True)] == ["02_perceptron_mlp.ipynb"]
    assert not exercises.exists()
    build(solutions, exercises)
    assert build(solutions, exercises, check=True) == []
    assert nbformat.read(exercises / "02_perceptron_mlp.ipynb", as_version=4) == \
        committed_exercise("02")
    (exercises / "99_orphan.ipynb").write_text("{}")
    assert [p.name for p in build(solutions, exercises, check=True)] == ["99_orphan.ipynb"]


@pytest.mark.slow
def test_nbgrader_generate_assignment_accepts_a_solution_notebook(tmp_path):
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "nbgrader").exists(), "nbgrader (the dev extra) is not installed"
    source = tmp_path / "source" / "ch02"
    source.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "02_perceptron_mlp.ipynb", source)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(bin_dir / "nbgrader"), "generate_assignment", "ch02", "--force",
         f"--CourseDirectory.root={tmp_path}",
         f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gradebook.db'}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    released = nbformat.read(tmp_path / "release" / "ch02" / "02_perceptron_mlp.ipynb",
                             as_version=4)
    sources = "\n".join(c.source for c in released.cells)
    assert "BEGIN SOLUTION" not in sources and "raise NotImplementedError()" in sources
