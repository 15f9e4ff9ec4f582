"""Start the learner's process (:mod:`dlcourse.grading.runner`) isolated, and talk to it
with time limits.

Two levels, recorded as ``isolation`` in every result and in the gradebook:

``"bwrap"`` (the default; grading refuses to start without a working bubblewrap)
    The runner sees a file system built for it, nothing else: the Python installation
    (read-only), a generated read-only copy of the few package files it needs at ``/grader``
    (never the package directory itself, so not the references in
    ``dlcourse/grading/exercises``, a checkout, its ``.git`` or ``solutions/``), an empty
    private working directory, ``/tmp``, ``/dev/shm`` and a minimal ``/dev`` -- each writable
    mount a size-capped tmpfs.  Not the submissions, the gradebook, the current directory,
    HOME, ``/etc`` (beyond the loader's cache) or ``/run``.  It has no network, its own PID,
    IPC and UTS namespaces, no capabilities, no way to make a user namespace of its own
    (a seccomp filter: in one it could mount an uncapped tmpfs), and runs as an
    unprivileged user of its own (a fresh random uid when the grader runs as root, so that
    ``RLIMIT_NPROC`` binds: the kernel exempts only uid 0).  Closing it kills the whole
    PID namespace, so no process of the learner's survives (``setsid``, double forks and
    ignored signals included).
``"none"`` (``--no-sandbox``: only for code you trust)
    A plain subprocess in a scratch directory with a scrubbed environment.  The rlimits
    below still hold (except the process limit when grading as root), but the learner's code
    can read and write whatever the grading user can, and a process it detaches with
    ``setsid`` may outlive the grading.

At both levels the runner applies rlimits to itself before it reads any learner code --
memory (``RLIMIT_AS``), CPU seconds, file size (which also caps printed output: stdout and
stderr go to a file) and processes -- and this side enforces wall-clock limits per cell, per
call and per notebook by killing the process.  Nothing secret is in the environment.
"""

from __future__ import annotations

import errno
import functools
import json
import multiprocessing.util
import os
import platform
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dlcourse
from dlcourse.grading.wire import MAX_REPLY_BYTES, FrameReader, WireError, frame

