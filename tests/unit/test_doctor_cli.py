"""`dlcourse doctor` and the command line."""

import subprocess
import sys

import pytest

from dlcourse import cli, doctor


def test_doctor_reports_every_item_the_issue_names():
    names = {c.name for c in doctor.run_checks()}
    assert {"python", "numpy", "torch", "cupy", "backend", "GPU", "jupyterlab",
            "widget extension", "notebook kernel"} <= names


def test_doctor_passes_on_the_course_venv(capsys):
    assert doctor.main() == 0
    assert "All set" in capsys.readouterr().out


def test_doctor_fails_with_advice_when_a_package_is_missing(monkeypatch, capsys):
    real = doctor._version
    monkeypatch.setattr(doctor, "_version", lambda d: None if d == "torch" else real(d))
    assert doctor.main() == 1
    out = capsys.readouterr().out
    assert "!! torch" in out and "make install" in out and "1 problem(s)" in out


def test_doctor_explains_an_unavailable_cupy_backend(monkeypatch, capsys):
    pytest.importorskip("numpy")
    monkeypatch.setenv("DLCOURSE_BACKEND", "cupy")
    monkeypatch.setattr(doctor.backend, "_active", None)
    try:
        import cupy  # noqa: F401
    except ImportError:
        assert doctor.main() == 1
        assert "!! backend" in capsys.readouterr().out
    else:
        pytest.skip("CuPy is installed: covered by the GPU run")


def test_python_dash_m_dlcourse_runs_doctor():
    done = subprocess.run([sys.executable, "-m", "dlcourse", "doctor"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "notebook kernel" in done.stdout


def test_unknown_command_is_a_usage_error():
    with pytest.raises(SystemExit) as info:
        cli.main(["frobnicate"])
    assert info.value.code == 2
