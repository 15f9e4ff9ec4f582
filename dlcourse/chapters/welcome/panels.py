"""Welcome panel: a bar per chapter -- exercises passed, attempted, not started.

The numbers come from :func:`dlcourse.grading.progress.chapter_progress` over the checks
recorded on this machine; choosing a chapter shows its exercises one by one.  Each update
reads the store again, so the panel follows checks run in other notebooks.

Examples
--------
>>> from datetime import datetime
>>> from dlcourse.grading.progress import Attempt
>>> panel = progress_panel(lambda: [Attempt("ch01.a", True, datetime(2026, 1, 1))],
...                        {"ch01": ["ch01.a", "ch01.b"], "ch02": ["ch02.x"]})
>>> [c.counts()["passed"] for c in panel.result]
[1, 0]
>>> panel.controls["chapter"].value = "ch01"; [e.status for e in panel.result[0].exercises]
['passed', 'not started']
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Callable, Mapping

import ipywidgets as widgets

from dlcourse.grading import progress
from dlcourse.ui.panel import Panel

__all__ = ["progress_panel"]

ALL = "all chapters"
COLOURS = {"passed": "#2ca02c", "attempted": "#ff7f0e", "not started": "#d9d9d9"}


def _draw(fig, result: list[progress.ChapterProgress]) -> str:
    ax = fig.add_subplot()
    if len(result) == 1:  # one chapter: a bar per exercise, coloured by its status
        rows = [(e.name.split(".", 1)[1], {s: float(e.status == s) for s in progress.STATUSES})
                for e in result[0].exercises]
    else:
        rows = [(c.chapter, c.counts()) for c in result]
    labels = [label for label, _ in rows]
    left = [0.0] * len(rows)
    for status in progress.STATUSES:
        widths = [counts[status] for _, counts in rows]
        ax.barh(labels, widths, left=left, color=COLOURS[status], label=status)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.invert_yaxis()
    if len(result) == 1:
        ax.set_xticks([])
    else:
        ax.set_xlabel("exercises")
    ax.legend(loc="lower right", fontsize="small")
    totals = {s: sum(c.counts()[s] for c in result) for s in progress.STATUSES}
    n = sum(totals.values())
    return (f"{totals['passed']} of {n} exercises passed, {totals['attempted']} attempted. "
            f"Recorded only on this machine (<code>dlcourse progress</code> says where).")


def _recorded() -> list[progress.Attempt]:
    """This machine's checks; an unreadable store shows as no checks, with a warning."""
    try:
        return progress.attempts()
    except sqlite3.DatabaseError as exc:
        warnings.warn(f"your progress file cannot be read ({exc}); `dlcourse progress` says "
                      "where it is", RuntimeWarning, stacklevel=2)
        return []


def progress_panel(records: Callable[[], list] = _recorded,
                   chapters: Mapping[str, list[str]] | None = None) -> Panel:
    """The panel: a chapter picker above, the bars below.

    Parameters
    ----------
    records : callable
        Returns the recorded checks (default: this machine's store).
    chapters : mapping of str to list of str, optional
        Exercise names by chapter (default: every graded exercise).
    """
    chapters = dict(progress.registry() if chapters is None else chapters)

    def compute(chapter: str) -> list[progress.ChapterProgress]:
        shown = chapters if chapter == ALL else {chapter: chapters[chapter]}
        return progress.chapter_progress(records(), shown)

    picker = widgets.Dropdown(options=[ALL, *chapters], value=ALL, description="chapter")
    return Panel(compute, _draw, {"chapter": picker},
                 figsize=(7.0, 0.3 * max(len(chapters), 6) + 1.0))
