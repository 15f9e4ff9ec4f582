"""Grade submitted notebooks: the trusted side of ``dlcourse grade``.

For each submission this process -- which never imports or executes the learner's code --

1. reads the file as data (a truncated or foreign file becomes an ``error`` result),
   works out the student (``--student``, else notebook metadata ``dlcourse.student``, else
   the file name) and the chapter (the ``dlcourse.exercise`` cell metadata, else the
   ``NN_`` file-name prefix);
2. starts the learner's process (:mod:`~dlcourse.grading.sandbox`) which runs the code
   cells; a cell that hangs or kills the process is skipped and the process restarted;
3. for every exercise of the chapter: checks the function exists, reads its source for
   refused calls, then sends the inputs of the public, edge and hidden cases (hidden ones
   drawn from a secret per-run seed), receives the outputs as data and compares them here
   with the reference.  The score is the exercise's points times the share of cases passed;
   the feedback is one line.

Bad submissions are results, not crashes: every failure becomes a score and a reason.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import re
import time
import warnings
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import numpy as np

import dlcourse
from dlcourse.grading import exercises
from dlcourse.grading.checks import not_written, refusal
from dlcourse.grading.guard import grader_internals, parse_cell, scan_source
from dlcourse.grading.intake import Unreadable, check_cells, read_submission
from dlcourse.grading.sandbox import (
    ISOLATED,
    NOT_ISOLATED,
    Died,
    LearnerProcess,
    Limits,
    TimedOut,
    require_sandbox,
)
from dlcourse.grading.spec import Exercise, ExerciseProblem, StudentError
from dlcourse.grading.wire import decode, encode

GRADER_VERSION = f"dlcourse {dlcourse.__version__} (grader 1)"
STARTUP_S = 60.0


@dataclass
class ExerciseResult:
    name: str
    score: float
    max_score: float
    feedback: str


@dataclass
class SubmissionResult:
    """One graded (or failed) submission; :meth:`to_json` is the ``--json`` schema."""

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

    def to_json(self) -> dict:
        return {"submission": self.submission, "student": self.student, "status": self.status,
                "score": self.score, "max_score": self.max_score,
                "exercises": [asdict(e) for e in self.exercises],
                "isolation": self.isolation, "error": self.error}


# --- the learner's notebook, running in a separate process -----------------------------------

class Session:
    """The learner's code cells running in a :class:`LearnerProcess`, restarted as needed.

    A cell that runs past the per-cell limit or kills the process is skipped from then on
    (``skipped`` says why), so one runaway cell costs only what it defines.
    """

    def __init__(self, cells: list[str], functions: list[str], limits: Limits,
                 hide: list[Path], deadline: float, *, sandbox: bool = True):
        self.cells, self.functions, self.limits = cells, functions, limits
        self.hide, self.deadline, self.sandbox = hide, deadline, sandbox
        self.skipped: dict[int, str] = {}
        self.cell_errors: dict[int, str] = {}
        self.names: dict[str, str] = {}
        self.process: LearnerProcess | None = None
        self.broken: StudentError | None = None  # why the notebook cannot run at all

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _out_of_time(self) -> StudentError:
        return StudentError(f"the notebook ran past its overall {self.limits.notebook_s:g} s "
                            "limit", fatal=True)

    def ensure_started(self) -> None:
        """Start the learner's process unless it runs; raise if it never can."""
        if self.broken is not None:
            raise self.broken
        if self.process is None:
            try:
                self._start()
            except StudentError as exc:
                self.broken = exc
                raise

    def _start(self) -> None:
        """Run the cells (restarting past bad ones) until the runner reports ready."""
        while True:
            if self.remaining() <= 0:
                raise self._out_of_time()
            try:
                self.process = LearnerProcess(self.limits, hide=self.hide, sandbox=self.sandbox)
            except OSError as exc:
                raise StudentError(f"the grader could not start a sandbox: {exc}",
                                   fatal=True) from None
            current, heard = None, False
            try:
                self.process.send({"cells": self.cells, "skip": sorted(self.skipped),
                                   "functions": self.functions}, timeout=STARTUP_S)
                while True:
                    limit = self.limits.cell_s if current is not None else STARTUP_S
                    message = self.process.receive(min(limit, max(self.remaining(), 0.01)))
                    event, heard = message.get("event"), True
                    if event == "cell" and isinstance(message.get("index"), int):
                        current = message["index"]
                    elif event == "cell_done":
                        if message.get("error") and current is not None:
                            self.cell_errors[current] = str(message["error"])[:300]
                        current = None
                    elif event == "ready" and isinstance(message.get("names"), dict):
                        self.names = {str(k): str(v) for k, v in message["names"].items()}
                        return
                    else:
                        raise Died("sent an unexpected message")
            except TimedOut:
                self.stop()
                if self.remaining() <= 0:
                    raise self._out_of_time() from None
                if current is None:
                    what = "stopped answering between cells" if heard else "did not start"
                    raise StudentError(f"the notebook's process {what}", fatal=True) from None
                self.skipped[current] = (f"ran past the {self.limits.cell_s:g} s limit per "
                                         "cell (an infinite loop?)")
            except Died as exc:
                self.stop()
                if current is None:
                    raise StudentError(f"the notebook's process {exc}", fatal=True) from None
                self.skipped[current] = f"{exc}"

    def call(self, exercise: Exercise, args: tuple, kwargs: dict):
        """The learner's ``exercise.function(*args, **kwargs)``, run in the sandbox."""
        self.ensure_started()
        if self.remaining() <= 0:
            self.stop()
            raise self._out_of_time()
        name = exercise.function
        try:
            self.process.send({"op": "call", "function": name, "args": encode(tuple(args)),
                               "kwargs": encode(dict(kwargs)),
                               "forbidden": list(exercise.forbidden)},
                              timeout=self.limits.call_s)
            reply = self.process.receive(min(self.limits.call_s, max(self.remaining(), 0.01)))
        except TimedOut:
            self.stop()
            raise StudentError(f"{name} ran past the {self.limits.call_s:g} s limit on this "
                               "input (an infinite loop?)", fatal=True) from None
        except Died as exc:
            self.stop()
            raise StudentError(f"the notebook's process {exc} while running {name}",
                               fatal=True) from None
        return self._unpack(exercise, reply)

    def _unpack(self, exercise: Exercise, reply: dict):
        status, name = reply.get("status"), exercise.function
        if status == "ok":
            try:
                args = decode(reply.get("value"))
            except Exception:  # noqa: BLE001 -- whatever the learner's process sent
                raise StudentError(f"{name} returned something that is not data") from None
            return args
        if status == "raised":
            message = f"{name} raised {str(reply.get('error'))[:300]}"
            if reply.get("memory"):
                message += f" (out of memory? the limit is {self.limits.memory_mb} MB)"
            raise StudentError(message)
        if status == "refused":
            names = [str(n) for n in reply.get("names") or ["a refused call"]][:1]
            raise ExerciseProblem(refusal(exercise, names))
        if status == "not_written":
            raise ExerciseProblem(not_written(exercise))
        if status == "missing":
            raise ExerciseProblem(f"{name} is not defined")
        raise StudentError(f"the notebook's process answered {str(status)[:40]!r}", fatal=True)

    def stop(self) -> None:
        if self.process is not None:
            self.process.close()
            self.process = None

    def why_missing(self, function: str) -> str:
        """Why ``function`` is not defined: the reason its cell was skipped or failed."""
        for index, source in enumerate(self.cells):
            tree = parse_cell(source)
            if tree is None or not any(getattr(n, "name", None) == function for n in tree.body):
                continue
            if index in self.skipped:
                return f": its cell {self.skipped[index]} and was skipped"
            if index in self.cell_errors:
                return f": its cell raised {self.cell_errors[index]}"
        return " (was its cell deleted, or the function renamed?)"


