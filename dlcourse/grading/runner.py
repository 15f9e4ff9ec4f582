"""The learner's side of the grader: ``python -m dlcourse.grading.runner``.

This process is *untrusted*: it runs the learner's notebook code.  It never sees a
secret seed, an expected value or the gradebook; it only receives inputs and returns what
the learner's functions made of them.  Its life:

1. Drop to its own unprivileged user if started as root (``--uid``), apply the resource
   limits to itself (memory, CPU time, file size, processes) and point
   file descriptors 1 and 2 at the output file the grader gave it as stderr; the protocol
   keeps private copies of the original stdin/stdout pipes.
2. Receive the notebook's code cells and run them one after another in one namespace, as
   a Jupyter kernel would (no kernel is needed: IPython magics and shell escapes are
   ignored, ``display`` does nothing).  Before and after each cell it reports progress, so
   that the grader can enforce a per-cell time limit and skip a cell that hangs or crashes.
3. Answer call requests -- function name, encoded arguments, forbidden names -- with the
   encoded result, the exception, or the refused call.

Everything here can be tampered with by the learner's code; nothing here decides a score.
"""

from __future__ import annotations

import argparse
import builtins
import os
import resource
import signal
import sys

from dlcourse.grading.guard import RuntimeGuard
from dlcourse.grading.wire import decode, encode, frame, read_message

MAX_ERROR_CHARS = 300


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


def _transform(source: str) -> str:
    """IPython syntax (``%magic``, ``!cmd``) as plain Python, when there is any."""
    stripped = [line.lstrip() for line in source.splitlines()]
    if not any(line[:1] in ("%", "!") or line.endswith("?") for line in stripped):
        return source
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)


class Runner:
    """Runs cells and answers calls over the protocol pipes."""

    def __init__(self, inbox, outbox):
        self.inbox, self.outbox = inbox, outbox
        shell = _Shell()
        self.namespace = {"__name__": "__main__", "__builtins__": builtins,
                          "get_ipython": lambda: shell, "display": lambda *a, **k: None}

    def send(self, message: dict) -> None:
        self.outbox.write(frame(message))
        self.outbox.flush()

    def run_cells(self, cells: list[str], skip: set[int]) -> None:
        for index, source in enumerate(cells):
            if index in skip:
                continue
            self.send({"event": "cell", "index": index})
            error = None
            try:
                exec(compile(_transform(source), f"<cell {index}>", "exec"), self.namespace)
            except BaseException as exc:  # noqa: BLE001 -- the learner's code may raise anything
                error = _one_line(exc)
            self.send({"event": "cell_done", "index": index, "error": error})

    def describe(self, names: list[str]) -> dict[str, str]:
        """For each name: "function", "missing" or the type of what it is bound to."""
        kinds = {}
        for name in names:
            value = self.namespace.get(name)
            kinds[name] = ("missing" if value is None else
                           "function" if callable(value) else type(value).__name__)
        return kinds

    def call(self, request: dict) -> dict:
        function = self.namespace.get(request["function"])
        if not callable(function):
            return {"status": "missing"}
        args = decode(request["args"], functions=True)
        kwargs = decode(request["kwargs"], functions=True)
        guard = RuntimeGuard(request.get("forbidden", []))
        try:
            with guard:
                value = function(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001
            if guard.refused:
                return {"status": "refused", "names": guard.refused[:1]}
            if isinstance(exc, NotImplementedError):
                return {"status": "not_written"}
            return {"status": "raised", "error": _one_line(exc),
                    "memory": isinstance(exc, MemoryError)}
        if guard.refused:
            return {"status": "refused", "names": guard.refused[:1]}
        try:
            return {"status": "ok", "value": encode(value)}
        except BaseException as exc:  # noqa: BLE001 -- e.g. a result whose __array__ raises
            return {"status": "raised", "error": f"the result could not be read: {_one_line(exc)}"}

    def serve(self) -> None:
        start = read_message(self.inbox)
        if start is None:
            return
        self.run_cells(start["cells"], set(start["skip"]))
        self.send({"event": "ready", "names": self.describe(start["functions"])})
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
