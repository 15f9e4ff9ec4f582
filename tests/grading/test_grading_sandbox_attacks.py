"""The sandbox, attacked from inside as the worst student would: what a notebook can see,
write, reach, start and leave behind (issue 13, class 3).

Each probe runs as a notebook cell in a real :class:`LearnerProcess` and hands back what it
found through a ``probe()`` function, so every assertion is on what the learner's code saw.
"""

import errno
import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from grading_helpers import FAST, ROOT

from dlcourse.grading import sandbox, wire
from dlcourse.grading.sandbox import LearnerProcess, bwrap_problem, bwrap_works
from dlcourse.grading.wire import decode

pytestmark = pytest.mark.skipif(not bwrap_works(), reason=f"{bwrap_problem()}: install the "
                                "Debian package `bubblewrap` (CI does)")


def run_probe(source, **kwargs):
    """Run ``source`` (a cell defining ``probe()``) in the sandbox; what ``probe()`` returns."""
    process = LearnerProcess(FAST, **kwargs)
    try:
        return _call_probe(process, source)
    finally:
        process.close()


def _call_probe(process, source):
    # no import allow-list beyond the standard library, nothing denied: the sandbox alone
    process.send(wire.start(cells=[source], skip=(), functions=["probe"], allowed=(),
                            denied=()), timeout=60)
    while (message := process.receive(120)).get("event") != "ready":
        assert not message.get("error"), message
    process.send(wire.call(function="probe", args=(), kwargs={}, forbidden=()), timeout=60)
    reply = process.receive(120)
    assert reply["status"] == "ok", reply
    return decode(reply["value"])


def exists_probe(paths):
    paths = [str(p) for p in paths]
    return f"import os\ndef probe():\n    return [os.path.lexists(p) for p in {paths!r}]"


def test_the_sandbox_shows_none_of_the_instructors_files(tmp_path, monkeypatch):
    secrets = {}
    for name in ("submissions", "gradebook", "cwd", "bank"):
        (tmp_path / name).mkdir()
        secrets[name] = tmp_path / name / "secret.txt"
        secrets[name].write_text("secret")
    monkeypatch.chdir(tmp_path / "cwd")  # e.g. `dlcourse grade .` inside the submissions
    package = Path(sandbox.PACKAGE_DIR)
    targets = [*secrets.values(), tmp_path, package / "grading" / "exercises" / "ch02.py",
               package / "grading" / "grader.py", ROOT / "solutions", ROOT / ".git",
               ROOT / "pyproject.toml", "/etc/shadow", "/etc/passwd", "/run", "/var", "/sys",
               "/root/.bash_history", Path.home() / ".bashrc"]
    hide = [tmp_path / "submissions", tmp_path / "gradebook", tmp_path / "bank"]
    seen = run_probe(exists_probe(targets), hide=hide)
    assert dict(zip(map(str, targets), seen, strict=True)) == {str(t): False for t in targets}
    # the control: the same probe sees what the runner needs
    assert run_probe(exists_probe([sys.executable, "/usr", "/grader/dlcourse/grading/runner.py"]))\
        == [True, True, True]


def test_a_hidden_folder_inside_the_python_installation_is_covered(tmp_path):
    """E.g. an installed dlcourse (its references) inside site-packages: mounted empty."""
    inside = Path(sys.prefix) / f"dlcourse-test-secret-{os.getpid()}"
    inside.mkdir()
    try:
        (inside / "answers.py").write_text("ANSWER = 42")
        seen = run_probe(exists_probe([inside, inside / "answers.py"]), hide=[inside])
    finally:
        (inside / "answers.py").unlink()
        inside.rmdir()
    assert seen == [True, False]


def test_home_shows_only_the_way_to_the_python_installation():
    home = Path.home().resolve()
    allowed = {p.relative_to(home).parts[0] for p in sandbox._runtime_paths()
               if home in p.parents}
    listed = run_probe(f"import os\ndef probe():\n    p = {str(home)!r}\n"
                       "    return sorted(os.listdir(p)) if os.path.isdir(p) else []")
    assert set(listed) <= allowed


WRITE_PROBE = """
import errno, os
def fill(folder):
    written = 0
    try:
        for i in range(200):  # 1 MB files: each stays under the file-size limit
            with open(os.path.join(folder, f"f{i}"), "wb") as f:
                f.write(b"x" * 2**20)
            written += 2**20
    except OSError as exc:
        return [written, exc.errno]
    return [written, 0]
RESULTS = {d: fill(d) for d in ("/tmp", os.getcwd(), "/dev/shm", "/dev", "/", "/usr", "/grader")}
def probe():
    return RESULTS
"""


