"""``dlcourse doctor``: is this machine ready for the course, and if not, what to do.

The same report appears at the top of the welcome notebook.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from dlcourse import backend

# Distributions a chapter cannot run without.
REQUIRED = ("numpy", "torch", "matplotlib", "ipywidgets", "scikit-learn", "jupyterlab", "tqdm",
            "nbclient")
INSTALL_ADVICE = ("run `make install` (or `pip install -c constraints.txt -e .`) "
                  "in the course folder")
WIDGET_EXTENSION = Path("share", "jupyter", "labextensions", "@jupyter-widgets",
                        "jupyterlab-manager")


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, what was found, and advice if it failed."""

    name: str
    found: str
    ok: bool = True
    advice: str = ""


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _package_checks() -> list[Check]:
    checks = []
    for dist in REQUIRED:
        version = _version(dist)
        if version is None:
            checks.append(Check(dist, "missing", False,
                                f"{dist} is not installed: {INSTALL_ADVICE}"))
        else:
            checks.append(Check(dist, version))
    return checks


def _widget_extension_check() -> Check:
    prefixes = {Path(sys.prefix), Path(sys.base_prefix)}
    if any((p / WIDGET_EXTENSION).is_dir() for p in prefixes):
        return Check("widget extension", "installed")
    return Check("widget extension", "missing", False,
                 f"sliders will not render in JupyterLab: {INSTALL_ADVICE} "
                 "(it installs jupyterlab_widgets)")


def _kernel_check() -> Check:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec("python3")
    except Exception as exc:  # no jupyter_client, or no python3 kernel
        return Check("notebook kernel", "missing", False,
                     f"no 'python3' Jupyter kernel ({exc}): {INSTALL_ADVICE}")
    python = spec.argv[0]
    if python in ("python", "python3", "{python}"):
        python = sys.executable
    return Check("notebook kernel", f"python3 ({spec.display_name}, runs {python})")


def _backend_checks() -> list[Check]:
    gpu_ok, gpu_msg = backend.gpu_status()
    checks = [Check("cupy", _version("cupy-cuda12x") or _version("cupy-cuda11x")
                    or _version("cupy") or "not installed (optional: only for a GPU)")]
    requested = os.environ.get(backend.ENV_VAR, "numpy")
    try:
        active = backend.current()
        checks.append(Check("backend", f"{active} (set with {backend.ENV_VAR}=numpy|cupy)"))
    except (backend.BackendUnavailable, ValueError) as exc:
        checks.append(Check("backend", f"{requested} requested", False, str(exc)))
    checks.append(Check("GPU", "usable" if gpu_ok else "none", True, gpu_msg))
    return checks


def run_checks() -> list[Check]:
    """Every check of the report, in display order."""
    python_ok = sys.version_info >= (3, 10)
    checks = [Check("python", platform.python_version(), python_ok,
                    "" if python_ok else "the course needs Python 3.10 or newer")]
    checks += _package_checks()
    checks += _backend_checks()
    checks += [_widget_extension_check(), _kernel_check()]
    return checks


def format_report(checks: list[Check]) -> str:
    """Aligned text report; failed checks are marked and followed by their advice."""
    width = max(len(c.name) for c in checks)
    lines = []
    for c in checks:
        mark = "ok " if c.ok else "!! "
        lines.append(f"{mark}{c.name:<{width}}  {c.found}")
        if c.advice and (not c.ok or c.name == "GPU"):
            lines.append(f"{'':>{width + 5}}{c.advice}")
    failed = [c for c in checks if not c.ok]
    lines.append("")
    lines.append("All set: every chapter can run here." if not failed else
                 f"{len(failed)} problem(s) above: fix them, then run `dlcourse doctor` again.")
    return "\n".join(lines)


def main() -> int:
    """Print the report; exit status 1 when something a chapter needs is missing."""
    checks = run_checks()
    print(format_report(checks))
    return 0 if all(c.ok for c in checks) else 1
