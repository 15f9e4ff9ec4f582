"""`dlcourse grade`, `dlcourse gradebook` and `dlcourse exercises` from the command line."""

import json
import shutil

import pytest
from grading_helpers import ROOT, exercise_notebook

from dlcourse.cli import main

FAST = ["--timeout", "60", "--cell-timeout", "4", "--call-timeout", "3", "--seed", "5"]
KEYS = {"submission", "student", "status", "score", "max_score", "exercises", "isolation", "error",
        "skipped", "copy_of", "flags"}


@pytest.fixture
def folder(make_submission, tmp_path):
    make_submission("alice", file="alice.ipynb")
    make_submission("bob", base=exercise_notebook("02"), file="bob.ipynb")
    make_submission("carol", replace={"ch02.relu_grad": "def relu_grad(x):\n    return x"},
                    file="carol.ipynb")
    (tmp_path / "submissions" / "dave.ipynb").write_text('{"cells": [')
    return tmp_path / "submissions"


def grade_json(capsys, *args, status=0):
    assert main(["grade", *args, "--json", *FAST]) == status
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return json.loads(captured.out)


def test_grading_a_folder_prints_the_json_schema_and_fills_the_gradebook(folder, tmp_path,
                                                                         capsys):
    book = tmp_path / "book.sqlite"
    results = grade_json(capsys, str(folder), "--chapter", "ch02", "--gradebook", str(book),
                         status=1)  # dave's file is broken: exit status 1, the others recorded
    assert [r["student"] for r in results] == ["alice", "bob", "carol", "dave"]
    assert all(set(r) == KEYS for r in results)
    assert all(set(e) == {"name", "score", "max_score", "feedback"}
               for r in results for e in r["exercises"])
    assert [(r["status"], r["score"]) for r in results] == [
        ("graded", 6), ("graded", 0), ("graded", 5), ("error", 0)]
    assert results[3]["error"] == "not a notebook: the file is not valid JSON (truncated?)"

    assert main(["gradebook", "export", "--csv", "--gradebook", str(book)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("student,assignment,score") and len(lines) == 5
    assert main(["gradebook", "show", "carol", "--gradebook", str(book)]) == 0
    assert "ch02.relu_grad" in capsys.readouterr().out


@pytest.mark.slow
def test_two_jobs_give_the_same_results_as_one(folder, tmp_path, capsys):
    serial = grade_json(capsys, str(folder), "--chapter", "ch02", "--gradebook",
                        str(tmp_path / "a.sqlite"), status=1)
    parallel = grade_json(capsys, str(folder), "--chapter", "ch02", "--gradebook",
                          str(tmp_path / "b.sqlite"), "--jobs", "2", status=1)
    assert parallel == serial


def test_one_notebook_gives_one_json_object(make_submission, tmp_path, capsys):
    result = grade_json(capsys, str(make_submission("erin")), "--student", "e42",
                        "--gradebook", str(tmp_path / "g.sqlite"))
    assert result["student"] == "e42" and result["score"] == result["max_score"]


@pytest.mark.parametrize("args", [
    ["grade", "does/not/exist.ipynb"],
    ["grade", "EMPTY"],
    ["grade", "EMPTY", "--jobs", "0"],
    ["grade", "EMPTY", "--seed", "-1"],
    ["gradebook", "show", "alice", "--gradebook", "missing.sqlite"],
    ["gradebook", "export", "--gradebook", "missing.sqlite"],
])
def test_usage_errors_exit_with_status_2(args, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "EMPTY").mkdir()
    assert main(args) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_argument_errors_exit_with_status_2():
    with pytest.raises(SystemExit) as info:
        main(["grade"])
    assert info.value.code == 2


def test_showing_a_student_without_attempts_exits_1(tmp_path, make_submission, capsys):
    book = str(tmp_path / "g.sqlite")
    grade_json(capsys, str(make_submission("fred")), "--gradebook", book)
    assert main(["gradebook", "show", "nobody", "--gradebook", book]) == 1


def test_exercises_build_check_passes_on_the_repository_and_fails_when_stale(tmp_path):
    assert main(["exercises", "build", "--check", "--solutions", str(ROOT / "solutions"),
                 "--exercises", str(ROOT / "exercises")]) == 0
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    args = ["--solutions", str(tmp_path / "solutions"), "--exercises", str(tmp_path / "ex")]
    assert main(["exercises", "build", "--check", *args]) == 1
    assert main(["exercises", "build", *args]) == 0
    assert main(["exercises", "build", "--check", *args]) == 0
