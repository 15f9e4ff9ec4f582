"""Issue 13, class 1: who a submission belongs to, and which chapter it is, is the
instructor's word -- never the notebook's."""

import json

import nbformat
import pytest
from grading_helpers import FAST, SANDBOX, solution

from dlcourse.cli import main
from dlcourse.grading.grader import grade_file, grade_paths
from dlcourse.grading.identity import RosterError, chapter_from_name, identify, read_roster

CHAPTERS = [f"ch{n:02d}" for n in range(1, 13)]


def grade(path, **kwargs):
    return grade_file(path, seed=3, limits=FAST, sandbox=SANDBOX, **kwargs)


def test_metadata_naming_another_student_is_graded_as_the_files_owner_and_flagged(
        make_submission):
    path = make_submission("alice", student="bob")
    result = grade(path)
    assert result.student == "02_alice" and result.score == result.max_score
    assert result.flags == ["the notebook's metadata names the student 'bob'; graded as "
                            "'02_alice', the owner of the file"]


def test_cells_tagged_as_another_chapter_do_not_choose_what_is_graded(make_submission):
    """A ch03 solution handed in as 02_*.ipynb is graded on ch02: nothing to earn."""
    result = grade(make_submission("swap", "02", base=solution("03")))
    assert result.assignment == "ch02" and result.score == 0
    assert any("tagged as ch03 exercises; graded as ch02" in f for f in result.flags)


def test_without_a_chapter_in_the_file_name_the_notebook_is_not_guessed(make_submission):
    result = grade(make_submission("x", file="alice.ipynb"))
    assert result.status == "error" and "cannot tell the chapter" in result.error
    assert grade(make_submission("y", file="alice2.ipynb"), chapter="ch02").score == 6


def test_a_roster_maps_file_names_to_students_and_refuses_unknown_files(make_submission,
                                                                         tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("file,student,chapter\nalice.ipynb,s111,ch02\n", encoding="utf-8")
    known = make_submission("a", file="alice.ipynb", student="s999")
    unknown = make_submission("b", file="mallory.ipynb")
    results = grade_paths([known, unknown], seed=3, limits=FAST, sandbox=SANDBOX,
                          roster=read_roster(roster, CHAPTERS))
    assert (results[0].student, results[0].assignment, results[0].score) == ("s111", "ch02", 6)
    assert results[0].flags and "'s999'" in results[0].flags[0]
    assert results[1].status == "error" and results[1].error == "mallory.ipynb is not in the roster"


@pytest.mark.parametrize("text, words", [
    ("name,id\na.ipynb,s1\n", "file,student"),
    ("file,student\na.ipynb,s1\na.ipynb,s2\n", "listed twice"),
    ("file,student\n../b/a.ipynb,s1\n", "not a path"),
    ("file,student\na.ipynb,\n", "both file and student"),
    ("file,student,chapter\na.ipynb,s1,ch99\n", "'ch99' is not a chapter"),
])
def test_a_bad_roster_is_refused_with_the_line(text, words, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError, match=words):
        read_roster(path, CHAPTERS)


def test_two_long_file_names_sharing_a_prefix_stay_two_students(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    prefix = "02_" + "very_long_student_name_" * 8  # 187 characters, past the old cut at 100
    paths = [folder / f"{prefix}{tail}.ipynb" for tail in ("anna", "anne")]
    for path in paths:
        path.write_text('{"cells": [')  # unreadable: the identity is still recorded
    results = grade_paths(paths, seed=3, limits=FAST, sandbox=SANDBOX)
    assert [r.student for r in results] == [p.stem for p in paths]
    assert len({r.student for r in results}) == 2


def test_a_hostile_file_name_becomes_a_clean_student_id(make_submission):
    path = make_submission("x", file="02_eve\x1b[31m\u202e\nroot.ipynb")
    result = grade(path)
    assert result.student == "02_eve root" and result.submission.isprintable()


def test_the_command_line_takes_the_roster_and_refuses_it_with_student(make_submission,
                                                                       tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("file,student\n02_alice.ipynb,s111\n", encoding="utf-8")
    path = make_submission("alice", student="s999")
    book = str(tmp_path / "g.sqlite")
    fast = ["--timeout", "60", "--cell-timeout", "8", "--call-timeout", "4", "--seed", "5"]
    if not SANDBOX:
        fast.append("--no-sandbox")
    assert main(["grade", str(path), "--roster", str(roster), "--json", "--gradebook", book,
                 *fast]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["student"] == "s111" and result["flags"]
    assert main(["grade", str(path), "--roster", str(roster), "--student", "x",
                 "--gradebook", book, *fast]) == 2
    assert "--student or --roster" in capsys.readouterr().err


def test_identity_rules_in_short():
    assert chapter_from_name("s1234567_02_perceptron.ipynb", CHAPTERS) == "ch02"
    assert chapter_from_name("ch11_gans-s1.ipynb", CHAPTERS) == "ch11"
    assert chapter_from_name("99_x.ipynb", CHAPTERS) is None
    nb = nbformat.v4.new_notebook(metadata={"dlcourse": {"student": "\x1b[2Jroot"}})
    who = identify(__import__("pathlib").Path("02_a.ipynb"), nb, student=None, chapter=None,
                   roster=None, chapters=CHAPTERS)
    assert (who.student, who.chapter) == ("02_a", "ch02")
    assert who.flags == ["the notebook's metadata names the student 'root'; graded as "
                         "'02_a', the owner of the file"]