ISOLATED, NOT_ISOLATED = "bwrap", "none"
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`, Fedora: "
                "`sudo dnf install bubblewrap`), or grade with --no-sandbox (no isolation: only "
                "for code you trust)")
PACKAGE_DIR = Path(dlcourse.__file__).resolve().parent
INSIDE = Path("/grader")  # where the sandbox sees its copy of the package files
WORKDIR, TMP_BYTES, SHM_BYTES, DEV_BYTES = Path("/home/learner"), 64 * 2**20, 16 * 2**20, 2**16
DEVICES = ("null", "zero", "full", "random", "urandom")
NAMESPACES = ("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
              "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL")
MAX_PROCESSES = 256  # processes and threads of one submission
UIDS = (2**30, 2**31 - 2)  # the random unprivileged uids a root grader hands out
# Audit architecture and the numbers of unshare, clone and clone3, for the seccomp filter.
SYSCALLS = {"x86_64": (0xC000003E, 272, 56, 435), "aarch64": (0xC00000B7, 97, 220, 435)}
CLONE_NEWUSER = 0x10000000
GRACE_S = 0.5  # for the runner to exit by itself once its input is closed


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


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create its namespaces here; the message says how to
    fix it."""


# --- what the sandbox sees --------------------------------------------------------------------

def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _checkout() -> Path | None:
    """The source checkout the package was imported from, if it was (not an installed copy)."""
    root = PACKAGE_DIR.parent
    markers = (".git", "pyproject.toml", "solutions")
    return root if any((root / m).exists() for m in markers) else None


def _runtime_paths() -> list[Path]:
    """The Python installation: interpreter, standard library, site-packages, system dirs."""
    paths = {Path("/usr"), Path(sys.base_prefix), Path(sys.prefix),
             Path(os.path.realpath(sys.executable)).parent}
    paths.update(Path(p) for p in sysconfig.get_paths().values())
    paths.update(Path(p) for p in sys.path if p.endswith("site-packages"))
    return sorted({p.resolve() for p in paths if p.is_dir()})


def _hidden_paths(hide: Sequence[Path]) -> list[Path]:
    """Never visible: the package, its checkout, the caller's ``hide``, the cwd and HOME."""
    paths = [PACKAGE_DIR, _checkout(), Path.cwd(), Path.home(), *hide]
    return sorted({Path(os.path.abspath(p)).resolve() for p in paths if p is not None})


def _parents(path: Path, made: set[Path]) -> list[str]:
    """``--dir`` arguments for the missing ancestors of ``path``, world-readable (bwrap would
    make them 0700 and root-owned, which the unprivileged learner could not cross)."""
    args = []
    for parent in reversed(path.parents):
        if parent != Path("/") and parent not in made:
            made.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _system_links() -> list[str]:
    """``/bin``, ``/lib``... as on the host: symlinks into ``/usr`` or read-only binds."""
    args = []
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    if os.path.isfile("/etc/ld.so.cache"):
        args += ["--perms", "0755", "--dir", "/etc",
                 "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    return args


def _empty_dir(path: Path) -> list[str]:
    return ["--size", str(DEV_BYTES), "--perms", "0755", "--tmpfs", str(path)]


def _writable(path: Path, size: int, perms: str = "1777") -> list[str]:
    return ["--size", str(size), "--perms", perms, "--tmpfs", str(path)]


def bwrap_command(tree: Path, hide: Sequence[Path] = (), *, unprivileged: bool) -> list[str]:
    """bubblewrap's arguments for the file system described in the module docstring.

    ``tree`` is the generated package copy (see :func:`package_tree`); ``hide`` are more
    paths that must stay invisible should they lie inside the Python installation.
    ``unprivileged``: the grader does not run as root, so bwrap needs a user namespace.
    """
    args = [shutil.which("bwrap") or "bwrap", *NAMESPACES]
    if unprivileged:
        args += ["--unshare-user"]
    else:  # the runner needs these two to drop to its own uid, then has none
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    args += _system_links()
    # /tmp first: a Python installation inside it (a venv in a checkout under /tmp) is bound
    # on top of the capped tmpfs below, instead of being covered by it
    args += _writable(Path("/tmp"), TMP_BYTES)
    made: set[Path] = {Path("/tmp")}
    runtime, hidden = _runtime_paths(), _hidden_paths(hide)
    covered = [h for h in hidden if any(h != r and _inside(h, r) for r in runtime)]
    for path in runtime:
        if not any(q != path and _inside(path, q) for q in runtime):
            args += [*_parents(path, made), "--ro-bind", str(path), str(path)]
    for path in covered:  # e.g. an installed dlcourse inside site-packages
        args += ["--ro-bind", "/dev/null", str(path)] if path.is_file() else _empty_dir(path)
    for path in runtime:  # a runtime path inside a covered one (a venv inside the checkout)
        holders = [c for c in covered if path != c and _inside(path, c)]
        if holders:  # its parents inside the (empty) cover must be made again
            outside = {p for p in path.parents if not any(p != c and _inside(p, c)
                                                          for c in holders)}
            args += [*_parents(path, outside), "--ro-bind", str(path), str(path)]
    args += [*(a for c in covered if c.is_dir() for a in ("--remount-ro", str(c)))]
    args += [*_parents(INSIDE, made), "--ro-bind", str(tree), str(INSIDE)]
    args += _writable(Path("/dev"), DEV_BYTES, "0755")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            args += ["--dev-bind", f"/dev/{name}", f"/dev/{name}"]
    args += [*_writable(Path("/dev/shm"), SHM_BYTES), "--remount-ro", "/dev", "--proc", "/proc"]
    args += [*_parents(WORKDIR, made), *_writable(WORKDIR, TMP_BYTES, "0777"),
             "--chdir", str(WORKDIR), "--remount-ro", "/"]
    return args


@functools.cache
def seccomp_filter() -> bytes | None:
    """A seccomp program (classic BPF, for ``bwrap --seccomp``) that refuses new user
    namespaces: in one, the learner would own its mounts and could fill an uncapped tmpfs
    with the machine's memory.  ``unshare`` and ``clone`` with ``CLONE_NEWUSER`` fail with
    EPERM; ``clone3``, whose flags a filter cannot read, with ENOSYS, so that the C library
    falls back to ``clone`` for threads; so do foreign-ABI calls (i386, x32) that would
    dodge the numbers.  None on other architectures (nothing filtered)."""
    numbers = SYSCALLS.get(platform.machine())
    if numbers is None:
        return None
    arch, unshare, clone, clone3 = numbers
    load, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|..., RET
    allow, eperm, enosys = 0x7FFF0000, 0x50000 | errno.EPERM, 0x50000 | errno.ENOSYS
    program = [(load, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, enosys),  # 0-2: the ABI
               (load, 0, 0, 0), (jge, 0, 1, 0x40000000), (ret, 0, 0, enosys),  # 3-5: x32
               (jeq, 0, 1, clone3), (ret, 0, 0, enosys),  # 6-7
               (jeq, 1, 0, unshare), (jeq, 0, 3, clone),  # 8-9: flags in the first argument
               (load, 0, 0, 16), (jset, 0, 1, CLONE_NEWUSER), (ret, 0, 0, eperm),  # 10-12
               (ret, 0, 0, allow)]  # 13
    return b"".join(struct.pack("=HBBI", *op) for op in program)


@functools.cache
def package_tree(allowed: tuple[str, ...] = ()) -> Path:
    """A read-only copy of the package files the runner needs for ``allowed`` (see
    :func:`dlcourse.grading.imports.package_files`), as ``TREE/dlcourse/...``; made once per
    process and removed at its exit."""
    from dlcourse.grading.imports import package_files

    tree = Path(tempfile.mkdtemp(prefix="dlcourse-runner-"))
    # multiprocessing runs these at the exit of a worker too (atexit handlers it skips)
    multiprocessing.util.Finalize(None, shutil.rmtree, (tree,), {"ignore_errors": True},
                                  exitpriority=0)
    for source in package_files(allowed):
        target = tree / "dlcourse" / Path(source).resolve().relative_to(PACKAGE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    for folder in (tree, *(p for p in tree.rglob("*") if p.is_dir())):
        if folder != tree:
            (folder / "__init__.py").touch(exist_ok=True)
        folder.chmod(0o755)
    for file in tree.rglob("*.py"):
        file.chmod(0o444)
    return tree


@functools.cache
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot isolate the runner here, or None if it can (tried once)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    command = [*bwrap_command(package_tree(), unprivileged=os.geteuid() != 0),
               sys.executable, "-c", "import numpy"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=60, env=_environment())
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap could not start: {exc}"
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        return f"bubblewrap cannot create a sandbox here: {reason[0][:200]}"
    return None


def bwrap_works() -> bool:
    return bwrap_problem() is None


def require_sandbox() -> None:
    """Raise :class:`SandboxUnavailable`, saying how to fix it, unless bwrap works."""
    problem = bwrap_problem()
    if problem is not None:
        raise SandboxUnavailable(f"{problem}; {INSTALL_HINT}")


# --- the process --------------------------------------------------------------------------

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


def _environment(tree: Path = INSIDE, home: Path = WORKDIR) -> dict[str, str]:
    """A scrubbed environment: nothing of the grader's, certainly no seed."""
    return {"PATH": os.defpath, "HOME": str(home), "TMPDIR": str(home),
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": str(tree),
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
    try:
        return reasons.get(sig, f"was killed by signal {signal.Signals(sig).name}")
    except ValueError:
        return f"was killed by signal {sig}"


class LearnerProcess:
    """One runner process: send messages to it, receive its answers with a deadline.

    ``sandbox=True`` needs a working bubblewrap (:func:`require_sandbox`); ``allowed`` names
    the course modules the notebook may import; ``hide`` are paths (the submissions, the
    gradebook, private banks) that must stay invisible even if they lie inside the Python
    installation.
    """

    def __init__(self, limits: Limits, *, allowed: Sequence[str] = (),
                 hide: Sequence[Path] = (), sandbox: bool = True):
        self.limits, self.sandbox = limits, sandbox
        self.isolation = ISOLATED if sandbox else NOT_ISOLATED
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 -- closed in close()
        tree = package_tree(tuple(allowed))
        command = [sys.executable, "-m", "dlcourse.grading.runner",
                   "--memory-mb", str(limits.memory_mb),
                   "--cpu-s", str(int(limits.notebook_s) + 5),
                   "--output-mb", str(limits.output_mb)]
        self.scratch, self.init_pid, info, fds = None, None, None, ()
        if sandbox:
            require_sandbox()
            root = os.geteuid() == 0
            uid = secrets.randbelow(UIDS[1] - UIDS[0]) + UIDS[0]
            command += ["--processes", str(MAX_PROCESSES)] + (["--uid", str(uid)] if root else [])
            info, info_write = os.pipe()
            fds = (info_write,)
            program = seccomp_filter()
            if program is not None:
                seccomp = os.memfd_create("dlcourse-seccomp")
                os.write(seccomp, program)
                os.lseek(seccomp, 0, os.SEEK_SET)
                fds += (seccomp,)
            command = [*bwrap_command(tree, hide, unprivileged=not root),
                       "--info-fd", str(info_write),
                       *(["--seccomp", str(seccomp)] if program is not None else []), *command]
            cwd, env = "/", _environment()
        else:
            processes = _user_tasks()
            command += ["--processes", str(processes + MAX_PROCESSES if processes else 0)]
            self.scratch = Path(tempfile.mkdtemp(prefix="dlcourse-grade-"))
            cwd, env = self.scratch, _environment(tree, self.scratch)
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.output,
            cwd=cwd, env=env, start_new_session=True, pass_fds=fds)
        for fd in fds:
            os.close(fd)
        if info is not None:
            self.info = os.fdopen(info, "rb")
        os.set_blocking(self.process.stdin.fileno(), False)
        self.reader = FrameReader(MAX_REPLY_BYTES)

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
        if self.sandbox and code > 128:
            code = -(code - 128)  # bubblewrap reports a child's signal as 128 + signal
        if code < 0:
            return _signal_reason(-code, self.limits)
        return f"exited with status {code} (sys.exit or os._exit in the notebook?)"

    def kill(self) -> None:
        """End the runner and everything it started.  Under bwrap, killing bwrap ends the
        PID namespace's init (``--die-with-parent``), and the kernel kills every process
        left in the namespace with it."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        if self.sandbox:
            self._wait_for_namespace()

    def _wait_for_namespace(self, timeout: float = 5.0) -> None:
        """Wait until the namespace's init (bwrap reports its pid on ``--info-fd``) is gone:
        the kernel ends it only after every other process in the namespace."""
        if self.init_pid is None:
            try:
                self.init_pid = int(json.loads(self.info.read(4096) or b"{}")["child-pid"])
            except (ValueError, KeyError, TypeError, OSError):
                return  # bwrap failed before it started a namespace
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{self.init_pid}/stat", "rb") as stat:
                    if stat.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                        return
            except (OSError, IndexError):
                return
            time.sleep(0.005)

    def close(self) -> None:
        """End the runner: it exits by itself when its input closes (bwrap's init then ends
        the namespace, and every process is reaped and accounted for); what does not
        within :data:`GRACE_S` is killed."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=GRACE_S)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()
        streams = (self.process.stdin, self.process.stdout, self.output)
        for stream in (*streams, self.info) if self.sandbox else streams:
            try:
                stream.close()
            except OSError:
                pass
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
