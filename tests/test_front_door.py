"""README command 1 (`make lab`) really serves the course on localhost."""

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

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url, token, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Authorization": f"token {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read() or b"null")


@pytest.fixture
def lab():
    port, token = _free_port(), secrets.token_hex(16)
    flags = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
             "--ServerApp.port_retries=0")
    proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_FLAGS={flags}"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("`make lab` exited early:\n" + proc.stdout.read().decode()[-3000:])
        try:
            _request(f"{base}/api/status", token)
            break
        except OSError:
            time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        pytest.fail("JupyterLab did not answer within 120 s")
    yield base, token
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


@pytest.mark.slow
def test_make_lab_serves_the_welcome_notebook_and_starts_its_kernel(lab):
    base, token = lab
    status, nb = _request(f"{base}/api/contents/notebooks/00_welcome.ipynb", token)
    assert status == 200 and nb["type"] == "notebook"
    assert nb["content"]["metadata"]["kernelspec"]["name"] == "python3"
    status, session = _request(f"{base}/api/sessions", token, "POST", {
        "path": "notebooks/00_welcome.ipynb", "type": "notebook", "kernel": {"name": "python3"}})
    assert status == 201 and session["kernel"]["name"] == "python3"
    req = urllib.request.Request(f"{base}/lab/tree/notebooks/00_welcome.ipynb",
                                 headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200 and b"JupyterLab" in resp.read()
    _request(f"{base}/api/sessions/{session['id']}", token, "DELETE")
