"""The ``dlcourse`` command: check the machine, refresh notebooks, build and grade exercises.

``doctor`` and ``notebooks`` live here; ``exercises``, ``grade`` and ``gradebook`` come from
:mod:`dlcourse.grading.cli`.
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

    register_grading(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dlcourse`` console script and ``python -m dlcourse``."""
    args = build_parser().parse_args(argv)
    return args.func(args)
