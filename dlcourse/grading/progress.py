"""A learner's progress: every ``check()`` they run, recorded on this machine and nowhere else.

Each check adds one row -- exercise, passed or not, when (UTC) -- to a small SQLite file:
``$DLCOURSE_PROGRESS`` if set (``off`` turns recording off), else ``progress.sqlite`` in the
platform's user data folder (``~/.local/share/dlcourse/`` on Linux).  Deleting the file
starts over.  ``dlcourse progress`` prints it as a table, the welcome notebook as a panel
(:func:`chapter_progress` is the computation both show).

Recording must never slow or break a check: SQLite waits at most :data:`TIMEOUT_S` for a
lock (two notebooks open at once write through WAL, readers never block writers), and any
failure is contained here.  A store that is corrupt or cannot be written gives *one*
warning per session; a corrupt one is moved aside (``progress.sqlite.corrupt-<time>``, kept
for whoever wants to look) and a fresh one started.  The grader's sandbox
(``DLCOURSE_GRADING=1``) and nbgrader's strict checks never record.

>>> from datetime import datetime
>>> at = datetime(2026, 1, 1)
>>> rows = [Attempt("ch01.softmax", False, at), Attempt("ch01.softmax", True, at),
...         Attempt("ch01.cross_entropy", False, at)]
>>> ch = chapter_progress(rows, {"ch01": ["ch01.softmax", "ch01.cross_entropy", "ch01.ce_grad"]})
>>> ch[0].counts()
{'passed': 1, 'attempted': 1, 'not started': 1}
"""

from __future__ import annotations

import os
import sqlite3
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

PROGRESS_ENV = "DLCOURSE_PROGRESS"
OFF = "off"
TIMEOUT_S = 0.5
STATUSES = ("passed", "attempted", "not started")
_QUIET_ENVS = ("DLCOURSE_GRADING", "DLCOURSE_STRICT_CHECKS")  # the grader, nbgrader
_SCHEMA = """CREATE TABLE IF NOT EXISTS checks (
    exercise TEXT NOT NULL, passed INTEGER NOT NULL, at TEXT NOT NULL)"""
_CORRUPT = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_warned = False


@dataclass(frozen=True)
class Attempt:
    """One check a learner ran."""

    exercise: str
    passed: bool
    at: datetime


@dataclass(frozen=True)
class ExerciseProgress:
    name: str
    status: str           # one of STATUSES
    last: datetime | None  # the latest check, if any


@dataclass(frozen=True)
class ChapterProgress:
    chapter: str
    exercises: tuple[ExerciseProgress, ...]

    def counts(self) -> dict[str, int]:
        """How many exercises are passed, attempted (never passed), not started."""
        return {s: sum(e.status == s for e in self.exercises) for s in STATUSES}


def store_path() -> Path | None:
    """The progress file, or ``None`` when recording is off (``DLCOURSE_PROGRESS=off``)."""
    value = os.environ.get(PROGRESS_ENV)
    if value:
        return None if value.strip().lower() == OFF else Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("dlcourse", appauthor=False)) / "progress.sqlite"


def _warn_once(message: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    name = getattr(exc, "sqlite_errorname", "")  # Python >= 3.11
    return name in _CORRUPT or "not a database" in str(exc) or "malformed" in str(exc)


def _move_aside(path: Path) -> Path:
    """Rename the store (and its WAL files) to ``<name>.corrupt-<time>``; return the new name."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    for suffix in ("", "-wal", "-shm"):
        old = path.with_name(path.name + suffix)
        if old.exists():
            os.replace(old, path.with_name(f"{path.name}.corrupt-{stamp}{suffix}"))
    return path.with_name(f"{path.name}.corrupt-{stamp}")


def _insert(path: Path, exercise: str, passed: bool, at: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=TIMEOUT_S)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        with conn:
            conn.execute(_SCHEMA)
            conn.execute("INSERT INTO checks VALUES (?, ?, ?)",
                         (exercise, int(passed), at.isoformat(timespec="seconds")))
    finally:
        conn.close()


def record(exercise: str, passed: bool, *, at: datetime | None = None) -> None:
    """Add one check to the store; never raises, waits at most about :data:`TIMEOUT_S`."""
    path = store_path()
    if path is None or any(os.environ.get(v) == "1" for v in _QUIET_ENVS):
        return
    at = at or datetime.now(timezone.utc)
    try:
        try:
            _insert(path, exercise, passed, at)
        except sqlite3.DatabaseError as exc:
            if not _is_corrupt(exc):
                raise
            aside = _move_aside(path)
            _warn_once(f"your progress file {path} was damaged; it was moved to {aside} and a "
                       "new one started (checks from now on are recorded).")
            _insert(path, exercise, passed, at)
    except Exception as exc:  # recording is a courtesy: a check never fails because of it
        _warn_once(f"your progress could not be recorded in {path} ({exc}); checks still "
                   f"work. Set {PROGRESS_ENV} to another file, or to 'off'.")


def attempts(path: Path | None = None) -> list[Attempt]:
    """Every recorded check, oldest first (empty when there is no store yet).

    Raises
    ------
    sqlite3.DatabaseError
        The store exists but cannot be read.
    """
    path = store_path() if path is None else path
    if path is None or not path.exists():
        return []
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=TIMEOUT_S)
    try:
        rows = conn.execute("SELECT exercise, passed, at FROM checks ORDER BY at, rowid")
        return [Attempt(e, bool(p), datetime.fromisoformat(t)) for e, p, t in rows]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


def registry() -> dict[str, list[str]]:
    """The graded exercises by chapter, in notebook order: ``{"ch01": ["ch01.softmax", ...]}``."""
    from dlcourse.grading import exercises

    return {ch: [e.name for e in exercises.chapter(ch)] for ch in exercises.chapters()}


def chapter_progress(records: Iterable[Attempt],
                     chapters: Mapping[str, list[str]]) -> list[ChapterProgress]:
    """Each chapter's exercises as passed / attempted / not started.

    Parameters
    ----------
    records : iterable of Attempt
        The recorded checks (:func:`attempts`); exercises not in ``chapters`` are ignored.
    chapters : mapping of str to list of str
        Exercise names by chapter, in display order (:func:`registry`).

    Returns
    -------
    list of ChapterProgress
        One per chapter, in the order of ``chapters``.  An exercise is *passed* once any
        check of it passed -- a later failing check (trying a variant) does not undo that.
    """
    passed: set[str] = set()
    last: dict[str, datetime] = {}
    for r in records:
        if r.passed:
            passed.add(r.exercise)
        last[r.exercise] = max(last.get(r.exercise, r.at), r.at)
    return [ChapterProgress(ch, tuple(
        ExerciseProgress(name, "passed" if name in passed else
                         "attempted" if name in last else "not started", last.get(name))
        for name in names)) for ch, names in chapters.items()]


def format_table(progress: list[ChapterProgress]) -> str:
    """Chapters x exercises as text: a summary line per chapter, a line per exercise."""
    marks = {"passed": "✔", "attempted": "✘", "not started": "·"}
    width = max((len(e.name) for ch in progress for e in ch.exercises), default=0)
    lines = []
    for ch in progress:
        counts = ch.counts()
        lines.append(f"{ch.chapter}  " + " · ".join(f"{n} {s}" for s, n in counts.items()))
        for e in ch.exercises:
            when = f"  {e.last:%Y-%m-%d %H:%M}" if e.last else ""
            lines.append(f"  {marks[e.status]} {e.name:<{width}}  {e.status:<11}{when}".rstrip())
    return "\n".join(lines)