# --- one exercise, one submission -------------------------------------------------------------

def hidden_rng(seed: int, exercise: Exercise) -> np.random.Generator:
    """Hidden cases depend on the run's seed and the exercise only (same for every student)."""
    return np.random.default_rng([seed, zlib.crc32(exercise.name.encode())])


def grade_exercise(exercise: Exercise, session: Session, cells: list[str], student: str,
                   seed: int) -> ExerciseResult:
    def result(score: float, feedback: str) -> ExerciseResult:
        return ExerciseResult(exercise.name, score, exercise.points, feedback)

    function = exercise.function
    session.ensure_started()
    kind = session.names.get(function, "missing")
    if kind == "missing":
        return result(0, f"{function} is not defined{session.why_missing(function)}")
    if kind != "function":
        return result(0, f"{function} is a {kind}, not a function")
    refused = scan_source(cells, function, exercise.forbidden)
    if refused:
        return result(0, refusal(exercise, refused))
    cases = ([("public", c) for c in exercise.public()] + [("edge", c) for c in exercise.edge()]
             + [("hidden", c) for c in exercise.hidden(hidden_rng(seed, exercise), student)])
    passed, first = 0, None
    for kind, case in cases:
        hint = case.hint or exercise.hint
        try:
            problem = exercise.verdict(case, lambda a, k: session.call(exercise, a, k),
                                       reveal=kind != "hidden")
        except ExerciseProblem as exc:
            return result(0, exc.message)
        except StudentError as exc:
            problem, hint = exc.message, ""
            if exc.fatal:
                first = first or (kind, case, problem, hint)
                break
        if problem is None:
            passed += 1
        elif first is None:
            first = (kind, case, problem, hint)
    score = round(exercise.points * passed / len(cases), 2)
    if first is None:
        return result(score, f"all {len(cases)} cases passed")
    kind, case, problem, hint = first
    return result(score, f"{passed}/{len(cases)} cases passed; first failure, {kind} case "
                         f"'{case.label}': {problem}" + (f" (hint: {hint})" if hint else ""))


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


