"""The gradebook, attacked by someone who can write the file and by hostile submission text:
edits and deletions are found, an altered schema is refused, ``grade`` will not append to a
gradebook that fails verification, and no text reaches a terminal or a spreadsheet as
anything but text (issue 13, classes 6 to 9)."""

import csv
import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from grading_helpers import ROOT, SANDBOX

from dlcourse.grading.gradebook import Gradebook, GradebookError
from dlcourse.grading.grader import GRADER_VERSION, ExerciseResult, SubmissionResult

DLCOURSE = str(Path(sys.executable).parent / "dlcourse")


def attempt(student, score=1.0, *, error=None, feedback="all 7 cases passed", skipped=(),
            copy_of=(), flags=()):
    exercises = [ExerciseResult("ch02.relu_grad", score, 1, feedback)]
    result = SubmissionResult(f"subs/{student}.ipynb", student, "graded", score, 1, exercises,
                              "bwrap", error, "a" * 64, "ch02")
    result.skipped, result.copy_of, result.flags = list(skipped), list(copy_of), list(flags)
    return result


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    book = Gradebook(path)
    for student, score in [("alice", 1.0), ("bob", 0.5), ("carol", 0.0), ("dave", 1.0)]:
        book.record(attempt(student, score), GRADER_VERSION)
    book.close()
    return path


def tamper(path, *statements):
    """Run ``statements`` as someone with write access to the file would: drop the
    triggers, edit, put the very same triggers back (so that the schema looks intact)."""
    db = sqlite3.connect(path)
    triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        db.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        db.execute(statement)
    for _, sql in triggers:
        db.execute(sql)
    db.commit()
    db.close()


def verify(path):
    book = Gradebook(path)
    try:
        return book.verify()
    finally:
        book.close()


def test_an_intact_gradebook_verifies(path):
    assert verify(path) == []


@pytest.mark.parametrize(("statements", "found"), [
    (["UPDATE attempts SET score = 1 WHERE student = 'bob'"], ["attempt #2 (bob): edited"]),
    (["UPDATE exercise_scores SET feedback = 'ok' WHERE attempt_id = 3"],
     ["attempt #3 (carol): edited"]),
    (["INSERT INTO exercise_scores VALUES (3, 'ch02.sigmoid_grad', 1, 1, 'x')"],
     ["attempt #3 (carol): edited"]),
    (["DELETE FROM exercise_scores WHERE attempt_id = 2", "DELETE FROM attempts WHERE id = 2"],
     ["attempt #2 missing (deleted)", "attempt #3 (carol): the chain is broken"]),
    (["DELETE FROM exercise_scores WHERE attempt_id = 4", "DELETE FROM attempts WHERE id = 4"],
     ["attempt #4 missing (deleted)"]),
    (["UPDATE attempts SET student = 'mallory' WHERE id = 1",
      "UPDATE attempts SET student = 'alice' WHERE id = 2"],
     ["attempt #1 (mallory): edited", "attempt #2 (alice): edited"]),
])
def test_verify_names_every_edited_or_deleted_row(path, statements, found):
    tamper(path, *statements)
    problems = verify(path)
    assert len(problems) == len(found)
    for problem, expected in zip(problems, found, strict=True):
        assert problem.startswith(expected), problems


@pytest.mark.parametrize("statement", [
    "DROP TRIGGER attempts_no_update",
    "DROP TRIGGER exercise_scores_no_delete",
    # same name, harmless body: only the trigger's SQL tells
    "DROP TRIGGER attempts_no_delete; CREATE TRIGGER attempts_no_delete BEFORE DELETE ON "
    "attempts BEGIN SELECT 1; END",
    "CREATE TRIGGER sneaky AFTER INSERT ON attempts BEGIN SELECT 1; END",
    "CREATE VIEW extra AS SELECT 1",
    "PRAGMA user_version = 1",
])
def test_a_gradebook_whose_schema_was_altered_is_refused(path, statement):
    db = sqlite3.connect(path)
    db.executescript(statement)
    db.close()
    with pytest.raises(GradebookError, match="altered|another version"):
        Gradebook(path)