def test_every_writable_mount_is_size_capped_and_nothing_else_is_writable():
    results = run_probe(WRITE_PROBE)
    for folder, cap in [("/tmp", sandbox.TMP_BYTES), (str(sandbox.WORKDIR), sandbox.TMP_BYTES),
                        ("/dev/shm", sandbox.SHM_BYTES)]:
        written, error = results[folder]
        assert error == errno.ENOSPC and written <= cap, (folder, results[folder])
    for folder in ("/dev", "/", "/usr", "/grader"):
        assert results[folder][0] == 0 and results[folder][1] in (errno.EROFS, errno.EACCES), \
            (folder, results[folder])


def test_no_network_and_no_host_sockets(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(f"\0dlcourse-test-{os.getpid()}")
    abstract.listen()
    try:
        seen = run_probe(f"""
import _socket as socket  # the C module: what the sandbox must stop, whatever the hook does
def attempt(family, address):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(address)
        return "connected"
    except OSError as exc:
        return type(exc).__name__
def probe():
    return [attempt(socket.AF_INET, ("127.0.0.1", {server.getsockname()[1]})),
            attempt(socket.AF_INET, ("1.1.1.1", 53)),
            attempt(socket.AF_UNIX, "\\0dlcourse-test-{os.getpid()}"),
            [line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]]]""")
    finally:
        server.close()
        abstract.close()
    assert "connected" not in seen[:3], seen
    assert seen[3] == ["lo"]  # no network interface but its own loopback


def test_the_learner_runs_unprivileged_in_its_own_pid_namespace():
    seen = run_probe("""
import os
def probe():
    caps = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")]
    cmdlines = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdlines.append(open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace"))
        except OSError:
            pass
    return [os.getuid(), os.getpid(), caps[0], cmdlines]""")
    uid, pid, caps, cmdlines = seen
    assert uid != 0 and int(caps, 16) == 0
    assert pid < 10 and len(cmdlines) <= 4  # bwrap's init, the runner, and this probe's view
    assert not any("pytest" in c for c in cmdlines)


FORK_PROBE = """
import os, threading, time
def forks(n=400):
    children, error = [], None
    try:
        for _ in range(n):
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            children.append(pid)
    except OSError as exc:
        error = exc.errno
    for pid in children:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return [len(children), error]
def threads(n=400):
    threading.stack_size(64 * 1024)  # so that memory is not what stops them
    stop, started = threading.Event(), []
    try:
        for _ in range(n):
            t = threading.Thread(target=stop.wait)
            t.start()
            started.append(t)
    except RuntimeError:
        pass
    stop.set()
    for t in started:  # a graded function runs alone: the threads must be gone before
        t.join()
    return len(started)
RESULTS = [forks(), threads()]
def probe():
    return RESULTS
"""


def test_400_forks_or_threads_are_refused_even_when_the_grader_is_root():
    (forked, error), threads = run_probe(FORK_PROBE)
    assert forked < 400 and error == errno.EAGAIN
    assert forked <= sandbox.MAX_PROCESSES and threads <= sandbox.MAX_PROCESSES
    assert forked >= 100 and threads >= 100  # refused at the limit, not from the start


def test_no_user_namespace_so_no_tmpfs_of_ones_own(tmp_path):
    """In a user namespace of its own the learner could mount a tmpfs without a size cap
    and fill the machine's memory; the seccomp filter refuses to create one."""
    seen = run_probe("""
import subprocess
def probe():
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                           "mount -t tmpfs none /tmp && echo mounted"],
                          capture_output=True, text=True)
    return [done.returncode, done.stdout, done.stderr]""")
    assert seen[0] != 0 and "mounted" not in seen[1]
    assert "Operation not permitted" in seen[2]


SURVIVOR = """
import os, signal, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.execv(sys.executable, [sys.executable, "-c",
                 "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                 "time.sleep(600)", "{marker}"])
    os._exit(0)
def probe():
    return True
"""


def _processes_with(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def test_no_process_of_the_learner_survives_the_grading():
    marker = f"dlcourse-survivor-{os.getpid()}-{threading.get_ident()}"
    process = LearnerProcess(FAST)
    try:
        assert _call_probe(process, SURVIVOR.format(marker=marker)) is True
        deadline = time.monotonic() + 10
        while not _processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_with(marker), "the detached process never started"
    finally:
        process.close()
    assert _processes_with(marker) == []


def test_a_python_installation_under_tmp_is_bound_over_the_sandboxs_own_tmp(monkeypatch):
    """CI clones into a folder under /tmp, so its venv lives there: the capped /tmp must be
    mounted first and the venv bound on top of it, not hidden under it."""
    venv = Path("/tmp/some-clone/.venv")
    monkeypatch.setattr(sandbox, "_runtime_paths", lambda: [venv])
    args = sandbox.bwrap_command(Path("/nonexistent-tree"), unprivileged=False)
    tmp_mount = next(i for i in range(len(args) - 1)
                     if args[i] == "--tmpfs" and args[i + 1] == "/tmp")
    venv_bind = next(i for i in range(len(args) - 2)
                     if args[i] == "--ro-bind" and args[i + 2] == str(venv))
    assert tmp_mount < venv_bind
