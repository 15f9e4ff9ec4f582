"""Grade submitted notebooks: the trusted side of ``dlcourse grade``.

For each submission this process -- which never imports or executes the learner's code --

1. reads the file as data (:mod:`~dlcourse.grading.intake`; a truncated or foreign file
   becomes an ``error`` result) and works out whose it is and for which chapter from what
   the instructor says -- ``--student``, ``--roster``, ``--chapter``, the file name -- never
   from the notebook's metadata (:mod:`~dlcourse.grading.identity`; a mismatch is flagged);
2. prepares the code cells as plain Python (a cell that does not parse is skipped, and
   named in the report), and starts the learner's process (:mod:`~dlcourse.grading.session`)
   which runs them under the exercises' import allow-list; a cell that hangs or kills the
   process is skipped and the process restarted;
3. for every exercise of the chapter: checks that the function the runner holds is one that
   a ``def`` in a cell defines, reads that definition for refused or unlisted calls, then
   sends the inputs of the public, edge and hidden cases (hidden ones drawn from a secret
   per-run seed), receives the outputs as data and compares them here with the reference.
   The score is the exercise's points times the share of cases passed; the feedback is one
   line.

Bad submissions are results, not crashes: every failure becomes a score and a reason, a
grader bug in one exercise costs only that exercise (and is recorded as an error), and every
string that came from the submission is cleaned (:func:`~dlcourse.grading.text.clean`).
A batch also marks submissions whose code is the same after normalising whitespace and
comments (``copy_of``).
"""

from __future__ import annotations

import ast
import concurrent.futures
import hashlib
import json
import multiprocessing
import time
import warnings
import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import numpy as np

import dlcourse
from dlcourse.grading.bank import Registry, load_bank, shipped
from dlcourse.grading.checks import refusal
from dlcourse.grading.guard import (
    definitions,
    grader_internals,
    parse_cell,
    prepare_cell,
    scan_source,
    syntax_problem,
)
from dlcourse.grading.identity import RosterEntry, identify
from dlcourse.grading.imports import PACKAGE_DIR
from dlcourse.grading.intake import Unreadable, check_cells, read_submission
from dlcourse.grading.sandbox import ISOLATED, NOT_ISOLATED, Limits, require_sandbox
from dlcourse.grading.session import Session
from dlcourse.grading.spec import Exercise, StudentError, run_cases
from dlcourse.grading.text import clean

GRADER_VERSION = f"dlcourse {dlcourse.__version__} (grader 2)"
MAX_FEEDBACK_CHARS = 600


@dataclass
class ExerciseResult:
    name: str
    score: float
    max_score: float
    feedback: str


@dataclass
class SubmissionResult:
    """One graded (or failed) submission; :meth:`to_json` is the ``--json`` schema.

    ``skipped``: cells not run, each ``{"index", "first_line", "reason"}`` (``index`` counts
    all of the notebook's cells from 0); ``copy_of``: other students of the batch whose code
    is the same; ``flags``: what the instructor should look at (identity mismatches)."""

    submission: str
    student: str
    status: str  # "graded" | "error"
    score: float
    max_score: float
    exercises: list[ExerciseResult]
    isolation: str
    error: str | None
    sha256: str = ""
    assignment: str = ""
    graded_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    skipped: list[dict] = field(default_factory=list)
    copy_of: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    fingerprint: str = ""  # SHA-256 of the normalised code, for finding copies

    def to_json(self) -> dict:
        return {"submission": self.submission, "student": self.student, "status": self.status,
                "score": self.score, "max_score": self.max_score,
                "exercises": [asdict(e) for e in self.exercises],
                "isolation": self.isolation, "error": self.error, "skipped": self.skipped,
                "copy_of": self.copy_of, "flags": self.flags}


# --- one exercise, one submission -------------------------------------------------------------

