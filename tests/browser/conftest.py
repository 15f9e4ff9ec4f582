"""One JupyterLab server (started as README says, by `make lab`) and one Chromium per session.

Chromium is Debian's (``/usr/bin/chromium``, or ``$DLCOURSE_CHROMIUM``); Playwright never
downloads a browser here.  Without Chromium or Playwright the browser tests fail, saying
what to install; deselect them with ``-m 'not browser'``.
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
import warnings
from pathlib import Path

import pytest
from labpage import NotebookPage

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("DLCOURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
OPT_OUT = "deselect the browser tests with -m 'not browser'"

# JupyterLab settings for the test server only: never save the course's notebooks (their
# checkpoints go to a temporary folder too), keep every cell in the page (so that all
# outputs can be read), no news pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """``(base_url, token)`` of a JupyterLab serving the repository, started by `make lab`."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    for name, values in LAB_SETTINGS.items():
        path = tmp / "settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    flags = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
             f"--ServerApp.port_retries=0 --LabApp.expose_app_in_browser=True "
             f"--LabApp.user_settings_dir={tmp / 'settings'} "
             f"--LabApp.workspaces_dir={tmp / 'workspaces'} "
             f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}")
    log = tmp / "jupyterlab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_FLAGS={flags}"],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while not _answers(f"{base}/api/status?token={token}"):
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            pytest.fail("JupyterLab (`make lab`) did not start within 300 s:\n"
                        + log.read_text(errors="replace")[-3000:])
        time.sleep(0.5)  # polling a server that is starting; not a wait on the page
    yield base, token
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright, shared by every browser test of the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright's Python package: "
                    f"`.venv/bin/pip install -c constraints.txt -e '.[dev]'`, or {OPT_OUT}",
                    pytrace=False)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: `apt-get install chromium` "
                    f"(or set DLCOURSE_CHROMIUM to a Chromium binary), or {OPT_OUT}",
                    pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _request(base: str, token: str, path: str, method: str = "GET"):
    req = urllib.request.Request(f"{base}{path}", method=method,
                                 headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def _shut_down_kernels(base: str, token: str) -> None:
    for session in _request(base, token, "/api/sessions"):
        _request(base, token, f"/api/sessions/{session['id']}", "DELETE")


@pytest.fixture
def in_lab(chromium, jupyterlab, request):
    """``in_lab(body)`` calls ``body(NotebookPage)`` in a fresh browser context (no cookies,
    1280 x 900 like a laptop) with no kernel left running; if it fails, it runs once more in
    a new context and says so with a warning in pytest's summary.  (A plain ``UserWarning``:
    pytest-xdist re-creates a worker's warning by importing its class, and a class defined
    in a conftest cannot be imported by the controller.)"""
    def run(body):
        for attempt in (1, 2):
            _shut_down_kernels(*jupyterlab)
            context = chromium.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(60_000)
            try:
                return body(NotebookPage(context.new_page(), *jupyterlab))
            except Exception as exc:
                if attempt == 2:
                    raise
                first = (str(exc).strip().splitlines() or [""])[0][:300]
                warnings.warn(f"browser test {request.node.name} failed once, retrying: "
                              f"{type(exc).__name__}: {first}", UserWarning, stacklevel=1)
            finally:
                context.close()
    yield run
    _shut_down_kernels(*jupyterlab)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
