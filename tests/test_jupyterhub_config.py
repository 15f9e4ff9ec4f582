"""deploy/jupyterhub/: the course placed in a learner's home (copy-if-absent) and the config."""

import importlib.util
from pathlib import Path

import pytest
from traitlets.config import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]
HUB_DIR = ROOT / "deploy" / "jupyterhub"


def _start_singleuser():
    spec = importlib.util.spec_from_file_location("start_singleuser",
                                                  HUB_DIR / "start_singleuser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


place_course = _start_singleuser().place_course


def test_first_start_places_every_chapter_and_exercise_but_no_solution(tmp_path):
    copied = place_course(ROOT, tmp_path)
    expected = sorted(p.relative_to(ROOT) for folder in ("notebooks", "exercises")
                      for p in (ROOT / folder).glob("*.ipynb"))
    assert sorted(p.relative_to(tmp_path) for p in copied) == expected
    assert not (tmp_path / "solutions").exists()
    chapter = Path("notebooks", "05_convolutions.ipynb")
    assert (tmp_path / chapter).read_bytes() == (ROOT / chapter).read_bytes()


def test_a_later_start_keeps_the_learners_edits_and_restores_what_they_deleted(tmp_path):
    place_course(ROOT, tmp_path)
    edited = tmp_path / "exercises" / "02_perceptron_mlp.ipynb"
    edited.write_text("my answers")
    deleted = tmp_path / "notebooks" / "00_welcome.ipynb"
    deleted.unlink()
    assert place_course(ROOT, tmp_path) == [deleted]
    assert edited.read_text() == "my answers"


def test_a_folder_without_notebooks_is_not_a_course(tmp_path):
    with pytest.raises(ValueError, match="no notebooks/ folder"):
        place_course(tmp_path / "elsewhere", tmp_path)


def test_the_config_finds_the_courses_proxy_venv_and_start_script_from_its_own_folder():
    loader = PyFileConfigLoader("jupyterhub_config.py", path=str(HUB_DIR))
    config = loader.load_config()
    assert config.ConfigurableHTTPProxy.command == [
        str(HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy")]
    assert config.Spawner.cmd == [str(ROOT / ".venv" / "bin" / "python"),
                                  str(HUB_DIR / "start_singleuser.py")]
    assert all(Path(path).is_file() for path in config.Spawner.cmd)
    assert config.JupyterHub.spawner_class == "localprocess"
