"""The ``dlcourse`` command: check the machine, refresh notebooks, build and grade exercises.

``doctor``, ``notebooks`` and ``progress`` live here; ``exercises``, ``grade`` and
``gradebook`` come from :mod:`dlcourse.grading.cli`.
"""

from __future__ import annotations

import argparse
import sys

from dlcourse import __version__
from dlcourse.grading.cli import register as register_grading


def _doctor(args) -> int:
    from dlcourse import doctor

    return doctor.main()


def _notebooks(args) -> int:
    from dlcourse import nbtools

    try:
        paths = nbtools.notebook_paths(args.paths)
    except ValueError as exc:
        print(f"dlcourse notebooks: {exc}", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        if args.action == "refresh":
            print(f"running {path} ...", flush=True)
            nbtools.refresh(path, timeout=args.timeout)
        else:
            import nbformat

            for problem in nbtools.problems(nbformat.read(path, as_version=4)):
                print(f"{path}: {problem}")
                status = 1
    return status


def _progress(args) -> int:
    import sqlite3

    from dlcourse.grading import progress

    path = progress.store_path()
    if path is None:
        print(f"Progress recording is off ({progress.PROGRESS_ENV}={progress.OFF}).")
        return 0
    try:
        records = progress.attempts(path)
    except sqlite3.DatabaseError as exc:
        print(f"dlcourse progress: {path} cannot be read ({exc}); delete it to start over",
              file=sys.stderr)
        return 1
    print(progress.format_table(progress.chapter_progress(records, progress.registry())))
    print(f"\nRecorded only on this machine, in {path}; delete that file to start over.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlcourse",
        description="Check this machine, refresh notebooks, build and grade exercises.")
    parser.add_argument("--version", action="version", version=f"dlcourse {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    doctor = sub.add_parser("doctor", help="check that this machine can run the course")
    doctor.set_defaults(func=_doctor)

    nbs = sub.add_parser("notebooks", help="refresh or check the committed notebooks")
    nbs.add_argument("action", choices=["refresh", "check"])
    nbs.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    nbs.add_argument("--timeout", type=int, default=300, help="seconds per cell (refresh)")
    nbs.set_defaults(func=_notebooks)

    progress = sub.add_parser("progress", help="the exercises you have passed, tried, not started")
    progress.set_defaults(func=_progress)

    register_grading(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dlcourse`` console script and ``python -m dlcourse``."""
    args = build_parser().parse_args(argv)
    return args.func(args)