def hidden_rng(seed: int, exercise: Exercise) -> np.random.Generator:
    """Hidden cases depend on the run's seed and the exercise only (same for every student)."""
    return np.random.default_rng([seed, zlib.crc32(exercise.name.encode())])


def grade_exercise(exercise: Exercise, session: Session, cells: list[str], student: str,
                   seed: int) -> ExerciseResult:
    """The score and one line of feedback for ``exercise`` (see the module docstring)."""
    def result(score: float, feedback: str) -> ExerciseResult:
        return ExerciseResult(name=exercise.name, score=score, max_score=exercise.points,
                              feedback=clean(feedback, MAX_FEEDBACK_CHARS))

    function = exercise.function
    kind, cell, line = session.kind(function)
    if kind == "missing":
        return result(0, f"{function} is not defined{session.why_missing(function)}")
    if kind != "function":
        return result(0, f"{function} is a {kind}, not a function")
    if definitions(cells).get((cell, line)) is None:
        return result(0, f"{function} is not a function that a `def` in one of the notebook's "
                         "cells defines (was it made with exec, or bound to something else?); "
                         f"write it as `def {function}(...)` in its cell")
    refused = scan_source(cells, definitions(cells)[(cell, line)], exercise.forbidden,
                          exercise.allowed, at=(cell, line))
    if refused:
        return result(0, refusal(exercise, refused))
    cases = ([("public", c) for c in exercise.public()] + [("edge", c) for c in exercise.edge()]
             + [("hidden", c) for c in exercise.hidden(hidden_rng(seed, exercise), student)])
    tally = run_cases(exercise, cases, lambda a, k: session.call(exercise, a, k))
    if tally.stopped is not None:
        return result(0, tally.stopped)
    score = round(exercise.points * tally.passed / tally.total, 2)
    if not tally.failures:
        return result(score, f"all {tally.total} cases passed")
    first = tally.failures[0]
    return result(score, f"{tally.passed}/{tally.total} cases passed; first failure, "
                         f"{first.kind} case '{first.case.label}': {first.problem}"
                         + (f" (hint: {first.hint})" if first.hint else ""))


def read_notebook(data: bytes):
    """The notebook in ``data``, or raise ValueError with a one-line reason."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not a notebook: the file is not UTF-8 text") from None
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError("not a notebook: the file is not valid JSON (truncated?)") from None
    try:
        nb = nbformat.reads(text, as_version=4, capture_validation_error={})
    except Exception as exc:  # noqa: BLE001 -- nbformat raises many kinds for odd JSON
        reason = " ".join(str(exc).split())[:100]
        raise ValueError(f"not a notebook: {reason}") from None
    if not isinstance(nb.get("cells"), list):
        raise ValueError("not a notebook: it has no list of cells")
    return nb


def fingerprint(cells: Sequence[str]) -> str:
    """SHA-256 of the code cells with whitespace, comments and formatting normalised away
    (the syntax tree; a cell that does not parse counts by its words)."""
    digest = hashlib.sha256()
    for source in cells:
        tree = parse_cell(source)
        text = ast.dump(tree) if tree is not None else " ".join(source.split())
        if text not in ("Module(body=[], type_ignores=[])", ""):
            digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _first_line(source: str) -> str:
    return clean(next((line for line in source.splitlines() if line.strip()), ""), 80)


def _skipped(session_skipped: Mapping[int, str], out_of_memory: set[int],
             cell_errors: Mapping[int, str], sources: list[str], positions: list[int],
             limits: Limits) -> list[dict]:
    """The report's list of cells that did not run to their end for a reason of the
    sandbox's: skipped (time limit, the process died, no parse) or out of memory."""
    reasons = dict(session_skipped)
    for index in out_of_memory - set(reasons):
        reasons[index] = (f"ran out of memory ({cell_errors.get(index, 'MemoryError')}; the "
                          f"limit is {limits.memory_mb} MB) and stopped there")
    return [{"index": positions[i], "first_line": _first_line(sources[i]),
             "reason": clean(reason, 300)} for i, reason in sorted(reasons.items())]


