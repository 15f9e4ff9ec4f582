"""How many submissions per minute does ``dlcourse grade --jobs N`` get through?

Copies one chapter's solution notebook ``--copies`` times into a scratch folder, as if each
were a different student's submission, and times the command an instructor types::

    dlcourse grade SCRATCH --jobs 2 --gradebook SCRATCH/gradebook.sqlite --json

Every copy must come back graded with full marks (the solution is the reference), so the
benchmark also proves that grading under load stays correct.

    python bench/bench_grading.py                    # chapter 02, 40 copies, 2 jobs
    python bench/bench_grading.py --chapter 04 --copies 20 --jobs 1
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="02", help="two-digit chapter number")
    parser.add_argument("--copies", type=int, default=40, help="submissions to grade")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded in parallel")
    return parser.parse_args()


def main():
    args = parse_args()
    (solution,) = sorted((ROOT / "solutions").glob(f"{args.chapter}_*.ipynb"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "submissions"
        folder.mkdir()
        for i in range(args.copies):
            shutil.copy(solution, folder / f"{solution.stem}-student{i:03d}.ipynb")
        command = [str(Path(sys.executable).parent / "dlcourse"), "grade", str(folder),
                   "--jobs", str(args.jobs), "--json",
                   "--gradebook", str(Path(scratch) / "gradebook.sqlite")]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - start
    results = json.loads(done.stdout)
    full = sum(r["status"] == "graded" and r["score"] == r["max_score"] for r in results)
    print(f"{solution.name}: {args.copies} submissions, --jobs {args.jobs}, "
          f"isolation {results[0]['isolation']}")
    print(f"{seconds:.1f} s in all, {60 * args.copies / seconds:.0f} submissions per minute; "
          f"{full}/{args.copies} graded with full marks")
    if full != args.copies:
        sys.exit("some reference solutions did not get full marks")


if __name__ == "__main__":
    main()
