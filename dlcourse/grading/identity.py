"""Whose submission is this, and for which chapter?  The instructor says; the notebook does not.

The student is, in this order: ``--student``, the roster (``--roster CSV``, a ``file,student``
table keyed by the submission's file name), the file name without its extension.  The
chapter is ``--chapter``, else the roster's optional ``chapter`` column, else the ``NN_`` in
the file name (``02_perceptron_mlp.ipynb``, ``s123_02_perceptron.ipynb``).  A notebook's own
metadata -- ``dlcourse.student`` in its header, ``dlcourse.exercise`` on its cells -- is
written by whoever edited the file, so it is never believed: where it names another student
or chapter, the result carries a *flag* saying so, for the instructor to look at.

Examples
--------
>>> chapter_from_name("s1234567_02_perceptron_mlp.ipynb", ["ch01", "ch02"])
'ch02'
>>> chapter_from_name("2024_notes.ipynb", ["ch01", "ch02"]) is None
True
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dlcourse.grading.text import clean

MAX_ROSTER_BYTES = 8 * 2**20
MAX_CLAIM_CHARS = 100  # of a name the notebook's metadata claims, as quoted in a flag
_CHAPTER_IN_NAME = re.compile(r"(?:^|[^0-9A-Za-z])(?:ch)?(\d\d)_")


class RosterError(ValueError):
    """A roster file that cannot be used, with the reason (and line) in the message."""


@dataclass(frozen=True)
class RosterEntry:
    student: str
    chapter: str | None = None


@dataclass
class Identity:
    """Who and what a submission is, and why the instructor may want to look twice."""

    student: str
    chapter: str | None
    flags: list[str] = field(default_factory=list)


def chapter_from_name(name: str, chapters: Iterable[str]) -> str | None:
    """The first ``NN_`` (or ``chNN_``) token of a file name that is a known chapter, else a
    known chapter (a bank's assignment such as ``hw3``) that appears in it as a word."""
    known = set(chapters)
    for match in _CHAPTER_IN_NAME.finditer(name):
        if f"ch{match.group(1)}" in known:
            return f"ch{match.group(1)}"
    for chapter in sorted(known):
        if re.search(rf"(?:^|[^0-9A-Za-z]){re.escape(chapter)}(?:[^0-9A-Za-z]|$)", name):
            return chapter
    return None


def read_roster(path, chapters: Iterable[str]) -> dict[str, RosterEntry]:
    """File name -> :class:`RosterEntry` from the CSV ``path`` (header ``file,student`` and
    optionally ``chapter``); raise :class:`RosterError` naming the first bad line."""
    path, known = Path(path), set(chapters)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise RosterError(f"{path} is larger than {MAX_ROSTER_BYTES // 2**20} MB")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read the roster {path}: {exc}") from None
    rows = csv.DictReader(text.splitlines())
    if not rows.fieldnames or not {"file", "student"} <= set(rows.fieldnames):
        raise RosterError(f"{path}: the first line must name the columns file,student "
                          "(and optionally chapter)")
    roster = {}
    for line, row in enumerate(rows, start=2):
        name, student = clean(row.get("file") or ""), clean(row.get("student") or "")
        chapter = clean(row.get("chapter") or "") or None
        if not name or not student:
            raise RosterError(f"{path}, line {line}: both file and student are needed")
        if Path(name).name != name:
            raise RosterError(f"{path}, line {line}: {name!r} should be a file name, not a path")
        if name in roster:
            raise RosterError(f"{path}, line {line}: {name!r} is listed twice")
        if chapter is not None and chapter not in known:
            raise RosterError(f"{path}, line {line}: {chapter!r} is not a chapter "
                              f"({', '.join(sorted(known))})")
        roster[name] = RosterEntry(student, chapter)
    return roster


def _claimed(nb, key: str) -> list[str]:
    """What the notebook's own metadata says under ``dlcourse.<key>``, header then cells."""
    found = []
    for node in [nb, *nb.get("cells", [])]:
        meta = node.get("metadata") if isinstance(node, Mapping) else None
        value = meta.get("dlcourse") if isinstance(meta, Mapping) else None
        value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str) and value.strip():
            found.append(value)
    return found


def identify(path: Path, nb, *, student: str | None, chapter: str | None,
             roster: Mapping[str, RosterEntry] | None, chapters: Iterable[str]) -> Identity:
    """The :class:`Identity` of the submission ``path`` whose notebook is ``nb`` (or None
    when it could not be read): see the module docstring.  ``student`` and ``chapter`` are
    the instructor's options; a file missing from a given roster has student ``""``."""
    chapters = list(chapters)
    entry = roster.get(path.name) if roster is not None else None
    who = clean(student or (entry.student if entry else "" if roster is not None else path.stem))
    what = chapter or (entry.chapter if entry else None) or chapter_from_name(path.name, chapters)
    identity = Identity(who, what)
    if nb is None:
        return identity
    for claim in sorted({clean(c, MAX_CLAIM_CHARS) for c in _claimed(nb, "student")} - {who}):
        identity.flags.append(f"the notebook's metadata names the student {claim!r}; graded "
                              f"as {who!r}, the owner of the file")
    tagged = {name.split(".")[0] for name in _claimed(nb, "exercise")}
    for other in sorted((tagged & set(chapters)) - {what}):
        identity.flags.append(f"the notebook's cells are tagged as {other} exercises; graded "
                              f"as {what or 'no chapter'}")
    return identity