def _error(path: Path, student: str, reason: str, *, sha: str = "", assignment: str = "",
           max_score: float = 0, isolation: str = "not run", flags: Sequence[str] = ()
           ) -> SubmissionResult:
    return SubmissionResult(submission=clean(path), student=student, status="error", score=0,
                            max_score=max_score, exercises=[], isolation=isolation,
                            error=clean(reason, 300), sha256=sha, assignment=assignment,
                            flags=list(flags))


def denied_folders(bank: Path | None, hide: Sequence[Path]) -> list[Path]:
    """What the runner's audit hook keeps unreadable: the package, its checkout's ``.git``
    and ``solutions/``, the bank, and what the sandbox hides (submissions, gradebook)."""
    checkout = PACKAGE_DIR.parent
    found = [PACKAGE_DIR, *hide]
    if (checkout / "pyproject.toml").is_file():
        found += [checkout / ".git", checkout / "solutions"]
    if bank is not None:
        found.append(Path(bank).resolve())
    return found


def grade_file(path, *, seed: int, student: str | None = None, chapter: str | None = None,
               roster: Mapping[str, RosterEntry] | None = None, bank: Path | None = None,
               limits: Limits | None = None, hide: Sequence[Path] = (), sandbox: bool = True,
               batch: Sequence[Path] = ()) -> SubmissionResult:
    """Grade one submission (see the module docstring); never raises for a bad submission.

    ``student``, ``chapter`` and ``roster`` are the instructor's word on whose the file is
    (:func:`~dlcourse.grading.identity.identify`); ``bank`` a folder of private exercises
    (:func:`~dlcourse.grading.bank.load_bank`) instead of the shipped ones.
    ``sandbox=False`` runs the learner's code without isolation (``--no-sandbox``);
    ``sandbox=True`` raises :class:`~dlcourse.grading.sandbox.SandboxUnavailable` where
    bubblewrap does not work.  ``batch``: the submissions graded together with this one
    (a symbolic link to one of them is flagged, not graded).
    """
    path, limits = Path(path), limits or Limits()
    if sandbox:
        require_sandbox()
    isolation = ISOLATED if sandbox else NOT_ISOLATED
    registry: Registry = load_bank(Path(bank).resolve()) if bank is not None else shipped()
    who = identify(path, None, student=student, chapter=chapter, roster=roster,
                   chapters=registry.chapters())
    try:
        data = read_submission(path, batch)
    except Unreadable as exc:
        return _error(path, who.student, str(exc))
    sha = hashlib.sha256(data).hexdigest()
    try:
        nb = read_notebook(data)
    except ValueError as exc:
        return _error(path, who.student, str(exc), sha=sha)
    who = identify(path, nb, student=student, chapter=chapter, roster=roster,
                   chapters=registry.chapters())
    if not who.student:
        return _error(path, who.student, f"{path.name} is not in the roster", sha=sha,
                      flags=who.flags)
    if who.chapter is None:
        return _error(path, who.student, "cannot tell the chapter from the file name: name it "
                      "NN_... (02_perceptron_mlp.ipynb) or pass --chapter", sha=sha,
                      flags=who.flags)
    chosen = registry.chapter(who.chapter)
    max_score = sum(e.points for e in chosen)
    code = [(i, c.source) for i, c in enumerate(nb.cells)
            if c.get("cell_type") == "code" and isinstance(c.get("source"), str)]
    positions, sources = [i for i, _ in code], [s for _, s in code]

    def failed(reason: str) -> SubmissionResult:
        return _error(path, who.student, reason, sha=sha, assignment=who.chapter,
                      max_score=max_score, isolation=isolation, flags=who.flags)

    try:
        check_cells(sources)
    except Unreadable as exc:
        return failed(str(exc))
    cells = [prepare_cell(s) for s in sources]
    graded = SubmissionResult(submission=clean(path), student=who.student, status="graded",
                              score=0, max_score=max_score, exercises=[], isolation=isolation,
                              error=None, sha256=sha, assignment=who.chapter, flags=who.flags,
                              fingerprint=fingerprint(cells))
    internals = grader_internals(cells)
    if internals:
        feedback = clean(f"the notebook uses {', '.join(internals)}, the grader's own code; "
                         "only `check` may be imported from dlcourse.grading", MAX_FEEDBACK_CHARS)
        graded.exercises = [ExerciseResult(name=e.name, score=0, max_score=e.points,
                                           feedback=feedback) for e in chosen]
        return graded
    no_parse = {i: p for i, p in enumerate(map(syntax_problem, sources)) if p}
    session = Session(cells, [e.function for e in chosen], limits,
                      deadline=time.monotonic() + limits.notebook_s,
                      allowed=sorted({m for e in chosen for m in e.allowed}),
                      denied=denied_folders(bank, hide), hide=hide, sandbox=sandbox,
                      skipped=no_parse)
    errors = []
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for exercise in chosen:
                graded.exercises.append(_grade_one(exercise, session, cells, who.student,
                                                   seed, errors))
    finally:
        session.stop()
    graded.skipped = _skipped(session.skipped, session.out_of_memory, session.cell_errors,
                              sources, positions, limits)
    graded.score = round(sum(r.score for r in graded.exercises), 2)
    if errors:
        graded.status, graded.error = "error", clean("; ".join(errors), 300)
    return graded


