"""The gradebook: every grading attempt, appended and never overwritten.

One SQLite file in WAL mode.  ``attempts`` holds one row per graded submission (student,
submission path and SHA-256, time, assignment, status, score, isolation level, grader
version, error); ``exercise_scores`` one row per exercise of an attempt (score and
feedback).  Triggers refuse ``UPDATE`` and ``DELETE``, so a regrade is a new attempt and the
history stays complete.  Exports pick the latest or the best attempt per student and
assignment.

Examples
--------
>>> book = Gradebook(":memory:")
>>> book.attempts()
[]
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    student TEXT NOT NULL,
    submission TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    assignment TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('graded', 'error')),
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    isolation TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS exercise_scores (
    attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    exercise TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    feedback TEXT NOT NULL,
    PRIMARY KEY (attempt_id, exercise)
);
CREATE INDEX IF NOT EXISTS attempts_by_student ON attempts (student, assignment);
"""
APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS {table}_no_{action} BEFORE {action} ON {table}
BEGIN SELECT RAISE(ABORT, 'the gradebook is append-only: attempts are never changed'); END;
"""
COLUMNS = ("student", "assignment", "score", "max_score", "status", "graded_at", "submission",
           "sha256", "isolation", "grader_version", "error")


class Gradebook:
    """An append-only record of attempts in the SQLite file ``path``."""

    def __init__(self, path):
        self.path = str(path)
        self.db = sqlite3.connect(self.path, timeout=60)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        with self.db:
            self.db.executescript(SCHEMA + "".join(
                APPEND_ONLY.format(table=t, action=a)
                for t in ("attempts", "exercise_scores") for a in ("UPDATE", "DELETE")))

    def close(self) -> None:
        self.db.close()

    def record(self, result, grader_version: str) -> int:
        """Append one :class:`~dlcourse.grading.grader.SubmissionResult`; its attempt id."""
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO attempts (student, submission, sha256, graded_at, assignment, "
                "status, score, max_score, isolation, grader_version, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result.student, result.submission, result.sha256, result.graded_at,
                 result.assignment, result.status, result.score, result.max_score,
                 result.isolation, grader_version, result.error))
            attempt = cursor.lastrowid
            self.db.executemany(
                "INSERT INTO exercise_scores VALUES (?, ?, ?, ?, ?)",
                [(attempt, e.name, e.score, e.max_score, e.feedback) for e in result.exercises])
        return attempt

    def _exercises(self, attempt: int) -> list[dict]:
        rows = self.db.execute("SELECT exercise, score, max_score, feedback FROM exercise_scores "
                               "WHERE attempt_id = ? ORDER BY rowid", (attempt,))
        return [dict(r) for r in rows]

    def attempts(self, student: str | None = None) -> list[dict]:
        """Every attempt (of ``student``), oldest first, each with its ``exercises``."""
        where = " WHERE student = ?" if student else ""
        rows = self.db.execute(f"SELECT * FROM attempts{where} ORDER BY id",
                               (student,) if student else ())
        return [{**dict(r), "exercises": self._exercises(r["id"])} for r in rows]

    def selected(self, *, best: bool = False) -> list[dict]:
        """One attempt per student and assignment: the latest, or the best (latest on ties)."""
        order = "score DESC, id DESC" if best else "id DESC"
        rows = self.db.execute(
            f"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY student, assignment "
            f"ORDER BY {order}) AS pick FROM attempts) WHERE pick = 1 "
            "ORDER BY student, assignment")
        return [{**dict(r), "exercises": self._exercises(r["id"])} for r in rows]

    def export_csv(self, stream, *, best: bool = False) -> int:
        """Write the selected attempts as CSV, one column per exercise; the row count."""
        rows = self.selected(best=best)
        names = sorted({e["exercise"] for r in rows for e in r["exercises"]})
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([*COLUMNS, *names])
        for row in rows:
            scores = {e["exercise"]: e["score"] for e in row["exercises"]}
            writer.writerow([*(row[c] for c in COLUMNS), *(scores.get(n, "") for n in names)])
        return len(rows)

    def show(self, student: str) -> str:
        """Every attempt of ``student`` with per-exercise scores and feedback, as text."""
        attempts = self.attempts(student)
        if not attempts:
            return ""
        lines = [f"{student}: {len(attempts)} attempt(s)"]
        for a in attempts:
            lines.append(f"#{a['id']}  {a['graded_at']}  {a['assignment'] or '-'}  "
                         f"{a['score']:g}/{a['max_score']:g}  {a['status']}  "
                         f"[{a['isolation']}]  {a['submission']}  sha256 {a['sha256'][:12]}")
            if a["error"]:
                lines.append(f"    error: {a['error']}")
            for e in a["exercises"]:
                lines.append(f"    {e['exercise']:<28} {e['score']:g}/{e['max_score']:g}  "
                             f"{e['feedback']}")
        return "\n".join(lines)


def open_existing(path) -> Gradebook:
    """The gradebook at ``path``; FileNotFoundError if there is none (never creates one)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no gradebook at {path}")
    return Gradebook(path)
