"""The learner's side of the grader: ``python -m dlcourse.grading.runner``.

This process is *untrusted*: it runs the learner's notebook code.  It never sees a
secret seed, an expected value or the gradebook; it only receives inputs and returns what
the learner's functions made of them.  Its life:

1. Drop to its own unprivileged user if started as root (``--uid``), apply the resource
   limits to itself (memory, CPU time, file size, processes) and point
   file descriptors 1 and 2 at the output file the grader gave it as stderr; the protocol
   keeps private copies of the original stdin/stdout pipes.
2. Receive the start message: the notebook's code cells (as plain Python, prepared by the
   grader: IPython magics became comments), what the exercises allow to import and which
   folders must stay unreadable.  Install the import allow-list's audit hook
   (:func:`dlcourse.grading.imports.install`), then run the cells one after another in one
   namespace, as a Jupyter kernel would (``display`` and ``get_ipython()`` do nothing).
   Before and after each cell it reports progress, so that the grader can enforce a
   per-cell time limit and skip a cell that hangs or crashes.
3. Answer call requests -- function name, encoded arguments, forbidden names -- with the
   encoded result or the exception.  A refused call is reported at once and ends the
   process, whatever the learner's code would have done with the exception.

Everything here can be tampered with by the learner's code; nothing here decides a score.
"""

from __future__ import annotations

import argparse
import builtins
import os
import resource
import signal
import sys
import types

from dlcourse.grading import imports, wire
from dlcourse.grading.guard import PROFILE_CODE, RuntimeGuard
from dlcourse.grading.wire import decode, encode, frame, read_message

MAX_ERROR_CHARS = 300
THREADS = "threads (a graded function runs alone, in the main thread)"


def _limit(which: int, value: int) -> None:
    if value > 0:
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))


def drop_privileges(uid: int) -> None:
    """Become the unprivileged user ``uid`` (and group ``uid``) for good, before any learner
    code runs: under bubblewrap a root grader hands its runner only the capabilities to do
    this, and the kernel counts ``RLIMIT_NPROC`` for every user but root."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getgroups():
        raise SystemExit("the runner could not drop its privileges")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise SystemExit("the runner could become root again; refusing to run learner code")


def apply_limits(memory_mb: int, cpu_s: int, output_mb: int, processes: int) -> None:
    """Resource limits for this process and its children (see the module docstring)."""
    _limit(resource.RLIMIT_AS, memory_mb * 2**20)
    _limit(resource.RLIMIT_CPU, cpu_s)
    _limit(resource.RLIMIT_FSIZE, output_mb * 2**20)
    _limit(resource.RLIMIT_NPROC, processes)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    # Python ignores SIGXFSZ; restore the default so that too much output ends the process
    # (the grader then skips the cell) instead of making every later print fail.
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    text = " ".join(text.split())
    return text[:MAX_ERROR_CHARS]


class _Shell:
    """Stands in for IPython's ``get_ipython()``: magics and shell escapes do nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _where(value) -> tuple[int | None, int | None]:
    """(cell, first line) where the function ``value`` was defined, if in a cell."""
    code = getattr(value, "__code__", None)
    filename = getattr(code, "co_filename", "")
    if type(filename) is str and filename.startswith("<cell ") and filename.endswith(">"):
        return int(filename[6:-1]), int(code.co_firstlineno)
    return None, None


