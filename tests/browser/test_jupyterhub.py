"""The course for a class: deploy/jupyterhub/ serving two learners, driven in Chromium.

A real JupyterHub (its own configurable-http-proxy from `make hub-proxy`) starts from
``deploy/jupyterhub/jupyterhub_config.py`` on 127.0.0.1, loaded by a site config as an
instructor's would load it; only the login (``DummyAuthenticator``) and the spawner
(``SimpleLocalProcessSpawner``: homes under a temporary folder, no Unix users needed) are test
stand-ins.  Two learners log in through the login page, each runs a chapter and moves a slider
in their own server; the course lands in each home, a learner's saved edit survives a server
restart, and no process outlives the hub.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest
from labpage import NotebookPage
from servers import answers, free_port, write_lab_settings

from tests.subpytest import THREAD_POOLS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
HUB_DIR = ROOT / "deploy" / "jupyterhub"
PROXY = HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
CHAPTER = "notebooks/05_convolutions.ipynb"  # the quickest chapter with sliders
LEARNERS = ("ada", "alan")
EDIT = "# ada's note: the output size is (N + 2P - D(F - 1) - 1) // S + 1\n"
START_S = 180  # a hub, or a learner's server, that is not up by then has failed
STOP_S = 120   # the hub stops its servers (20 s each at most, at once) and itself by then


# the thread pools' sizes the suite gives the processes it starts, for the learners' servers
# and kernels too
POOL_SIZES = {name: os.environ[name] for name in THREAD_POOLS if name in os.environ}


class Hub:
    """A JupyterHub in ``tmp`` started from the course's config; the test's service token."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.url = f"http://127.0.0.1:{free_port()}"
        self.token = secrets.token_hex(16)
        config = tmp / "jupyterhub_config.py"
        config.write_text(f"""\
c = get_config()
load_subconfig({str(HUB_DIR / "jupyterhub_config.py")!r})
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(tmp / "home" / "{username}")!r}
# labpage reads JupyterLab's state; root (CI) runs servers only with --allow-root
c.Spawner.args = ["--LabApp.expose_app_in_browser=True"] + {self._root_flag()!r}
# a spawner passes on only the environment variables it is told to
c.Spawner.environment = {POOL_SIZES!r}
c.JupyterHub.bind_url = {self.url!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.pid_file = {str(tmp / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{tmp / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(tmp / "cookie_secret")!r}
c.JupyterHub.services = [{{"name": "test", "api_token": {self.token!r}}}]
c.JupyterHub.load_roles = [{{"name": "test", "services": ["test"],
                             "scopes": ["admin:servers", "access:servers", "list:users"]}}]
""")
        self.log = tmp / "jupyterhub.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([Path(sys.executable).parent / "jupyterhub", "-f", config],
                                         cwd=tmp, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self._wait_for(lambda: answers(f"{self.url}/hub/api/"), "the hub to answer")

    @staticmethod
    def _root_flag() -> list[str]:
        return ["--allow-root"] if os.getuid() == 0 else []

    def home(self, user: str) -> Path:
        return self.tmp / "home" / user

    def api(self, path: str, method: str = "GET"):
        """The hub's REST API (``/hub/api`` + ``path``) or a user's server's, as JSON."""
        url = self.url + (path if path.startswith("/user/") else f"/hub/api{path}")
        request = urllib.request.Request(url, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def server(self, user: str) -> dict | None:
        return self.api(f"/users/{user}")["servers"].get("")

    def restart(self, user: str) -> None:
        """Stop ``user``'s server and start it again, as the hub's control panel does."""
        self.api(f"/users/{user}/server", "DELETE")
        self._wait_for(lambda: self.server(user) is None, f"{user}'s server to stop")
        self.api(f"/users/{user}/server", "POST")
        self._wait_for(lambda: (self.server(user) or {}).get("ready"),
                       f"{user}'s server to start again")

    def stop(self) -> list[str]:
        """Stop the hub (SIGTERM, as systemd does); the processes it left behind.

        The hub stops every learner's server first (SIGINT, then SIGTERM and SIGKILL after
        JupyterHub's timeouts, 20 s in all); one that is killed itself leaves them running,
        and is reported as such."""
        if self.proc.poll() is not None:
            return []
        spawned = psutil.Process(self.proc.pid).children(recursive=True)
        self.proc.terminate()
        left = []
        try:
            self.proc.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            left.append(f"(the hub itself did not stop within {STOP_S} s of SIGTERM: killed)")
        for process in spawned:
            try:
                process.wait(timeout=10)
                continue
            except psutil.NoSuchProcess:
                continue
            except psutil.TimeoutExpired:
                pass
            try:
                if process.status() != psutil.STATUS_ZOMBIE:  # a zombie has exited
                    left.append(" ".join(process.cmdline()))
                    process.kill()
            except psutil.NoSuchProcess:
                pass
        return left

    def _wait_for(self, condition, what: str) -> None:
        deadline = time.monotonic() + START_S
        while not condition():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}:\n"
                            + self.log.read_text(errors="replace")[-3000:])
            time.sleep(0.5)  # polling servers that are starting; not a wait on a page


