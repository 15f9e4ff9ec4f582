"""The install files agree with each other and with what the front door promises."""

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch": "torch"}  # conda-forge names that differ from PyPI's


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[#]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _conda_names() -> set[str]:
    names = set()
    for line in (ROOT / "environment.yml").read_text().splitlines():
        item = re.match(r"^(\s*)- (.+)$", line)
        if not item or line.strip().startswith("#"):
            continue
        text = item.group(2).split("#")[0].strip()
        if text in ("pip", "pip:") or text.startswith("python="):
            continue
        names.add(CONDA_TO_PIP.get(_name(text), _name(text)))
    return names - {"conda-forge"}


def test_environment_yml_names_the_same_packages_as_pyproject():
    project = _pyproject()["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
    pip_names = {_name(r) for r in requirements}
    assert _conda_names() == pip_names


def test_constraints_pin_every_dependency_and_the_cpu_torch():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    project = _pyproject()["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    assert wanted <= set(pins), f"unpinned: {sorted(wanted - set(pins))}"
    assert pins["torch"] == "2.13.0"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", readme, flags=re.S)
    commands = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert commands[:2] == ["make lab", "make test"], "README's first commands changed"
    assert "\nmake test\n" in (ROOT / ".ci" / "run").read_text()


def test_cli_entry_point_is_declared():
    assert _pyproject()["project"]["scripts"]["dlcourse"] == "dlcourse.cli:main"
