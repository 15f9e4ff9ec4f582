"""Take in submitted files without trusting them: the grader's side, before any parsing.

A submissions folder is written by students (or unpacked from their archives), so any entry
in it may be hostile: a named pipe that blocks a reader forever, a device that never ends
(``/dev/zero``), a symbolic link to a file of the instructor's or to another student's
notebook, a notebook of gigabytes or with a code cell of megabytes.  Every such entry
becomes a one-line reason (:class:`Unreadable`) within moments, for that entry alone: no
entry changes how any other is read or graded.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> (folder / "a.ipynb").write_text("{}")
2
>>> read_submission(folder / "a.ipynb")
b'{}'
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

MAX_NOTEBOOK_BYTES = 16 * 2**20
MAX_CELL_CHARS = 200_000
MAX_CODE_CHARS = 1_000_000
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


class Unreadable(ValueError):
    """A submitted file the grader will not read; the message says why, in one line."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _target(path: Path, batch: Sequence[Path]) -> Path:
    """The file a symbolic link ``path`` stands for, if it may be read as ``path``'s own."""
    folder = Path(os.path.abspath(path)).parent.resolve()
    target = Path(os.path.realpath(path))
    if folder not in target.parents:
        raise Unreadable(f"a symbolic link to {target}, outside the submissions folder: "
                         "not read")
    others = {Path(os.path.realpath(p)) for p in batch
              if Path(os.path.abspath(p)) != Path(os.path.abspath(path))}
    if target in others:
        raise Unreadable(f"a symbolic link to another submission ({target.name}): not graded")
    return target


def read_submission(path, batch: Sequence[Path] = ()) -> bytes:
    """The bytes of the submission ``path``; raise :class:`Unreadable` instead of reading
    anything but a regular file of at most :data:`MAX_NOTEBOOK_BYTES`.

    ``batch`` are the paths graded together with ``path``: a symbolic link to one of them
    is flagged rather than graded twice.  A link to another file inside the same folder is
    followed; a link leaving the folder is refused.  Nothing here blocks: pipes and devices
    are refused from their type, before they are opened.
    """
    path = Path(path)
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            path = _target(path, batch)
            info = os.lstat(path)
    except FileNotFoundError:
        raise Unreadable("the file does not exist (a broken link?)") from None
    except OSError as exc:
        raise Unreadable(f"cannot read the file: {exc.strerror}") from None
    kind = _kind(info.st_mode)
    if kind is not None:
        raise Unreadable(f"{kind}, not a notebook file: not read")
    if info.st_size > MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Unreadable(f"cannot read the file: {exc.strerror}") from None
    with open(fd, "rb") as file:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            raise Unreadable("the file was replaced while the grader read it")
        data = file.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    return data


def check_cells(cells: Sequence[str]) -> None:
    """Raise :class:`Unreadable` if a code cell, or all of them together, is too long to
    read (the grader parses every cell; a learner's notebook needs a fraction of this)."""
    for index, source in enumerate(cells):
        if len(source) > MAX_CELL_CHARS:
            raise Unreadable(f"code cell {index} has {len(source):,} characters; the limit "
                             f"is {MAX_CELL_CHARS:,}")
    total = sum(map(len, cells))
    if total > MAX_CODE_CHARS:
        raise Unreadable(f"the code cells have {total:,} characters; the limit is "
                         f"{MAX_CODE_CHARS:,}")


def submissions(paths: Sequence[str]) -> list[Path]:
    """Notebooks named directly (of any extension) or found in folders (every entry named
    ``*.ipynb``, whatever its type, so that a pipe or link gets its own error); ValueError
    if none.  Nothing is opened here."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(p / e.name for e in os.scandir(p) if e.name.endswith(".ipynb")))
        elif os.path.lexists(p):
            found.append(p)
        else:
            raise ValueError(f"{p} does not exist")
    if not found:
        raise ValueError("no notebooks found in " + ", ".join(paths))
    return found
