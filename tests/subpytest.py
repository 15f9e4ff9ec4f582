"""pytest in a subprocess, for the tests that run part of the suite in another environment
(the CuPy stand-in, the CPU's other kernel path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The thread pools (OpenMP, OpenBLAS, MKL) that the root conftest.py sizes to one thread in
# every process the suite starts: its parallelism is its processes, not threads in each.
THREAD_POOLS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def run_pytest(*args: str, workers: int = 0, **env: str) -> subprocess.CompletedProcess:
    """Run pytest on ``args`` from the repository root, on ``workers`` xdist workers, with
    ``env`` added to this process's environment."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "-n", str(workers), *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=900)


def outcome(run: subprocess.CompletedProcess) -> str:
    """pytest's last line, with the output's tail when the run failed."""
    lines = run.stdout.strip().splitlines() or [run.stderr]
    return lines[-1] if run.returncode == 0 else run.stdout[-4000:] + run.stderr[-2000:]
