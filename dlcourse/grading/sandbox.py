"""Start the learner's process (:mod:`dlcourse.grading.runner`) as isolated as this machine
allows, and talk to it with time limits.

Two levels, reported as ``isolation`` in every result:

``"bwrap+rlimits"``
    Where bubblewrap (``bwrap``) works: the runner sees the file system read-only, gets a
    small private tmpfs as its scratch directory and as ``/tmp``, has no network, its own
    PID/IPC/UTS namespaces and no capabilities, and does not see ``/root``, ``/home`` (except
    the Python installation and the course package), the reference solutions
    (``dlcourse/grading/exercises``, ``solutions/``), the submissions or the gradebook.
``"process+rlimits"``
    A plain subprocess in a scratch directory with a scrubbed environment.  The limits below
    still hold, but the learner's code could read and write what the grading user can:
    install bubblewrap before grading a class you do not trust.

At both levels the runner applies rlimits to itself before it reads any learner code --
memory (``RLIMIT_AS``), CPU seconds, file size (which also caps printed output: stdout and
stderr go to a file) and processes -- and this side enforces wall-clock limits per cell, per
call and per notebook by killing the process group.  Nothing secret is in the environment.
"""

from __future__ import annotations

import functools
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import dlcourse
from dlcourse.grading.wire import FrameReader, WireError, frame

PACKAGE_ROOT = Path(dlcourse.__file__).resolve().parent.parent
# Never visible inside bwrap: the reference solutions, as code and as notebooks.
REFERENCES = (PACKAGE_ROOT / "dlcourse" / "grading" / "exercises", PACKAGE_ROOT / "solutions")
BWRAP_BASE = ("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all",
              "--cap-drop", "ALL", "--die-with-parent", "--new-session")
PRIVATE_DIRS = ("/root", "/home", "/tmp", "/var/tmp", "/run/user")
SCRATCH_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Limits:
    """Time (seconds) and size (MB) limits for one submission."""

    notebook_s: float = 300.0
    cell_s: float = 60.0
    call_s: float = 10.0
    memory_mb: int = 2048
    output_mb: int = 8


class Died(Exception):
    """The learner's process ended; the message says why, in one line."""


class TimedOut(Exception):
    """No answer from the learner's process within the time limit."""


@functools.cache
def bwrap_works() -> bool:
    """True if bubblewrap is installed and can create its namespaces here."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False
    try:
        done = subprocess.run([bwrap, *BWRAP_BASE, "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def isolation_level() -> str:
    return "bwrap+rlimits" if bwrap_works() else "process+rlimits"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _needed_paths() -> list[Path]:
    """What the runner must see: the interpreter, its libraries and the course package."""
    paths = {PACKAGE_ROOT, Path(sys.prefix), Path(sys.base_prefix),
             Path(os.path.realpath(sys.executable)).parent}
    paths.update(Path(p) for p in sys.path if p and os.path.isdir(p))
    return sorted({p.resolve() for p in paths})


def bwrap_command(scratch: Path, hide: list[Path]) -> list[str]:
    """bubblewrap arguments: private dirs masked, needed paths re-bound, ``hide`` hidden."""
    args = [shutil.which("bwrap"), *BWRAP_BASE]
    needed = _needed_paths()
    for folder in map(Path, PRIVATE_DIRS):
        if folder.is_dir():
            args += ["--size", str(SCRATCH_BYTES), "--tmpfs", str(folder)]
    for path in needed:
        if any(_inside(path, Path(d)) for d in PRIVATE_DIRS):
            args += ["--ro-bind", str(path), str(path)]
    for path in [*REFERENCES, *hide]:
        path = path.resolve()
        if path.is_file():
            args += ["--ro-bind", "/dev/null", str(path)]
        elif path.is_dir() and not any(_inside(n, path) for n in needed):
            args += ["--tmpfs", str(path)]
    args += ["--size", str(SCRATCH_BYTES), "--tmpfs", str(scratch), "--chdir", str(scratch)]
    return args


def _user_tasks() -> int:
    """Processes and threads of this user (RLIMIT_NPROC counts them all); 0 for root."""
    if os.geteuid() == 0 or not os.path.isdir("/proc"):
        return 0
    count = 0
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and entry.stat().st_uid == os.geteuid():
                count += len(os.listdir(f"/proc/{entry.name}/task"))
        except OSError:
            continue
    return count


def _environment(scratch: Path) -> dict[str, str]:
    """A scrubbed environment: nothing of the grader's, certainly no seed."""
    return {"PATH": os.defpath, "HOME": str(scratch), "TMPDIR": str(scratch),
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": str(PACKAGE_ROOT),
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg", "DLCOURSE_BACKEND": "numpy", "DLCOURSE_GRADING": "1"}


def _signal_reason(sig: int, limits: Limits) -> str:
    reasons = {
        signal.SIGXFSZ: f"printed or wrote more than {limits.output_mb} MB (the output limit)",
        signal.SIGXCPU: "used up its CPU-time limit",
        signal.SIGSEGV: "crashed with a segmentation fault",
        signal.SIGBUS: "crashed with a bus error",
        signal.SIGABRT: "aborted (often: out of memory inside a C library)",
        signal.SIGKILL: "was killed (out of memory?)",
    }
    return reasons.get(sig, f"was killed by signal {signal.Signals(sig).name}")


class LearnerProcess:
    """One runner process: send messages to it, receive its answers with a deadline."""

    def __init__(self, limits: Limits, hide: list[Path] = ()):
        self.limits = limits
        self.bwrap = bwrap_works()
        self.scratch = Path(tempfile.mkdtemp(prefix="dlcourse-grade-"))
        self.output = open(self.scratch / "output.txt", "wb")  # noqa: SIM115 -- closed in close()
        processes = _user_tasks()
        command = [sys.executable, "-m", "dlcourse.grading.runner",
                   "--memory-mb", str(limits.memory_mb),
                   "--cpu-s", str(int(limits.notebook_s) + 5),
                   "--output-mb", str(limits.output_mb),
                   "--processes", str(processes + 256 if processes else 0)]
        if self.bwrap:
            command = bwrap_command(self.scratch, list(hide)) + command
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.output,
            cwd=self.scratch, env=_environment(self.scratch), start_new_session=True)
        os.set_blocking(self.process.stdin.fileno(), False)
        self.reader = FrameReader()

    def send(self, message: dict, timeout: float) -> None:
        data = memoryview(frame(message))
        deadline = time.monotonic() + timeout
        fd = self.process.stdin.fileno()
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
                raise TimedOut
            try:
                data = data[os.write(fd, data):]
            except BrokenPipeError:
                raise Died(self.death_reason()) from None

    def receive(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while True:
            try:
                message = self.reader.next_message()
            except WireError as exc:
                self.kill()
                raise Died(f"sent something the grader cannot read ({exc})") from None
            if message is not None:
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimedOut
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise Died(self.death_reason())
            self.reader.feed(chunk)

    def death_reason(self) -> str:
        """Why the process ended, in words (waits briefly for it)."""
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "stopped answering"
        if self.bwrap and code > 128:
            code = -(code - 128)  # bubblewrap reports a child's signal as 128 + signal
        if code < 0:
            return _signal_reason(-code, self.limits)
        return f"exited with status {code} (sys.exit or os._exit in the notebook?)"

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()

    def close(self) -> None:
        self.kill()
        for stream in (self.process.stdin, self.process.stdout, self.output):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self.scratch, ignore_errors=True)
