"""How long does each lecture notebook take, top to bottom? The course's goal: under 60 s.

Executes every notebook (or the ones named) in a fresh kernel with nbclient, one after the
other, and prints the wall time of each, as a learner's "Restart Kernel and Run All" would
take it on this machine.  Nothing is written back.

    python bench/bench_notebooks.py                         # notebooks/*.ipynb
    python bench/bench_notebooks.py notebooks/05_*.ipynb solutions/05_*.ipynb
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 60


def run(path: Path) -> float:
    """Seconds to execute the notebook at ``path`` in a new kernel, from its folder."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path,
                        default=sorted((ROOT / "notebooks").glob("*.ipynb")))
    args = parser.parse_args()
    total = 0.0
    for path in args.paths:
        seconds = run(path)
        total += seconds
        flag = "" if seconds < GOAL_S else f"  over {GOAL_S} s"
        print(f"{path.name:34s} {seconds:6.1f} s{flag}", flush=True)
    print(f"{'all':34s} {total:6.1f} s")


if __name__ == "__main__":
    main()
