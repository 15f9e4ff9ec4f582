"""How much memory does one learner's kernel need? Peak RSS of a kernel running each chapter.

What a JupyterHub node must give each learner (see deploy/jupyterhub/README.md): a learner
runs one chapter at a time, so the heaviest chapter's kernel sets the per-learner memory.
Each notebook runs top to bottom in a fresh kernel (as `bench_notebooks.py` runs it) inside a
child process of this script; once the kernel has exited, that child reads its descendants'
peak resident set size from ``getrusage(RUSAGE_CHILDREN)`` -- the kernel's own high-water
mark, measured by the OS, not sampled.

    python bench/bench_kernel_memory.py                   # notebooks/*.ipynb
    python bench/bench_kernel_memory.py notebooks/08_*.ipynb
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

from bench_notebooks import ROOT, run


def kernel_peak(path: Path) -> dict:
    """Run ``path`` in a fresh kernel; its wall time (s) and the kernel's peak RSS (MiB)."""
    seconds = run(path)
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return {"seconds": seconds, "peak_mib": peak / 2**20}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path,
                        default=sorted((ROOT / "notebooks").glob("*.ipynb")))
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # the child: one notebook, one kernel, the answer as JSON
        print(json.dumps(kernel_peak(args.paths[0])))
        return
    peaks = {}
    for path in args.paths:
        done = subprocess.run([sys.executable, __file__, "--one", str(path)],
                              capture_output=True, text=True, check=True)
        peaks[path.name] = json.loads(done.stdout.splitlines()[-1])
        print(f"{path.name:34s} {peaks[path.name]['peak_mib']:7.0f} MiB "
              f"{peaks[path.name]['seconds']:6.1f} s", flush=True)
    heaviest = max(peaks, key=lambda name: peaks[name]["peak_mib"])
    print(f"heaviest: {heaviest}, {peaks[heaviest]['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
