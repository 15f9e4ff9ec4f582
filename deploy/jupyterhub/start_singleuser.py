"""Start a learner's JupyterLab: place the course in their home, then run jupyterhub-singleuser.

This is the spawner's command (``jupyterhub_config.py``), run by the course's Python as the
learner, in their home, with the arguments JupyterHub passes on.  The rule for the course's
notebooks is copy-if-absent (nbgitpuller's merge, without git): a notebook missing from the
home is copied there; one that is present -- edited or not -- is left alone.  So a learner's
work survives every restart, notebooks added to the course later arrive at the next start,
and a learner who wants a fresh copy deletes or renames theirs and restarts the server.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

FOLDERS = ("notebooks", "exercises")  # what a learner gets; solutions/ stays with the course


def place_course(course: Path, home: Path) -> list[Path]:
    """Copy every notebook of ``course``'s learner folders into ``home`` where it is absent.

    Parameters
    ----------
    course : Path
        The course checkout (holding ``notebooks/`` and ``exercises/``).
    home : Path
        The learner's home; ``home/notebooks/`` and ``home/exercises/`` are created if needed.

    Returns
    -------
    list of Path
        The notebooks copied, in order; notebooks already in ``home`` are never touched.
    """
    if not (course / "notebooks").is_dir():
        raise ValueError(f"{course} is not the course: it has no notebooks/ folder")
    copied = []
    for folder in FOLDERS:
        for source in sorted((course / folder).glob("*.ipynb")):
            target = home / folder / source.name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                copied.append(target)
    return copied


def main(argv: list[str]) -> None:
    course = Path(__file__).resolve().parents[2]
    for path in place_course(course, Path.home()):
        print(f"dlcourse: placed {path}", file=sys.stderr)
    singleuser = Path(sys.executable).parent / "jupyterhub-singleuser"
    os.execv(singleuser, [str(singleuser), *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