@pytest.fixture
def hub(tmp_path):
    if not os.access(PROXY, os.X_OK):
        pytest.fail(f"JupyterHub's proxy is not installed at {PROXY}: run `make hub-proxy` "
                    "(needs Node.js >= 20.19 and npm)", pytrace=False)
    for user in LEARNERS:  # keep every cell in the page, autosave off (conftest's settings)
        write_lab_settings(tmp_path / "home" / user / ".jupyter" / "lab" / "user-settings")
    hub = Hub(tmp_path)
    yield hub
    hub.stop()


def log_in(contexts: dict, hub: Hub) -> dict[str, NotebookPage]:
    """Log each learner in on the hub's login page, all at once; their labs once their
    servers have started (each on the welcome notebook)."""
    pages = {}
    for user, context in contexts.items():
        pages[user] = page = context.new_page()
        page.goto(f"{hub.url}/hub/login")
        page.fill("#username_input", user)
        page.fill("#password_input", "any password: the test authenticator takes all")
        page.click("#login_submit")
    for user, page in pages.items():
        page.wait_for_url(f"{hub.url}/user/{user}/lab/tree/notebooks/00_welcome.ipynb",
                          timeout=START_S * 1000)
    return {user: NotebookPage(page, f"{hub.url}/user/{user}", token="")
            for user, page in pages.items()}


def run_chapter_and_move_a_slider(lab: NotebookPage) -> None:
    lab.open(CHAPTER, fresh=True)   # the welcome notebook may still be starting its kernel
    lab.run_all()
    assert not lab.problems(), "the chapter shows errors:\n\n" + "\n\n".join(lab.problems())
    lab.wait_for_widgets()
    panel = lab.panels().first
    lab.wait_for_figure(panel)
    assert lab.change_one_control(panel).control.startswith("slider")


def test_two_learners_run_a_chapter_in_their_own_servers_and_keep_their_edits(hub, chromium):
    committed = (ROOT / CHAPTER).read_bytes()
    contexts = {user: chromium.new_context(viewport={"width": 1280, "height": 900})
                for user in LEARNERS}
    try:
        labs = log_in(contexts, hub)
        for user in LEARNERS:
            assert (hub.home(user) / CHAPTER).read_bytes() == committed, f"{user} got no course"
            run_chapter_and_move_a_slider(labs[user])

        ada = labs["ada"]
        code = ada.cell_index("c => c.type === 'code'")
        ada.type_into(code, EDIT)
        ada.page.keyboard.press("ControlOrMeta+s")
        ada.page.wait_for_function(
            "() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
        other = contexts["ada"].new_page().goto(f"{hub.url}/user/alan/lab")
        assert other.status == 403, f"ada opened alan's lab: HTTP {other.status} {other.url}"
    finally:
        for context in contexts.values():
            context.close()

    assert nbformat.read(hub.home("ada") / CHAPTER, as_version=4).cells[code].source == EDIT
    assert (hub.home("alan") / CHAPTER).read_bytes() == committed, "ada's edit reached alan"

    hub.restart("ada")
    served = hub.api(f"/user/ada/api/contents/{CHAPTER}")["content"]
    assert served["cells"][code]["source"] == EDIT, "the restart replaced ada's edited chapter"

    left = hub.stop()
    assert not left, ("processes outlived the hub:\n" + "\n".join(left) + "\n\nthe hub's log "
                      "ends:\n" + hub.log.read_text(errors="replace")[-3000:])