def _grade_one(exercise: Exercise, session: Session, cells: list[str], student: str,
               seed: int, errors: list[str]) -> ExerciseResult:
    """:func:`grade_exercise`, with a failure of the whole notebook or of the grader turned
    into this exercise's result (a grader bug is also appended to ``errors``)."""
    try:
        return grade_exercise(exercise, session, cells, student, seed)
    except StudentError as exc:  # the notebook as a whole failed
        feedback = exc.message
    except Exception as exc:  # noqa: BLE001 -- a grader bug costs this exercise only
        feedback = f"internal grader error: {type(exc).__name__}: {exc}"
        errors.append(f"{exercise.name}: {feedback}")
    return ExerciseResult(name=exercise.name, score=0, max_score=exercise.points,
                          feedback=clean(feedback, MAX_FEEDBACK_CHARS))


def mark_copies(results: Sequence[SubmissionResult]) -> None:
    """Fill ``copy_of`` of results whose code is the same as another student's.  Only
    submissions that earned points count: untouched notebooks are all alike."""
    by_code = defaultdict(set)
    for r in results:
        if r.fingerprint and r.status == "graded" and r.score > 0:
            by_code[r.fingerprint].add(r.student)
    for r in results:
        if r.fingerprint in by_code and r.score > 0 and r.status == "graded":
            r.copy_of = sorted(by_code[r.fingerprint] - {r.student})


def grade_paths(paths: Sequence[Path], *, seed: int, jobs: int = 1, **options
                ) -> list[SubmissionResult]:
    """Grade ``paths`` with ``jobs`` worker processes (``options`` as for
    :func:`grade_file`); results in the order of ``paths``, copies marked."""
    options["batch"] = [Path(p) for p in paths]
    if jobs <= 1 or len(paths) <= 1:
        results = [grade_file(p, seed=seed, **options) for p in paths]
    else:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
            futures = [pool.submit(grade_file, p, seed=seed, **options) for p in paths]
            results = []
            for path, future in zip(paths, futures, strict=True):
                try:
                    results.append(future.result())
                except Exception as exc:  # noqa: BLE001 -- a worker died; record, do not crash
                    who = options.get("student") or clean(Path(path).stem)
                    results.append(_error(Path(path), who, "internal grader error: "
                                          f"{type(exc).__name__}: {exc}"))
    mark_copies(results)
    return results
