"""The gradebook keeps every attempt and exports the latest or the best one per student."""

import csv
import io
import sqlite3

import pytest

from dlcourse.grading.gradebook import Gradebook
from dlcourse.grading.grader import GRADER_VERSION, ExerciseResult, SubmissionResult


def attempt(student, score, assignment="ch02", sha="a" * 64):
    exercises = [ExerciseResult("ch02.relu_grad", score, 1, "feedback"),
                 ExerciseResult("ch02.sigmoid_grad", 1, 1, "all 7 cases passed")]
    return SubmissionResult(f"subs/{student}.ipynb", student, "graded", score + 1, 2, exercises,
                            "bwrap", None, sha, assignment)


@pytest.fixture
def book(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    for student, score in [("alice", 1), ("alice", 0), ("bob", 0.5)]:
        book.record(attempt(student, score), GRADER_VERSION)
    book.record(attempt("alice", 0.25, assignment="ch03"), GRADER_VERSION)
    yield book
    book.close()


def test_every_attempt_is_appended_with_its_exercises(book):
    alice = book.attempts("alice")
    assert [a["score"] for a in alice] == [2, 1, 1.25]
    assert alice[0]["exercises"][0] == {"exercise": "ch02.relu_grad", "score": 1, "max_score": 1,
                                        "feedback": "feedback"}
    assert alice[0]["grader_version"] == GRADER_VERSION and alice[0]["sha256"] == "a" * 64


def test_the_gradebook_refuses_to_change_or_delete_attempts(book):
    for statement in ("UPDATE attempts SET score = 100", "DELETE FROM attempts",
                      "UPDATE exercise_scores SET score = 100", "DELETE FROM exercise_scores"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            book.db.execute(statement)
    assert len(book.attempts()) == 4


def test_the_gradebook_uses_write_ahead_logging(book):
    assert book.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def export(book, best):
    out = io.StringIO()
    book.export_csv(out, best=best)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_export_picks_the_latest_attempt_per_student_and_assignment(book):
    rows = export(book, best=False)
    assert [(r["student"], r["assignment"], r["score"]) for r in rows] == [
        ("alice", "ch02", "1.0"), ("alice", "ch03", "1.25"), ("bob", "ch02", "1.5")]
    assert rows[0]["ch02.relu_grad"] == "0.0" and rows[0]["ch02.sigmoid_grad"] == "1.0"


def test_export_can_pick_the_best_attempt_instead(book):
    rows = export(book, best=True)
    assert [(r["student"], r["assignment"], r["score"]) for r in rows] == [
        ("alice", "ch02", "2.0"), ("alice", "ch03", "1.25"), ("bob", "ch02", "1.5")]


def test_show_lists_every_attempt_of_one_student(book):
    text = book.show("alice")
    assert text.startswith("alice: 3 attempt(s)") and text.count("ch02.relu_grad") == 3
    assert book.show("nobody") == ""


def test_the_gradebook_survives_reopening(tmp_path):
    path = tmp_path / "g.sqlite"
    Gradebook(path).record(attempt("carol", 1), GRADER_VERSION)
    reopened = Gradebook(path)
    reopened.record(attempt("carol", 0), GRADER_VERSION)
    assert [a["score"] for a in reopened.attempts("carol")] == [2, 1]
