"""How fast does ``dlcourse grade`` get through a class, and what does the worst submission
cost the grader itself?

1. *Throughput.*  Copies one chapter's solution notebook ``--copies`` times into a scratch
   folder, as if each were a different student's submission, and times the command an
   instructor types::

       dlcourse grade SCRATCH --jobs 2 --gradebook SCRATCH/gradebook.sqlite --json

   Every copy must come back graded with full marks (the solution is the reference), so the
   benchmark also proves that grading under load stays correct.  Then once more with
   ``--no-sandbox``, whose CPU time per submission getrusage can see (a PID namespace hides
   it), and the runner's start with and without bubblewrap, side by side: on a shared
   machine the wall times say more about the neighbours than about the grader.
2. *The grader's own cost of hostile submissions.*  Grades, one job each, submissions that
   attack the grader's resources (a 30 MB flood into the protocol pipe, a 4 MB code cell, a
   15 MB notebook, 100 MB of printing, a memory hog, a fork bomb, thousands of cells) and
   reports the wall time and the peak RSS of the grading process itself (its own
   ``ru_maxrss``: the learner's process, limited separately, is not the grader).

    python bench/bench_grading.py                    # chapter 02, 40 copies, 2 jobs
    python bench/bench_grading.py --chapter 04 --copies 20 --jobs 1 --no-hostile
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
FLOOD = """import json, os, stat
payload = json.dumps({"event": "ready", "names": [0] * 10_000_000}).encode()
for fd in range(3, 64):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, len(payload).to_bytes(8, "big") + payload)
    except OSError:
        pass"""
HOSTILE = {
    "30 MB flood into the protocol pipe": [FLOOD],
    "4 MB code cell": ["x = [" + "1, " * 1_400_000 + "]"],
    "100 MB printed": ["print('x' * 2**20 * 100)"],
    "2 GB allocated": ["import numpy as np\nx = np.ones(2**28)"],
    "fork bomb": ["import os\nwhile True:\n    os.fork()"],
    "2,000 cells": [f"v{i} = {i}" for i in range(2000)],
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="02", help="two-digit chapter number")
    parser.add_argument("--copies", type=int, default=40, help="submissions to grade")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded in parallel")
    parser.add_argument("--no-hostile", action="store_true", help="throughput only")
    return parser.parse_args()


def throughput(solution: Path, copies: int, jobs: int, *, sandbox: bool = True) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "submissions"
        folder.mkdir()
        for i in range(copies):
            shutil.copy(solution, folder / f"{solution.stem}-student{i:03d}.ipynb")
        command = [str(Path(sys.executable).parent / "dlcourse"), "grade", str(folder),
                   "--jobs", str(jobs), "--json",
                   "--gradebook", str(Path(scratch) / "gradebook.sqlite"),
                   *([] if sandbox else ["--no-sandbox"])]
        start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / copies
    results = json.loads(done.stdout)
    full = sum(r["status"] == "graded" and r["score"] == r["max_score"] for r in results)
    print(f"{solution.name}: {copies} submissions, --jobs {jobs}, "
          f"isolation {results[0]['isolation']}")
    print(f"{seconds:.1f} s in all, {60 * copies / seconds:.0f} submissions per minute; "
          f"{full}/{copies} graded with full marks")
    if not sandbox:  # a PID namespace hides its processes' CPU time from getrusage
        print(f"CPU time (grader and learners) {cpu:.2f} s per submission: at most "
              f"{2 * 60 / cpu:.0f} per minute on 2 otherwise idle cores, before the sandbox")
    if full != copies:
        sys.exit("some reference solutions did not get full marks")


def sandbox_start(rounds: int = 10) -> None:
    """Median wall time from starting a runner to its "ready" (one cell importing NumPy)
    and closing it, with and without bubblewrap, in alternating rounds."""
    from dlcourse.grading import wire
    from dlcourse.grading.sandbox import LearnerProcess, Limits

    times = {True: [], False: []}
    for _ in range(rounds):
        for sandbox in (True, False):
            start = time.perf_counter()
            process = LearnerProcess(Limits(), sandbox=sandbox)
            process.send(wire.start(cells=["import numpy"], skip=(), functions=[], allowed=(),
                                    denied=()), timeout=60)
            while process.receive(60).get("event") != "ready":
                pass
            process.close()
            times[sandbox].append(time.perf_counter() - start)
    bwrap, plain = (statistics.median(times[k]) for k in (True, False))
    print(f"runner start to close: {bwrap:.2f} s in bubblewrap, {plain:.2f} s without "
          f"(median of {rounds})")


def cpu_split(solution: Path, rounds: int = 8) -> None:
    """CPU seconds per submission in this process (the grader) and in the learner's
    processes, without the sandbox (whose PID namespace hides them from getrusage)."""
    from dlcourse.grading.grader import grade_file

    def cpu(who):
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    grade_file(solution, seed=1, sandbox=False)  # imports and caches out of the count
    grader, learner = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    for _ in range(rounds):
        grade_file(solution, seed=1, sandbox=False)
    grader = (cpu(resource.RUSAGE_SELF) - grader) / rounds
    learner = (cpu(resource.RUSAGE_CHILDREN) - learner) / rounds
    print(f"CPU per submission, one job: grader {grader:.2f} s, learner's process "
          f"{learner:.2f} s: at most {2 * 60 / (grader + learner):.0f} per minute on 2 idle cores")


def _grade_one(path: str) -> tuple[dict, float, int]:
    """In a fresh worker: the result, the wall time and this process's peak RSS (MB)."""
    from dlcourse.grading.grader import grade_file

    start = time.perf_counter()
    result = grade_file(path, seed=1)
    seconds = time.perf_counter() - start
    return result.to_json(), seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def hostile(solution: Path) -> None:
    base = nbformat.read(solution, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        paths = {}
        for name, cells in HOSTILE.items():
            nb = nbformat.from_dict(json.loads(json.dumps(base)))
            nb.cells[2:2] = [nbformat.v4.new_code_cell(c) for c in cells]
            paths[name] = Path(scratch) / f"{solution.stem}-h{len(paths)}.ipynb"
            nbformat.write(nb, paths[name])
        big = nbformat.from_dict(json.loads(json.dumps(base)))
        big.cells.insert(0, nbformat.v4.new_code_cell("pass", outputs=[
            nbformat.v4.new_output("stream", text="y" * 15 * 2**20)]))
        paths["15 MB notebook (outputs)"] = Path(scratch) / f"{solution.stem}-big.ipynb"
        nbformat.write(big, paths["15 MB notebook (outputs)"])
        context = multiprocessing.get_context("spawn")
        print("\nhostile submission                   grader s  grader peak RSS  outcome")
        for name, path in paths.items():
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
                result, seconds, rss = pool.submit(_grade_one, str(path)).result()
            outcome = result["error"] or f"{result['score']:g}/{result['max_score']:g}"
            print(f"{name:<36} {seconds:8.1f}  {rss:12d} MB  {outcome[:60]}")


def main():
    args = parse_args()
    (solution,) = sorted((ROOT / "solutions").glob(f"{args.chapter}_*.ipynb"))
    throughput(solution, args.copies, args.jobs)
    throughput(solution, args.copies, args.jobs, sandbox=False)
    sandbox_start()
    cpu_split(solution)
    if not args.no_hostile:
        hostile(solution)


if __name__ == "__main__":
    main()