def test_a_file_that_is_no_database_is_refused(tmp_path):
    (tmp_path / "book.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(GradebookError, match="not a gradebook"):
        Gradebook(tmp_path / "book.sqlite")


def run(*args):
    return subprocess.run([DLCOURSE, *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_gradebook_verify_reports_the_head_or_the_edits(path):
    done = run("gradebook", "verify", "--gradebook", path)
    assert done.returncode == 0 and "intact, 4 attempt(s); head " in done.stdout
    tamper(path, "UPDATE attempts SET score = 1 WHERE student = 'carol'")
    done = run("gradebook", "verify", "--gradebook", path)
    assert done.returncode == 1 and "attempt #3 (carol): edited" in done.stdout
    for action in (["export", "--csv"], ["show", "carol"]):  # they still work, and warn
        done = run("gradebook", *action, "--gradebook", path)
        assert done.returncode == 0 and "carol" in done.stdout
        assert "fails verification (attempt #3 (carol): edited" in done.stderr


def test_grade_refuses_to_append_to_a_gradebook_that_fails_verification(path):
    tamper(path, "UPDATE attempts SET score = 1 WHERE student = 'carol'")
    solution = sorted((ROOT / "solutions").glob("02_*.ipynb"))[0]
    done = run("grade", solution, "--gradebook", path, "--no-sandbox")
    assert done.returncode == 2
    assert "refusing to append" in done.stderr and "attempt #3 (carol): edited" in done.stderr
    assert len(Gradebook(path).attempts()) == 4


def export(book):
    out = io.StringIO()
    book.export_csv(out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


def test_export_neutralises_every_cell_a_spreadsheet_would_run(tmp_path):
    book = Gradebook(tmp_path / "book.sqlite")
    for text in HOSTILE:
        book.record(attempt(text, error=text, feedback=text, copy_of=[text], flags=[text]),
                    GRADER_VERSION)
    rows = export(book)
    assert [r["student"] for r in rows] == sorted("'" + t for t in HOSTILE)
    for row in rows:
        for column in ("student", "error", "copy_of", "flags"):
            assert row[column].startswith("'") and row[column][1:] in HOSTILE
        assert row["score"] == "1.0"  # numbers stay numbers
    book.close()


def test_show_refuses_an_empty_student_id(path):
    for empty in ("", "   "):
        done = run("gradebook", "show", empty, "--gradebook", path)
        assert done.returncode == 2 and "give a student ID" in done.stderr
        assert "alice" not in done.stdout
    with pytest.raises(ValueError, match="empty"):
        Gradebook(path).show("")


def test_only_cleaned_text_is_stored(tmp_path):
    book = Gradebook(tmp_path / "book.sqlite")
    book.record(attempt("eve\x1b[2J\nmallory", error="bad \udc80 byte\x07",
                        feedback="\x1b]0;pwned\x07ok\r\nline"), GRADER_VERSION)
    (row,) = book.attempts()
    assert row["student"] == "eve mallory" and row["error"] == "bad \ufffd byte"
    assert row["exercises"][0]["feedback"] == "ok line"
    assert "\x1b" not in book.show("eve mallory") and book.verify() == []
    book.close()


def test_skipped_cells_copies_and_flags_appear_in_show_and_export(tmp_path):
    book = Gradebook(tmp_path / "book.sqlite")
    skipped = [{"index": 3, "first_line": "while True:", "reason": "ran past the 8 s limit"}]
    book.record(attempt("alice", skipped=skipped, copy_of=["bob"],
                        flags=["the notebook's metadata names carol"]), GRADER_VERSION)
    book.record(attempt("bob", copy_of=["alice"]), GRADER_VERSION)
    text = book.show("alice")
    assert "skipped cell 3 (while True:): ran past the 8 s limit" in text
    assert "copy of: bob" in text and "flag: the notebook's metadata names carol" in text
    alice, bob = export(book)
    assert alice["skipped_cells"] == "cell 3 (while True:): ran past the 8 s limit"
    assert (alice["copy_of"], bob["copy_of"]) == ("bob", "alice")
    assert alice["flags"] == "the notebook's metadata names carol" and bob["flags"] == ""
    assert book.verify() == []
    book.close()


def test_a_skipped_cell_and_a_copy_reach_show_and_export_from_a_real_grading(make_submission,
                                                                             tmp_path):
    """End to end: a hanging cell skipped while every function still passes, and two
    students with the same code, as ``dlcourse grade`` records them."""
    hang = make_submission("alice", insert=["while True:  # waits for nothing\n    pass"])
    make_submission("bob", insert=["while True:  # waits for nothing\n    pass"])
    book = tmp_path / "book.sqlite"
    done = run("grade", hang.parent, "--gradebook", book, "--cell-timeout", "3",
               "--timeout", "60", *([] if SANDBOX else ["--no-sandbox"]))
    assert done.returncode == 0, done.stderr
    shown = run("gradebook", "show", "02_alice", "--gradebook", book).stdout
    assert "skipped cell 2 (while True: # waits for nothing): ran past the 3 s limit" in shown
    assert "copy of: 02_bob" in shown
    rows = {r["student"]: r for r in export(Gradebook(book))}
    assert rows["02_alice"]["score"] == rows["02_alice"]["max_score"]
    assert rows["02_alice"]["skipped_cells"].startswith("cell 2 (while True: # waits for nothing)")
    assert (rows["02_alice"]["copy_of"], rows["02_bob"]["copy_of"]) == ("02_bob", "02_alice")
