"""One JupyterLab server (started as README says, by `make lab`) and one Chromium per session.

Chromium is Debian's (``/usr/bin/chromium``, or ``$DLCOURSE_CHROMIUM``); Playwright never
downloads a browser here.  Without Chromium or Playwright the browser tests fail, saying
what to install; deselect them with ``-m 'not browser'``.
"""

from __future__ import annotations

import json
import os
import urllib.request
import warnings
from pathlib import Path

import pytest
from labpage import NotebookPage
from servers import start_lab

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("DLCOURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
OPT_OUT = "deselect the browser tests with -m 'not browser'"


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """``(base_url, token)`` of a JupyterLab serving the repository, started by `make lab`."""
    yield from start_lab(tmp_path_factory.mktemp("jupyterlab"))


@pytest.fixture(scope="session")
def instructor_lab(tmp_path_factory):
    """``(base_url, token)`` of the instructor's JupyterLab, started by `make instructor-lab`."""
    yield from start_lab(tmp_path_factory.mktemp("instructor-lab"), "instructor-lab")


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright, shared by the browser tests of one module.

    Not by the session: while Playwright's sync API is open, its event loop counts as running
    in this thread, and the tests that a worker runs after the browser tests (``asyncio.run``
    in a panel's tests) would find it there."""
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


class _Window:
    """A browser context and its page, opened when first needed and kept for the next test."""

    def __init__(self, browser):
        self.browser = browser
        self.context = self.page = None

    def current(self):
        if self.page is None:
            self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
            self.context.set_default_timeout(60_000)
            self.page = self.context.new_page()
        return self.page

    def discard(self) -> None:
        if self.context is not None:
            self.context.close()
        self.context = self.page = None


@pytest.fixture(scope="module")
def lab_window(chromium):
    """One browser window (context and page) that the module's ``in_lab`` tests share: each
    opens its notebook in the JupyterLab already loaded there (``NotebookPage.open``)."""
    window = _Window(chromium)
    yield window
    window.discard()


def _leave_nothing_open(lab: NotebookPage, base: str, token: str) -> None:
    """Close the documents the page shows, then shut down every kernel of the server."""
    lab.close_documents()
    _shut_down_kernels(base, token)


@pytest.fixture
def in_lab(lab_window, jupyterlab, request):
    """``in_lab(body)`` calls ``body(NotebookPage)`` with no document open and no kernel
    running.  The page is the module's window (1280 x 900 like a laptop), with JupyterLab
    loaded once for all its tests; a page that shows a dialog is replaced by a fresh context.
    If ``body`` fails, it runs once more in a fresh context (no cookies, JupyterLab loaded
    anew) and says so with a warning in pytest's summary.  (A plain ``UserWarning``:
    pytest-xdist re-creates a worker's warning by importing its class, and a class defined
    in a conftest cannot be imported by the controller.)"""
    def run(body):
        for attempt in (1, 2):
            if NotebookPage(lab_window.current(), *jupyterlab).shows_a_dialog():
                lab_window.discard()
            lab = NotebookPage(lab_window.current(), *jupyterlab)
            _leave_nothing_open(lab, *jupyterlab)
            try:
                return body(lab)
            except Exception as exc:
                lab_window.discard()
                if attempt == 2:
                    raise
                first = (str(exc).strip().splitlines() or [""])[0][:300]
                warnings.warn(f"browser test {request.node.name} failed once, retrying: "
                              f"{type(exc).__name__}: {first}", UserWarning, stacklevel=1)
    yield run
    if lab_window.page is not None:
        _leave_nothing_open(NotebookPage(lab_window.page, *jupyterlab), *jupyterlab)
    else:
        _shut_down_kernels(*jupyterlab)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
