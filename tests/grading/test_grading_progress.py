"""The local progress store: what check() records, two writers at once, damage contained."""

import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
from datetime import datetime, timezone

import pytest

from dlcourse import cli
from dlcourse.grading import check, progress
from dlcourse.grading.progress import Attempt, chapter_progress


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh progress file in ``tmp_path``, and the once-per-session warning re-armed."""
    path = tmp_path / "progress.sqlite"
    monkeypatch.setenv(progress.PROGRESS_ENV, str(path))
    monkeypatch.setattr(progress, "_warned", False)
    for name in ("DLCOURSE_GRADING", "DLCOURSE_STRICT_CHECKS"):
        monkeypatch.delenv(name, raising=False)
    return path


def _softmax_right(z):
    import numpy as np

    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_wrong(z):
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):  # overflows on the large case
        return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


def test_every_check_is_recorded_with_its_outcome(store, capsys):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    check("ch01.softmax", _softmax_wrong)
    check("ch01.softmax", _softmax_right)
    check("ch01.no_such_exercise", _softmax_right)  # not an exercise: nothing recorded
    rows = progress.attempts()
    assert [(r.exercise, r.passed) for r in rows] == [("ch01.softmax", False),
                                                      ("ch01.softmax", True)]
    assert all(before <= r.at <= datetime.now(timezone.utc) for r in rows)
    assert "✘ ch01.softmax" in capsys.readouterr().out
    assert sqlite3.connect(store).execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize("variable", ["DLCOURSE_GRADING", "DLCOURSE_STRICT_CHECKS"])
def test_the_grader_and_nbgrader_never_record(store, monkeypatch, variable):
    monkeypatch.setenv(variable, "1")
    progress.record("ch01.softmax", True)
    assert not store.exists()


def test_off_turns_recording_off(store, monkeypatch):
    monkeypatch.setenv(progress.PROGRESS_ENV, "off")
    progress.record("ch01.softmax", True)
    assert progress.store_path() is None and not store.exists()


def test_default_store_is_in_the_user_data_folder(monkeypatch):
    import platformdirs

    monkeypatch.delenv(progress.PROGRESS_ENV)
    assert progress.store_path() == (platformdirs.user_data_path("dlcourse", appauthor=False)
                                     / "progress.sqlite")


def test_the_test_session_never_uses_the_real_store():
    import platformdirs

    assert progress.store_path() is not None
    assert platformdirs.user_data_path("dlcourse", appauthor=False) not in \
        progress.store_path().parents


def test_a_corrupt_store_warns_once_is_moved_aside_and_started_fresh(store):
    store.write_bytes(b"this is not an SQLite database" * 100)
    with pytest.warns(RuntimeWarning, match="was damaged; it was moved to") as caught:
        progress.record("ch01.softmax", True)
    assert len(caught) == 1
    aside = [p for p in store.parent.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not an SQLite")
    assert [r.exercise for r in progress.attempts()] == ["ch01.softmax"]
    store.write_bytes(b"damaged again")  # a second failure in the same session stays quiet
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        progress.record("ch01.softmax", False)
    assert [r.passed for r in progress.attempts()] == [False]


def test_an_unwritable_store_warns_once_and_the_check_still_works(tmp_path, monkeypatch,
                                                                    capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(progress.PROGRESS_ENV, str(blocker / "progress.sqlite"))
    monkeypatch.setattr(progress, "_warned", False)
    with pytest.warns(RuntimeWarning, match="could not be recorded") as caught:
        check("ch01.softmax", _softmax_right)
        check("ch01.softmax", _softmax_right)
    assert len(caught) == 1
    assert capsys.readouterr().out.count("✔ ch01.softmax: all") == 2


def test_a_locked_store_costs_at_most_the_timeout(store):
    progress.record("ch01.softmax", False)
    holder = sqlite3.connect(store)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        start = time.perf_counter()
        with pytest.warns(RuntimeWarning, match="could not be recorded.*locked"):
            progress.record("ch01.softmax", True)
        assert time.perf_counter() - start < 5 * progress.TIMEOUT_S
    finally:
        holder.rollback()
        holder.close()
    assert [r.passed for r in progress.attempts()] == [False]


_WRITER = textwrap.dedent("""
    import sys
    from dlcourse.grading import progress
    for i in range(int(sys.argv[1])):
        progress.record(f"ch0{sys.argv[2]}.x", i % 2 == 0)
""")


def test_two_notebooks_writing_at_once_lose_nothing(store):
    n = 150
    writers = [subprocess.Popen([sys.executable, "-W", "error", "-c", _WRITER, str(n), str(k)])
               for k in (1, 2)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    rows = progress.attempts()
    assert len(rows) == 2 * n
    assert sorted({r.exercise for r in rows}) == ["ch01.x", "ch02.x"]
    assert sum(r.passed for r in rows) == n


def _at(minute):
    return datetime(2026, 12, 1, 10, minute)


def test_chapter_progress_counts_passed_attempted_and_not_started():
    rows = [Attempt("ch01.a", False, _at(1)), Attempt("ch01.a", True, _at(2)),
            Attempt("ch01.a", False, _at(3)),  # a later failure does not undo a pass
            Attempt("ch01.b", False, _at(4)), Attempt("ch02.x", True, _at(5)),
            Attempt("old.gone", True, _at(6))]  # no longer an exercise: ignored
    got = chapter_progress(rows, {"ch01": ["ch01.a", "ch01.b", "ch01.c"], "ch02": ["ch02.x"]})
    assert [c.chapter for c in got] == ["ch01", "ch02"]
    assert [(e.name, e.status, e.last) for e in got[0].exercises] == [
        ("ch01.a", "passed", _at(3)), ("ch01.b", "attempted", _at(4)),
        ("ch01.c", "not started", None)]
    assert got[0].counts() == {"passed": 1, "attempted": 1, "not started": 1}
    assert got[1].counts() == {"passed": 1, "attempted": 0, "not started": 0}


def test_cli_prints_every_chapter_and_where_the_file_lives(store, capsys):
    progress.record("ch01.softmax", True, at=datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc))
    progress.record("ch02.sigmoid_grad", False)
    assert cli.main(["progress"]) == 0
    out = capsys.readouterr().out
    registry = progress.registry()
    assert all(f"\n{ch}  " in "\n" + out for ch in registry)
    n1 = len(registry["ch01"])
    assert f"ch01  1 passed · 0 attempted · {n1 - 1} not started" in out
    assert "✔ ch01.softmax" in out and "passed       2026-12-01 09:30" in out
    assert "✘ ch02.sigmoid_grad" in out and "· ch01.cross_entropy " in out
    assert f"in {store}; delete that file to start over." in out


def test_cli_with_an_unreadable_store_says_so(store, capsys):
    store.write_bytes(b"garbage" * 1000)
    assert cli.main(["progress"]) == 1
    assert f"{store} cannot be read" in capsys.readouterr().err


def test_cli_when_recording_is_off_says_so(monkeypatch, capsys):
    monkeypatch.setenv(progress.PROGRESS_ENV, "off")
    assert cli.main(["progress"]) == 0
    assert capsys.readouterr().out == "Progress recording is off (DLCOURSE_PROGRESS=off).\n"