def _metadata(node, key: str):
    meta = node.get("metadata")
    value = meta.get("dlcourse") if isinstance(meta, dict) else None
    return value.get(key) if isinstance(value, dict) else None


def chapter_of(nb, path: Path) -> str | None:
    """The chapter a notebook belongs to (see the module docstring)."""
    votes = Counter()
    for cell in nb.cells:
        name = _metadata(cell, "exercise")
        if isinstance(name, str) and name in exercises.names():
            votes[exercises.get(name).chapter] += 1
    if votes:
        return votes.most_common(1)[0][0]
    match = re.match(r"(\d\d)_", path.name)
    if match and f"ch{match.group(1)}" in exercises.chapters():
        return f"ch{match.group(1)}"
    return None


def _error(path: Path, student: str, reason: str, *, sha: str = "", assignment: str = "",
           max_score: float = 0, isolation: str = "not run") -> SubmissionResult:
    return SubmissionResult(str(path), student, "error", 0, max_score, [], isolation, reason,
                            sha, assignment)


def grade_file(path, *, student: str | None = None, seed: int, limits: Limits | None = None,
               hide: list[Path] = (), sandbox: bool = True, batch: list[Path] = ()
               ) -> SubmissionResult:
    """Grade one submission (see the module docstring); never raises for a bad submission.

    ``sandbox=False`` runs the learner's code without isolation (``--no-sandbox``);
    ``sandbox=True`` raises :class:`~dlcourse.grading.sandbox.SandboxUnavailable` where
    bubblewrap does not work.  ``batch``: the submissions graded together with this one
    (a symbolic link to one of them is flagged, not graded).
    """
    path, limits = Path(path), limits or Limits()
    if sandbox:
        require_sandbox()
    isolation = ISOLATED if sandbox else NOT_ISOLATED
    try:
        data = read_submission(path, batch)
    except Unreadable as exc:
        return _error(path, student or path.stem, str(exc))
    sha = hashlib.sha256(data).hexdigest()
    try:
        nb = read_notebook(data)
    except ValueError as exc:
        return _error(path, student or path.stem, str(exc), sha=sha)
    meta_student = _metadata(nb, "student")
    student = str(student or (meta_student if isinstance(meta_student, str) and
                              meta_student.strip() else path.stem)).strip()[:100]
    chapter = chapter_of(nb, path)
    if chapter is None:
        return _error(path, student, "no dlcourse exercises found in this notebook", sha=sha)
    chosen = exercises.chapter(chapter)
    max_score = sum(e.points for e in chosen)
    cells = [c.source for c in nb.cells
             if c.get("cell_type") == "code" and isinstance(c.get("source"), str)]
    try:
        check_cells(cells)
    except Unreadable as exc:
        return _error(path, student, str(exc), sha=sha, assignment=chapter, max_score=max_score)
    internals = grader_internals(cells)
    if internals:
        feedback = (f"the notebook uses {', '.join(internals)}, the grader's own code; only "
                    "`check` may be imported from dlcourse.grading")
        return SubmissionResult(str(path), student, "graded", 0, max_score,
                                [ExerciseResult(e.name, 0, e.points, feedback) for e in chosen],
                                isolation, None, sha, chapter)
    session = Session(cells, [e.function for e in chosen], limits, list(hide),
                      time.monotonic() + limits.notebook_s, sandbox=sandbox)
    results, error = [], None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for exercise in chosen:
                try:
                    results.append(grade_exercise(exercise, session, cells, student, seed))
                except StudentError as exc:  # the notebook as a whole failed
                    results.append(ExerciseResult(exercise.name, 0, exercise.points, exc.message))
    except Exception as exc:  # noqa: BLE001 -- a grader bug must not hide the other results
        error = f"internal grader error: {type(exc).__name__}: {exc}"[:300]
    finally:
        session.stop()
    status = "graded" if error is None else "error"
    return SubmissionResult(str(path), student, status, round(sum(r.score for r in results), 2),
                            max_score, results, isolation, error, sha, chapter)


def grade_paths(paths: list[Path], *, student: str | None = None, seed: int,
                limits: Limits | None = None, jobs: int = 1, hide: list[Path] = (),
                sandbox: bool = True) -> list[SubmissionResult]:
    """Grade ``paths`` with ``jobs`` worker processes; results in the order of ``paths``."""
    kwargs = {"student": student, "seed": seed, "limits": limits, "hide": list(hide),
              "sandbox": sandbox, "batch": [Path(p) for p in paths]}
    if jobs <= 1 or len(paths) <= 1:
        return [grade_file(p, **kwargs) for p in paths]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = [pool.submit(grade_file, p, **kwargs) for p in paths]
        results = []
        for path, future in zip(paths, futures, strict=True):
            try:
                results.append(future.result())
            except Exception as exc:  # noqa: BLE001 -- a worker died; record, do not crash
                results.append(_error(Path(path), student or Path(path).stem,
                                      f"internal grader error: {type(exc).__name__}: {exc}"))
        return results
