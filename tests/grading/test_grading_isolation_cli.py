"""``dlcourse grade`` isolates by default: it refuses without bubblewrap, grades without it
only when told (``--no-sandbox``, recorded as isolation "none"), and a submission sees
nothing of the folder it is graded from, even with ``grade .`` run inside it (issue 13,
class 3)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from grading_helpers import solution

from dlcourse.grading.sandbox import bwrap_problem, bwrap_works

DLCOURSE = str(Path(sys.executable).parent / "dlcourse")
NO_BWRAP = {**os.environ, "PATH": "/nonexistent"}  # the grader finds bwrap through PATH


def grade(*args, cwd=None, env=None):
    return subprocess.run([DLCOURSE, "grade", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env)


def test_without_bubblewrap_the_grader_refuses_and_says_how_to_install_it(make_submission,
                                                                          tmp_path):
    path = make_submission("alice")
    done = grade(path, "--gradebook", tmp_path / "book.sqlite", env=NO_BWRAP)
    assert done.returncode == 2 and done.stdout == ""
    assert "refusing to grade without isolation: bubblewrap (bwrap) is not installed" \
        in done.stderr
    assert "apt-get install bubblewrap" in done.stderr and "--no-sandbox" in done.stderr
    assert not (tmp_path / "book.sqlite").exists()


def test_no_sandbox_grades_warns_and_records_isolation_none(make_submission, tmp_path):
    book = tmp_path / "book.sqlite"
    done = grade(make_submission("alice"), "--student", "alice", "--gradebook", book, "--json",
                 "--no-sandbox", env=NO_BWRAP)
    assert done.returncode == 0, done.stderr
    assert "warning: --no-sandbox" in done.stderr
    result = json.loads(done.stdout)
    assert result["isolation"] == "none" and result["score"] == result["max_score"]
    shown = subprocess.run([DLCOURSE, "gradebook", "show", "alice", "--gradebook", book],
                           capture_output=True, text=True, timeout=60)
    assert "[none]" in shown.stdout


def spy_cell(paths):
    """relu_grad, right only if the learner's process can see one of ``paths``."""
    return (f"import os\ndef relu_grad(x):\n"
            f"    if any(os.path.lexists(p) for p in {list(map(str, paths))!r}):\n"
            f"        return (x > 0).astype(x.dtype)\n    return x")


@pytest.mark.skipif(not bwrap_works(), reason=f"{bwrap_problem()}: install the Debian package "
                    "`bubblewrap` (CI does)")
def test_grade_dot_inside_the_submissions_folder_shows_the_sandbox_none_of_it(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    secrets = [folder / "alice.ipynb", folder / "gradebook.sqlite", folder, tmp_path]
    for name, cell in [("spy", spy_cell(secrets)), ("control", spy_cell([sys.executable]))]:
        nb = solution("02")
        for c in nb.cells:
            if c.metadata.get("dlcourse", {}).get("exercise") == "ch02.relu_grad":
                c.source = cell
        (folder / f"02_perceptron_mlp-{name}.ipynb").write_text(json.dumps(nb))
    (folder / "alice.ipynb").write_text(json.dumps(solution("02")))
    done = grade(".", "--json", cwd=folder)
    results = {Path(r["submission"]).stem.rsplit("-", 1)[-1]: r for r in json.loads(done.stdout)}
    relu = {name: next(e for e in r["exercises"] if e["name"] == "ch02.relu_grad")
            for name, r in results.items() if name in ("spy", "control")}
    assert relu["control"]["score"] == 1  # the probe works: it sees what it may
    assert relu["spy"]["score"] == 0 and "wrong" in relu["spy"]["feedback"]
    assert results["spy"]["isolation"] == results["control"]["isolation"] == "bwrap"
