"""Run a command as if on a slower machine: a CPU quota on a Linux control group.

The widget goal is set for a slow 2-core laptop, and a benchmark machine is often faster.
This runs a command in a new cgroup whose CPU time is capped at ``speed`` of ``cores``
cores, in periods of 5 ms: at ``--speed 0.5`` an update that takes 20 ms of CPU takes about
40 ms of wall time.  Combine it with the CPU's slower kernel path (AVX2 instead of AVX-512)
from ``tests/other_kernels.py``:

    env $(.venv/bin/python tests/other_kernels.py) \\
        .venv/bin/python bench/on_a_slower_cpu.py --speed 0.5 --cores 1 -- \\
        .venv/bin/python bench/bench_widgets.py

What it does not slow: the caches and the memory.  A laptop's smaller caches and slower
memory cost more on large arrays than on the small ones of a panel, so read its numbers as
a lower bound for such a laptop.  The quota is the whole group's: with ``--cores 2`` one
busy thread may take both cores' share while the others wait (``--cores 1`` for a
single-threaded command such as ``bench_widgets.py`` with ``OPENBLAS_NUM_THREADS=1``).

Needs root, and the cgroup ``cpu`` controller (cgroup v2's ``cpu.max`` or v1's CFS quota).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

PERIOD_US = 5000          # 5 ms: the time over an update is spread evenly, and (unlike 1-2 ms) the
                          # throttling itself costs no CPU; --speed 0.5 gives twice the wall time
CGROUP_ROOT = Path("/sys/fs/cgroup")


def cpu_controller(root: Path = CGROUP_ROOT) -> tuple[Path, str]:
    """Where new cgroups with a CPU quota are made, and the cgroup version ("v2" or "v1")."""
    controllers = root / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        return root, "v2"
    if (root / "cpu" / "cpu.cfs_quota_us").exists():
        return root / "cpu", "v1"
    raise SystemExit(f"no cgroup cpu controller under {root}: cannot set a CPU quota here")


def quota_files(version: str, speed: float, cores: float) -> dict[str, str]:
    """The files to write in the new cgroup, and what, for ``speed`` of ``cores`` cores.

    >>> quota_files("v2", 0.5, 1)
    {'cpu.max': '2500 5000'}
    >>> quota_files("v1", 0.4, 2)
    {'cpu.cfs_period_us': '5000', 'cpu.cfs_quota_us': '4000'}
    """
    quota = round(speed * cores * PERIOD_US)
    if quota < 1000:       # the kernel's smallest quota is 1 ms
        raise SystemExit(f"speed x cores x {PERIOD_US} us = {quota} us: the smallest quota is "
                         "1000 us; raise --speed or --cores")
    if version == "v2":
        return {"cpu.max": f"{quota} {PERIOD_US}"}
    return {"cpu.cfs_period_us": str(PERIOD_US), "cpu.cfs_quota_us": str(quota)}


def run_capped(command: list[str], speed: float, cores: float) -> int:
    """Run ``command`` in a new cgroup capped at ``speed`` of ``cores`` cores; its exit code."""
    root, version = cpu_controller()
    if version == "v2":   # a child group may use the controller only if its parent passes it on
        subtree = root / "cgroup.subtree_control"
        if "cpu" not in subtree.read_text().split():
            subtree.write_text("+cpu")
    group = root / f"dlcourse-slower-{os.getpid()}"
    try:
        group.mkdir()
    except PermissionError:
        raise SystemExit(f"cannot make {group}: run as root") from None
    try:
        for name, value in quota_files(version, speed, cores).items():
            (group / name).write_text(value)
        procs = group / "cgroup.procs"

        def join_group():      # in the child, before the command starts
            procs.write_text(str(os.getpid()))

        return subprocess.call(command, preexec_fn=join_group)
    finally:
        group.rmdir()          # empty again: the command and its children have ended


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=0.5,
                        help="fraction of each core's time the command gets (default 0.5)")
    parser.add_argument("--cores", type=float, default=2,
                        help="cores the quota counts (default 2; 1 for a single thread)")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="the command, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    if not 0 < args.speed <= 1:
        parser.error(f"--speed must lie in (0, 1], got {args.speed}")
    sys.exit(run_capped(command, args.speed, args.cores))


if __name__ == "__main__":
    main()
