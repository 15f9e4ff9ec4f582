"""The gradebook: every grading attempt, appended, never overwritten, and provably unedited.

One SQLite file in WAL mode.  ``attempts`` holds one row per graded submission (student,
submission path and SHA-256, time, assignment, status, score, isolation level, grader
version, error, the cells skipped, the students it is a copy of, identity flags);
``exercise_scores`` one row per exercise of an attempt (score and feedback).  Triggers
refuse ``UPDATE`` and ``DELETE``, so a regrade is a new attempt and the history stays
complete.

Triggers stop mistakes, not an editor: anyone who can write the file can drop them.  So:

* on open, the schema -- tables, indexes and the triggers' full SQL -- must be exactly the
  one this module writes (:class:`GradebookError` otherwise; nothing else is read);
* every attempt row carries ``hash``: SHA-256 of the previous row's hash and of the row's
  own content, its exercise rows included.  :meth:`Gradebook.verify` recomputes the chain
  and names every edited, inserted or deleted row; ``dlcourse grade`` refuses to append to
  a gradebook that fails it.  The chain has no secret: someone who rewrites *every* later
  row with this code is not caught, unless the head hash printed by ``dlcourse gradebook
  verify`` was noted somewhere else.

Every text goes through :func:`~dlcourse.grading.text.clean` on the way in and out, and CSV
cells that a spreadsheet would run as a formula are neutralised (:func:`csv_cell`).

Examples
--------
>>> book = Gradebook(":memory:")
>>> book.attempts(), book.verify()
([], [])
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from pathlib import Path

from dlcourse.grading.text import clean

FORMAT = 2  # PRAGMA user_version; 1 had no hash chain
SCHEMA = """
CREATE TABLE attempts (
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
    error TEXT,
    skipped_cells TEXT NOT NULL,
    copy_of TEXT NOT NULL,
    flags TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE TABLE exercise_scores (
    attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    exercise TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    feedback TEXT NOT NULL,
    PRIMARY KEY (attempt_id, exercise)
);
CREATE INDEX attempts_by_student ON attempts (student, assignment);
""" + "".join(f"""
CREATE TRIGGER {table}_no_{action} BEFORE {action} ON {table}
BEGIN SELECT RAISE(ABORT, 'the gradebook is append-only: attempts are never changed'); END;
""" for table in ("attempts", "exercise_scores") for action in ("UPDATE", "DELETE"))
CONTENT = ("student", "submission", "sha256", "graded_at", "assignment", "status", "score",
           "max_score", "isolation", "grader_version", "error", "skipped_cells", "copy_of",
           "flags")
COLUMNS = ("student", "assignment", "score", "max_score", "status", "graded_at", "submission",
           "sha256", "isolation", "grader_version", "error", "skipped_cells", "copy_of", "flags")
GENESIS = "0" * 64
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LIMITS = {"student": 100, "submission": 300, "error": 500, "feedback": 500, "exercise": 100,
          "first_line": 120, "reason": 300}


class GradebookError(Exception):
    """A gradebook this grader will not read or append to; the message says why."""


def _schema(db: sqlite3.Connection) -> set[tuple]:
    return set(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


def _expected_schema() -> set[tuple]:
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    expected = _schema(db)
    db.close()
    return expected


def _skipped_text(skipped: list[dict]) -> str:
    """``cell 3 (while True:): ran past ...; cell 5 ...``: the skipped cells in one line."""
    return "; ".join(f"cell {s['index']} ({s['first_line']}): {s['reason']}" for s in skipped)


def row_hash(prev_hash: str, row: dict, exercises: list[dict]) -> str:
    """SHA-256 chaining ``row`` (its :data:`CONTENT` columns) and its exercise rows to the
    previous attempt's hash."""
    content = [FORMAT, prev_hash, [row[c] for c in CONTENT],
               [[e["exercise"], e["score"], e["max_score"], e["feedback"]] for e in exercises]]
    data = json.dumps(content, ensure_ascii=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(data.encode("ascii")).hexdigest()


def csv_cell(value):
    """``value`` for a spreadsheet: text cleaned, and text that a spreadsheet would run as a
    formula (starting with ``= + - @``, tab or CR: the OWASP CSV-injection rule) prefixed
    with ``'`` so that it stays text.

    >>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell(3.5)
    ('\\'=HYPERLINK("http://x")', 3.5)
    """
    if value is None or isinstance(value, (int, float)):
        return value
    text = clean(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class Gradebook:
    """An append-only, hash-chained record of attempts in the SQLite file ``path``.

    Opening checks the schema (see the module docstring) and creates it in a new file;
    :class:`GradebookError` if the file holds anything else.
    """

    def __init__(self, path):
        self.path = str(path)
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise GradebookError(f"{self.path} is not a gradebook: {exc}") from None
        except GradebookError:
            self.db.close()
            raise

    def _open(self) -> None:
        self.db.execute("PRAGMA trusted_schema=OFF")
        found = _schema(self.db)
        if not found:
            self.db.executescript(f"BEGIN IMMEDIATE; {SCHEMA}; PRAGMA user_version={FORMAT}; "
                                  "COMMIT;")
            found = _schema(self.db)
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version != FORMAT:
            raise GradebookError(f"{self.path} was written by another version of the grader "
                                 f"(format {version}, this one writes {FORMAT}); start a new "
                                 "gradebook with --gradebook")
        expected = _expected_schema()
        changed = sorted({f"{kind} {name}" for kind, name, _, _ in found ^ expected})
        if changed:
            raise GradebookError(f"{self.path} has been altered: its schema differs from the "
                                 f"grader's ({', '.join(changed)[:300]})")
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.db.close()

    def record(self, result, grader_version: str) -> int:
        """Append one :class:`~dlcourse.grading.grader.SubmissionResult`; its attempt id."""
        skipped = [{"index": int(s["index"]), "first_line": clean(s["first_line"],
                                                                  LIMITS["first_line"]),
                    "reason": clean(s["reason"], LIMITS["reason"])} for s in result.skipped]
        row = {"student": clean(result.student, LIMITS["student"]),
               "submission": clean(result.submission, LIMITS["submission"]),
               "sha256": clean(result.sha256), "graded_at": clean(result.graded_at),
               "assignment": clean(result.assignment), "status": clean(result.status),
               "score": float(result.score), "max_score": float(result.max_score),
               "isolation": clean(result.isolation), "grader_version": clean(grader_version),
               "error": None if result.error is None else clean(result.error, LIMITS["error"]),
               "skipped_cells": json.dumps(skipped),
               "copy_of": json.dumps([clean(s, LIMITS["student"]) for s in result.copy_of]),
               "flags": json.dumps([clean(f, LIMITS["error"]) for f in result.flags])}
        exercises = [{"exercise": clean(e.name, LIMITS["exercise"]), "score": float(e.score),
                      "max_score": float(e.max_score),
                      "feedback": clean(e.feedback, LIMITS["feedback"])}
                     for e in result.exercises]
        self.db.execute("BEGIN IMMEDIATE")  # the chain's head cannot move under us
        try:
            head = self.db.execute("SELECT hash FROM attempts ORDER BY id DESC LIMIT 1").fetchone()
            prev = head[0] if head else GENESIS
            names = [*CONTENT, "prev_hash", "hash"]
            values = [row[c] for c in CONTENT] + [prev, row_hash(prev, row, exercises)]
            cursor = self.db.execute(
                f"INSERT INTO attempts ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                values)
            attempt = cursor.lastrowid
            self.db.executemany("INSERT INTO exercise_scores VALUES (?, ?, ?, ?, ?)",
                                [(attempt, *e.values()) for e in exercises])
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return attempt

    def verify(self) -> list[str]:
        """Every sign of an edit, one line each: a row whose content or exercise rows no
        longer match its hash, a broken chain (a row deleted, inserted or reordered), a
        missing last row; ``[]`` for an intact gradebook."""
        problems, prev, expected_id = [], GENESIS, 1
        for row in self.db.execute("SELECT * FROM attempts ORDER BY id"):
            row = dict(row)
            label = f"attempt #{row['id']} ({clean(row['student'], 40)})"
            if row["id"] != expected_id:
                problems.append(f"attempt #{expected_id}"
                                + (f" to #{row['id'] - 1}" if row["id"] > expected_id + 1 else "")
                                + " missing (deleted)")
            if row["prev_hash"] != prev:
                problems.append(f"{label}: the chain is broken before it (a row deleted, "
                                "inserted or reordered)")
            if row_hash(row["prev_hash"], row, self._exercises(row["id"])) != row["hash"]:
                problems.append(f"{label}: edited (its content no longer matches its hash)")
            prev, expected_id = row["hash"], row["id"] + 1
        sequence = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'attempts'")
        last = (sequence.fetchone() or (0,))[0]
        if last >= expected_id:
            problems.append(f"attempt #{expected_id}"
                            + (f" to #{last}" if last > expected_id else "")
                            + " missing (deleted)")
        orphans = self.db.execute("SELECT DISTINCT attempt_id FROM exercise_scores WHERE "
                                  "attempt_id NOT IN (SELECT id FROM attempts)").fetchall()
        problems += [f"exercise rows of attempt #{o[0]}, which does not exist" for o in orphans]
        return problems

    def head(self) -> tuple[int, str]:
        """The number of attempts and the last one's hash (note it to detect a rewrite)."""
        count = self.db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
        last = self.db.execute("SELECT hash FROM attempts ORDER BY id DESC LIMIT 1").fetchone()
        return count, last[0] if last else GENESIS

    def _exercises(self, attempt: int) -> list[dict]:
        rows = self.db.execute("SELECT exercise, score, max_score, feedback FROM exercise_scores "
                               "WHERE attempt_id = ? ORDER BY rowid", (attempt,))
        return [dict(r) for r in rows]

    def _full(self, rows) -> list[dict]:
        return [{**dict(r), "exercises": self._exercises(r["id"]),
                 "skipped_cells": json.loads(r["skipped_cells"]),
                 "copy_of": json.loads(r["copy_of"]), "flags": json.loads(r["flags"])}
                for r in rows]

    def attempts(self, student: str | None = None) -> list[dict]:
        """Every attempt (of ``student``), oldest first, each with its ``exercises``."""
        if student is not None and not student.strip():
            raise ValueError("the student ID is empty")
        where = " WHERE student = ?" if student is not None else ""
        rows = self.db.execute(f"SELECT * FROM attempts{where} ORDER BY id",
                               (student,) if student is not None else ())
        return self._full(rows)

    def selected(self, *, best: bool = False) -> list[dict]:
        """One attempt per student and assignment: the latest, or the best (latest on ties)."""
        order = "score DESC, id DESC" if best else "id DESC"
        rows = self.db.execute(
            f"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY student, assignment "
            f"ORDER BY {order}) AS pick FROM attempts) WHERE pick = 1 "
            "ORDER BY student, assignment")
        return self._full(rows)

    def export_csv(self, stream, *, best: bool = False) -> int:
        """Write the selected attempts as CSV, one column per exercise; the row count.  No
        cell is a formula (:func:`csv_cell`)."""
        rows = self.selected(best=best)
        names = sorted({e["exercise"] for r in rows for e in r["exercises"]})
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([csv_cell(c) for c in (*COLUMNS, *names)])
        for row in rows:
            scores = {e["exercise"]: e["score"] for e in row["exercises"]}
            values = {**row, "skipped_cells": _skipped_text(row["skipped_cells"]),
                      "copy_of": "; ".join(row["copy_of"]), "flags": "; ".join(row["flags"])}
            writer.writerow([csv_cell(v) for v in (*(values[c] for c in COLUMNS),
                                                   *(scores.get(n, "") for n in names))])
        return len(rows)

    def show(self, student: str) -> str:
        """Every attempt of ``student`` with per-exercise scores and feedback, as text
        (``""`` if there is none; ValueError for an empty ID)."""
        attempts = self.attempts(student)
        if not attempts:
            return ""
        lines = [f"{clean(student)}: {len(attempts)} attempt(s)"]
        for a in attempts:
            lines.append(f"#{a['id']}  {clean(a['graded_at'])}  {clean(a['assignment']) or '-'}  "
                         f"{a['score']:g}/{a['max_score']:g}  {clean(a['status'])}  "
                         f"[{clean(a['isolation'])}]  {clean(a['submission'])}  "
                         f"sha256 {clean(a['sha256'])[:12]}")
            if a["error"]:
                lines.append(f"    error: {clean(a['error'])}")
            for label, items in (("copy of", a["copy_of"]), ("flag", a["flags"])):
                lines += [f"    {label}: {clean(item)}" for item in items]
            lines += [f"    skipped cell {s['index']} ({clean(s['first_line'])}): "
                      f"{clean(s['reason'])}" for s in a["skipped_cells"]]
            for e in a["exercises"]:
                lines.append(f"    {clean(e['exercise']):<28} {e['score']:g}/{e['max_score']:g}  "
                             f"{clean(e['feedback'])}")
        return "\n".join(lines)


def open_existing(path) -> Gradebook:
    """The gradebook at ``path``; FileNotFoundError if there is none (never creates one)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no gradebook at {path}")
    return Gradebook(path)
