"""Servers for the browser tests: a free port, waiting for an answer, JupyterLab by `make`.

Shared by ``conftest.py`` (the learner's lab, the instructor's lab) and
``test_jupyterhub.py`` (the learners' servers under JupyterHub).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# JupyterLab settings for the test servers only: never save the course's notebooks (their
# checkpoints go to a temporary folder too), keep every cell in the page (so that all
# outputs can be read).  No news pop-up comes from the course's own settings (deploy/lab/).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def write_lab_settings(folder: Path) -> None:
    """Write :data:`LAB_SETTINGS` as JupyterLab user settings into ``folder``."""
    for name, values in LAB_SETTINGS.items():
        path = folder / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10):
            return True
    except OSError:
        return False


def start_lab(tmp: Path, target: str = "lab"):
    """Start JupyterLab with ``make <target>``; yield ``(base_url, token)``, then stop it."""
    write_lab_settings(tmp / "settings")
    port, token = free_port(), secrets.token_hex(16)
    flags = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
             f"--ServerApp.port_retries=0 --LabApp.expose_app_in_browser=True "
             f"--LabApp.user_settings_dir={tmp / 'settings'} "
             f"--LabApp.workspaces_dir={tmp / 'workspaces'} "
             f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}")
    log = tmp / "jupyterlab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", target, f"LAB_FLAGS={flags}"],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while not answers(f"{base}/api/status?token={token}"):
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            pytest.fail(f"JupyterLab (`make {target}`) did not start within 300 s:\n"
                        + log.read_text(errors="replace")[-3000:])
        time.sleep(0.5)  # polling a server that is starting; not a wait on the page
    yield base, token
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


