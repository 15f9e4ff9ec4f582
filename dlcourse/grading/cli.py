"""``dlcourse exercises``, ``dlcourse grade`` and ``dlcourse gradebook`` (added to the main
parser by :func:`register`).

Exit status: 0 when the command did its job (for ``grade``: every submission was graded and
recorded), 1 when ``grade`` recorded a submission as an error (unreadable, a grader error)
or could not record one, when ``exercises build --check`` finds stale notebooks, a student
has no attempts or ``gradebook verify`` finds an edit, 2 for usage errors and refusals (no
bubblewrap without ``--no-sandbox``, a gradebook that fails verification).  No command
prints a traceback.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

DEFAULT_GRADEBOOK = "gradebook.sqlite"


def _fail(command: str, message: str, status: int = 2) -> int:
    print(f"dlcourse {command}: {message}", file=sys.stderr)
    return status


def _exercises(args) -> int:
    from dlcourse.grading.build import BuildError, build

    try:
        changed = build(Path(args.solutions), Path(args.exercises), check=args.check)
    except (BuildError, OSError) as exc:
        return _fail("exercises build", str(exc))
    if args.check:
        for path in changed:
            print(f"{path}: out of sync with {args.solutions}/ (run `dlcourse exercises build`)")
        return 1 if changed else 0
    for path in changed:
        note = "" if (Path(args.solutions) / path.name).exists() else " (no solution: remove it)"
        print(f"wrote {path}{note}" if not note else f"{path}{note}")
    return 0


def _print_result(result) -> None:
    print(f"{result.student} ({result.submission}): {result.score:g}/{result.max_score:g}  "
          f"[{result.status}, isolation {result.isolation}]")
    if result.error:
        print(f"  error: {result.error}")
    for e in result.exercises:
        print(f"  {e.name:<28} {e.score:g}/{e.max_score:g}  {e.feedback}")


def _grade(args) -> int:
    from dlcourse.grading.gradebook import Gradebook
    from dlcourse.grading.grader import GRADER_VERSION, grade_paths
    from dlcourse.grading.intake import submissions
    from dlcourse.grading.sandbox import Limits, SandboxUnavailable, require_sandbox

    try:
        paths = submissions(args.paths)
    except ValueError as exc:
        return _fail("grade", str(exc))
    if min(args.jobs, args.timeout, args.cell_timeout, args.call_timeout, args.memory) <= 0:
        return _fail("grade", "--jobs, --timeout, --cell-timeout, --call-timeout and --memory "
                              "must be positive")
    if args.seed is not None and args.seed < 0:
        return _fail("grade", "--seed must be a non-negative integer")
    try:
        identity = _identity_options(args)
    except ValueError as exc:
        return _fail("grade", str(exc))
    limits = Limits(notebook_s=args.timeout, cell_s=min(args.cell_timeout, args.timeout),
                    call_s=args.call_timeout, memory_mb=args.memory)
    if args.no_sandbox:
        print("dlcourse grade: warning: --no-sandbox: the notebooks run without isolation and "
              "can read or change anything you can (isolation \"none\" is recorded)",
              file=sys.stderr)
    else:
        try:
            require_sandbox()
        except SandboxUnavailable as exc:
            return _fail("grade", f"refusing to grade without isolation: {exc}")
    book_path = Path(args.gradebook)
    try:
        book = Gradebook(book_path)
    except Exception as exc:  # noqa: BLE001 -- sqlite3 errors, permissions, a non-database file
        return _fail("grade", f"cannot open the gradebook {book_path}: {exc}")
    problems = book.verify()
    if problems:
        book.close()
        return _fail("grade", f"refusing to append to {book_path}: it fails verification "
                              f"({problems[0]}; `dlcourse gradebook verify` lists all)")
    # The folders of the submissions as given (never where a link in them points) and the
    # gradebook's: hidden from the sandbox even should they lie inside the Python installation.
    hide = sorted({Path(os.path.abspath(p)).parent for p in paths}
                  | {Path(os.path.abspath(book_path)).parent}
                  | ({Path(args.bank).resolve()} if args.bank else set()))
    seed = args.seed if args.seed is not None else secrets.randbits(63)
    try:
        results = grade_paths(paths, seed=seed, limits=limits, jobs=args.jobs, hide=hide,
                              sandbox=not args.no_sandbox, **identity)
        unrecorded = _record_each(book, results, GRADER_VERSION)
    except KeyboardInterrupt:
        return _fail("grade", "interrupted", 130)
    except Exception as exc:  # noqa: BLE001 -- report in one line, never a traceback
        return _fail("grade", f"internal error: {type(exc).__name__}: {exc}", 1)
    finally:
        book.close()
    if args.json:
        data = [r.to_json() for r in results]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    else:
        for result in results:
            _print_result(result)
    for line in unrecorded:
        print(f"dlcourse grade: {line}", file=sys.stderr)
    return 1 if unrecorded or any(r.status == "error" for r in results) else 0


def _identity_options(args) -> dict:
    """``student``, ``chapter``, ``roster`` and ``bank`` for the grader, checked; raise
    ValueError with the reason for a bad roster or bank (see grading.identity, grading.bank)."""
    from dlcourse.grading.bank import BankError, load_bank, shipped
    from dlcourse.grading.identity import RosterError, read_roster

    if args.student is not None and args.roster is not None:
        raise ValueError("give --student or --roster, not both")
    try:
        registry = load_bank(Path(args.bank).resolve()) if args.bank else shipped()
        roster = read_roster(args.roster, registry.chapters()) if args.roster else None
    except (BankError, RosterError) as exc:
        raise ValueError(str(exc)) from None
    if args.chapter is not None and args.chapter not in registry.chapters():
        raise ValueError(f"--chapter {args.chapter!r} is not one of "
                         f"{', '.join(registry.chapters())}")
    return {"student": args.student, "chapter": args.chapter, "roster": roster,
            "bank": Path(args.bank).resolve() if args.bank else None}


def _record_each(book, results, version: str) -> list[str]:
    """Record every result on its own; one that cannot be stored does not stop the others.
    The lines saying which could not."""
    failed = []
    for result in results:
        try:
            book.record(result, version)
        except Exception as exc:  # noqa: BLE001 -- say which, keep going
            failed.append(f"could not record {result.submission}: {type(exc).__name__}: {exc}")
    return failed


def _gradebook(args) -> int:
    from dlcourse.grading.gradebook import open_existing

    try:
        book = open_existing(args.gradebook)
    except Exception as exc:  # noqa: BLE001
        return _fail("gradebook", str(exc))
    try:
        if args.action == "verify":
            return _verify(book)
        problems = book.verify()
        if problems:
            print(f"dlcourse gradebook: warning: {args.gradebook} fails verification "
                  f"({problems[0]}; `dlcourse gradebook verify` lists all)", file=sys.stderr)
        if args.action == "export":
            if not args.csv:
                return _fail("gradebook export", "choose a format: --csv")
            book.export_csv(sys.stdout, best=args.best)
            return 0
        if not args.student.strip():
            return _fail("gradebook show", "give a student ID (an empty one matches nobody)")
        text = book.show(args.student)
        if not text:
            return _fail("gradebook show", f"no attempts recorded for {args.student!r}", 1)
        print(text)
        return 0
    finally:
        book.close()


def _verify(book) -> int:
    """``gradebook verify``: every sign of an edit, or the head to note; 1 if any."""
    problems = book.verify()
    for problem in problems:
        print(f"{book.path}: {problem}")
    if problems:
        return 1
    count, head = book.head()
    print(f"{book.path}: intact, {count} attempt(s); head {head}")
    return 0


def register(sub) -> None:
    """Add ``exercises``, ``grade`` and ``gradebook`` to the ``dlcourse`` subparsers."""
    ex = sub.add_parser("exercises", help="build exercises/ from solutions/")
    ex_sub = ex.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = ex_sub.add_parser("build", help="write exercises/NN_*.ipynb from solutions/")
    build.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 if exercises/ is out of sync")
    build.add_argument("--solutions", default="solutions", help="default: solutions")
    build.add_argument("--exercises", default="exercises", help="default: exercises")
    build.set_defaults(func=_exercises)

    grade = sub.add_parser("grade", help="grade submitted notebooks in a sandbox")
    grade.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders of them")
    grade.add_argument("--student", help="student ID of the notebook(s) (default: the roster, "
                                         "else the file name; never the notebook's metadata)")
    grade.add_argument("--roster", metavar="CSV",
                       help="file,student[,chapter] table: the student of each file name")
    grade.add_argument("--chapter", help="the chapter (or bank assignment) of every notebook "
                                         "(default: the roster, else NN_ in the file name)")
    grade.add_argument("--bank", metavar="DIR",
                       help="grade with the private exercises in DIR instead of the shipped ones")
    grade.add_argument("--gradebook", default=DEFAULT_GRADEBOOK,
                       help=f"SQLite gradebook (default: {DEFAULT_GRADEBOOK})")
    grade.add_argument("--json", action="store_true", help="print results as JSON")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    grade.add_argument("--timeout", type=float, default=300,
                       help="seconds per notebook (default 300)")
    grade.add_argument("--cell-timeout", type=float, default=60,
                       help="seconds per cell (default 60)")
    grade.add_argument("--call-timeout", type=float, default=10,
                       help="seconds per call of a graded function (default 10)")
    grade.add_argument("--memory", type=int, default=2048, help="MB per submission (default 2048)")
    grade.add_argument("--seed", type=int, help="fix the hidden cases (default: a secret seed)")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="grade without bubblewrap isolation (only for code you trust; "
                            "records isolation \"none\")")
    grade.set_defaults(func=_grade)

    book = sub.add_parser("gradebook", help="export, show or verify the gradebook")
    book_sub = book.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = book_sub.add_parser("export", help="one row per student and assignment")
    export.add_argument("--csv", action="store_true", help="CSV on standard output")
    export.add_argument("--best", action="store_true", help="best attempt instead of latest")
    show = book_sub.add_parser("show", help="every attempt of one student")
    show.add_argument("student")
    verify = book_sub.add_parser("verify", help="check that no attempt was edited or deleted")
    for p in (export, show, verify):
        p.add_argument("--gradebook", default=DEFAULT_GRADEBOOK,
                       help=f"SQLite gradebook (default: {DEFAULT_GRADEBOOK})")
        p.set_defaults(func=_gradebook)