class Runner:
    """Runs cells and answers calls over the protocol pipes.

    The learner's namespace is a module registered as ``__main__``, as in Jupyter, so that
    ``sys.modules["__main__"]`` is the learner's own; what the runner relies on (``compile``,
    ``exec``, the guard, the pipe) is bound before the first cell runs.
    """

    def __init__(self, inbox, outbox):
        self.inbox, self.outbox = inbox, outbox
        shell = _Shell()
        main = types.ModuleType("__main__")
        main.__dict__.update({"__builtins__": builtins, "get_ipython": lambda: shell,
                              "display": lambda *a, **k: None})
        sys.modules["__main__"] = main
        self.namespace = main.__dict__

    def send(self, message: dict) -> None:
        self.outbox.write(frame(message))
        self.outbox.flush()

    def run_cells(self, cells: list[str], skip: set[int], *, _compile=compile, _exec=exec,
                  _cell=wire.cell, _done=wire.cell_done) -> None:
        for index, source in enumerate(cells):
            if index in skip:
                continue
            self.send(_cell(index))
            error, memory = None, False
            try:
                _exec(_compile(source, f"<cell {index}>", "exec"), self.namespace)
            except BaseException as exc:  # noqa: BLE001 -- the learner's code may raise anything
                error, memory = _one_line(exc), isinstance(exc, MemoryError)
            self.send(_done(index, error=error, memory=memory))

    def describe(self, names: list[str]) -> dict[str, dict]:
        """For each name: its kind ("function", "missing" or a type name) and, for a
        function, the cell and line where its code was defined."""
        described = {}
        for name in names:
            value = self.namespace.get(name)
            kind = ("missing" if value is None else
                    "function" if callable(value) else type(value).__name__)
            try:
                cell, line = _where(value) if kind == "function" else (None, None)
            except Exception:  # noqa: BLE001 -- a learner's object with a hostile __getattr__
                cell, line = None, None
            described[name] = {"kind": kind, "cell": cell, "line": line}
        return described

    def _refused(self, name: str, *, _write=os.write, _exit=os._exit, _frame=frame,
                 _reply=wire.reply) -> None:
        """Tell the grader at once and end the process: no learner code runs after this."""
        data = _frame(_reply("refused", names=[str(name)[:200]]))
        fd = self.outbox.fileno()
        while data:
            data = data[_write(fd, data):]
        _exit(0)

    def call(self, request: dict, *, _Guard=RuntimeGuard, _decode=decode, _encode=encode,
             _reply=wire.reply, _frames=sys._current_frames) -> dict:
        function = self.namespace.get(request["function"])
        if not callable(function):
            return _reply("missing")
        if _frames().__len__() > 1:  # a thread of the notebook's: the guard would not see it
            return _reply("refused", names=[THREADS])
        args = _decode(request["args"], functions=True)
        kwargs = _decode(request["kwargs"], functions=True)
        guard = _Guard(request.get("forbidden", []), on_refusal=self._refused)
        try:
            with guard:
                value = function(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, NotImplementedError):
                return _reply("not_written")
            return _reply("raised", error=_one_line(exc), memory=isinstance(exc, MemoryError))
        if _frames().__len__() > 1:
            return _reply("refused", names=[THREADS])
        try:
            return _reply("ok", value=_encode(value))
        except BaseException as exc:  # noqa: BLE001 -- e.g. a result whose __array__ raises
            return _reply("raised", error=f"the result could not be read: {_one_line(exc)}")

    def serve(self) -> None:
        start = read_message(self.inbox)
        if start is None or start.get("op") != "start":
            return
        imports.install(start["allowed"], start["denied"],  # before any learner code
                        protected=(PROFILE_CODE,))
        self.run_cells(start["cells"], set(start["skip"]))
        self.send(wire.ready(self.describe(start["functions"])))
        while (request := read_message(self.inbox)) is not None:
            if request.get("op") != "call":
                return
            self.send(self.call(request))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dlcourse.grading.runner")
    for flag in ("--memory-mb", "--cpu-s", "--output-mb", "--processes", "--uid"):
        parser.add_argument(flag, type=int, default=0)
    args = parser.parse_args(argv)
    if args.uid:
        drop_privileges(args.uid)
    apply_limits(args.memory_mb, args.cpu_s, args.output_mb, args.processes)
    inbox = os.fdopen(os.dup(0), "rb", buffering=0)
    outbox = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # the learner's prints go to the output file, never into the protocol
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    Runner(inbox, outbox).serve()
    outbox.flush()
    os._exit(0)  # do not wait for threads the learner may have left running


if __name__ == "__main__":
    main()
