"""Welcome panel: progress bars per chapter, drawn from the recorded checks."""

from datetime import datetime

import pytest

from dlcourse.chapters.welcome.panels import ALL, progress_panel
from dlcourse.grading import progress
from dlcourse.grading.progress import Attempt

CHAPTERS = {"ch01": ["ch01.a", "ch01.b", "ch01.c"], "ch02": ["ch02.x", "ch02.y"]}


def _bars(panel):
    """(label, colour, width) of every bar drawn, in drawing order."""
    ax = panel.figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    return [(labels[round(p.get_y() + p.get_height() / 2)], p.get_facecolor()[:3],
             p.get_width()) for p in ax.patches]


def test_panel_draws_a_bar_per_chapter_split_by_status():
    at = datetime(2026, 1, 1)
    rows = [Attempt("ch01.a", True, at), Attempt("ch01.b", False, at)]
    panel = progress_panel(lambda: rows, CHAPTERS)
    widths = {}
    for label, _, width in _bars(panel):
        widths.setdefault(label, []).append(width)
    # drawn per status (passed, attempted, not started), one bar per chapter each
    assert widths == {"ch01": [1, 1, 1], "ch02": [0, 0, 2]}
    assert panel.summary.value.startswith("1 of 5 exercises passed, 1 attempted.")


def test_picking_a_chapter_shows_its_exercises_and_rereads_the_store():
    rows = []
    panel = progress_panel(lambda: list(rows), CHAPTERS)
    rows.append(Attempt("ch02.y", True, datetime(2026, 1, 1)))
    panel.controls["chapter"].value = "ch02"
    assert [(e.name, e.status) for e in panel.result[0].exercises] == [
        ("ch02.x", "not started"), ("ch02.y", "passed")]
    labels = {label for label, _, width in _bars(panel) if width}
    assert labels == {"x", "y"}
    panel.controls["chapter"].value = ALL
    assert [c.counts()["passed"] for c in panel.result] == [0, 1]


def test_default_panel_covers_every_graded_chapter_from_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv(progress.PROGRESS_ENV, str(tmp_path / "p.sqlite"))
    progress.record("ch03.backprop_e", True)
    panel = progress_panel()
    assert [c.chapter for c in panel.result] == list(progress.registry())
    assert [c.counts()["passed"] for c in panel.result if c.chapter == "ch03"] == [1]
    (tmp_path / "p.sqlite").write_bytes(b"garbage" * 500)
    with pytest.warns(RuntimeWarning, match="cannot be read"):
        panel.controls["chapter"].value = "ch01"
    assert panel.result[0].counts()["passed"] == 0
