"""The learner's notebook running in a separate process, restarted past cells that break it.

Trusted side.  A :class:`Session` starts the runner (:mod:`dlcourse.grading.runner`) in a
:class:`~dlcourse.grading.sandbox.LearnerProcess`, sends it the code cells, what it may import
and what it must not read, then forwards calls of the graded functions.  A cell that runs past
the per-cell limit or ends the process is skipped from then on (``skipped`` says why, and the
report names it), so one runaway cell costs only what it defines.  Everything the runner sends
back is treated as data from the learner: cleaned, capped, never trusted to decide a score.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

from dlcourse.grading import wire
from dlcourse.grading.checks import not_written, refusal
from dlcourse.grading.guard import definitions
from dlcourse.grading.sandbox import Died, LearnerProcess, Limits, TimedOut
from dlcourse.grading.spec import Exercise, ExerciseProblem, StudentError
from dlcourse.grading.text import clean

STARTUP_S = 60.0
MAX_ERROR_CHARS = 300


class Session:
    """The learner's code cells running in a :class:`LearnerProcess`, restarted as needed.

    ``cells`` are the notebook's code cells as the runner executes them; ``skipped`` maps the
    index of a cell that is not run to the reason (given ones: cells that do not parse).
    ``allowed`` and ``denied`` go to the runner's import allow-list (see
    :func:`dlcourse.grading.imports.install`); ``hide`` and ``sandbox`` to the sandbox.
    """

    def __init__(self, cells: list[str], functions: list[str], limits: Limits, *,
                 deadline: float, allowed: Sequence[str] = (), denied: Sequence[Path] = (),
                 hide: Sequence[Path] = (), sandbox: bool = True,
                 skipped: dict[int, str] | None = None):
        self.cells, self.functions, self.limits = cells, functions, limits
        self.allowed, self.denied = list(allowed), list(denied)
        self.hide, self.deadline, self.sandbox = list(hide), deadline, sandbox
        self.skipped: dict[int, str] = dict(skipped or {})
        self.cell_errors: dict[int, str] = {}
        self.out_of_memory: set[int] = set()
        self.names: dict[str, dict] = {}
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
                self.process = LearnerProcess(self.limits, allowed=self.allowed, hide=self.hide,
                                              sandbox=self.sandbox)
            except OSError as exc:
                raise StudentError(f"the grader could not start a sandbox: {exc}",
                                   fatal=True) from None
            current, heard = None, False
            try:
                self.process.send(wire.start(cells=self.cells, skip=self.skipped,
                                             functions=self.functions, allowed=self.allowed,
                                             denied=self.denied), timeout=STARTUP_S)
                while True:
                    limit = self.limits.cell_s if current is not None else STARTUP_S
                    message = self.process.receive(min(limit, max(self.remaining(), 0.01)))
                    event, heard = message.get("event"), True
                    if event == "cell" and isinstance(message.get("index"), int):
                        current = message["index"]
                    elif event == "cell_done":
                        if message.get("error") and current is not None:
                            self.cell_errors[current] = clean(message["error"], MAX_ERROR_CHARS)
                            if message.get("memory") is True:
                                self.out_of_memory.add(current)
                        current = None
                    elif event == "ready" and isinstance(message.get("names"), dict):
                        self.names = {clean(k): v for k, v in message["names"].items()
                                      if isinstance(v, dict)}
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
                self.skipped[current] = clean(exc, MAX_ERROR_CHARS)

    def kind(self, function: str) -> tuple[str, int | None, int | None]:
        """What the runner found under ``function``: (kind, cell, line) -- see
        :meth:`dlcourse.grading.runner.Runner.describe`; kind is "missing" if nothing."""
        self.ensure_started()
        info = self.names.get(function, {})
        kind, cell, line = info.get("kind"), info.get("cell"), info.get("line")
        return (clean(kind, 60) if isinstance(kind, str) else "missing",
                cell if type(cell) is int else None, line if type(line) is int else None)

    def call(self, exercise: Exercise, args: tuple, kwargs: dict):
        """The learner's ``exercise.function(*args, **kwargs)``, run in the sandbox."""
        self.ensure_started()
        if self.remaining() <= 0:
            self.stop()
            raise self._out_of_time()
        name = exercise.function
        try:
            self.process.send(wire.call(function=name, args=args, kwargs=kwargs,
                                        forbidden=exercise.forbidden),
                              timeout=self.limits.call_s)
            reply = self.process.receive(min(self.limits.call_s, max(self.remaining(), 0.01)))
        except TimedOut:
            self.stop()
            raise StudentError(f"{name} ran past the {self.limits.call_s:g} s limit on this "
                               "input (an infinite loop?)", fatal=True) from None
        except Died as exc:
            self.stop()
            raise StudentError(f"the notebook's process {clean(exc)} while running {name}",
                               fatal=True) from None
        return self._unpack(exercise, reply)

    def _unpack(self, exercise: Exercise, reply: dict):
        status, name = reply.get("status"), exercise.function
        if status == "ok":
            try:
                return wire.decode(reply.get("value"))
            except Exception:  # noqa: BLE001 -- whatever the learner's process sent
                raise StudentError(f"{name} returned something that is not data") from None
        if status == "raised":
            message = f"{name} raised {clean(reply.get('error'), MAX_ERROR_CHARS)}"
            if reply.get("memory") is True:
                message += f" (out of memory? the limit is {self.limits.memory_mb} MB)"
            raise StudentError(message)
        if status == "refused":
            self.stop()  # the runner ends itself after a refusal
            names = reply.get("names")
            names = [clean(n, 200) for n in names[:1]] if isinstance(names, list) else []
            raise ExerciseProblem(refusal(exercise, names or ["a refused call"]))
        if status == "not_written":
            raise ExerciseProblem(not_written(exercise))
        if status == "missing":
            raise ExerciseProblem(f"{name} is not defined")
        raise StudentError(f"the notebook's process answered {clean(status, 40)!r}", fatal=True)

    def stop(self) -> None:
        if self.process is not None:
            self.process.close()
            self.process = None

    def why_missing(self, function: str) -> str:
        """Why ``function`` is not defined: the reason its cell was skipped or failed."""
        defined = {index for (index, _line), name in definitions(self.cells).items()
                   if name == function}
        pattern = re.compile(rf"\bdef\s+{re.escape(function)}\b")
        for index, source in enumerate(self.cells):
            if index not in defined and not (index in self.skipped and pattern.search(source)):
                continue
            if index in self.skipped:
                return f": its cell {self.skipped[index]} and was skipped"
            if index in self.cell_errors:
                return f": its cell raised {self.cell_errors[index]}"
        return " (was its cell deleted, or the function renamed?)"
