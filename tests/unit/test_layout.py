"""The package's layout is a contract: one chapter, one place; the engine below everything.

Imports are read from the source (every ``import`` and ``from ... import``, also inside
functions), so a rule broken anywhere -- even in code no test runs -- fails here.
"""

import ast
from pathlib import Path

import pytest

import dlcourse

PACKAGE = Path(dlcourse.__file__).parent
REPO = PACKAGE.parent
ENGINE = ("nn", "autograd", "optim", "data", "zoo", "detection", "sizing", "metrics", "train",
          "gradcheck", "backend", "_validate")
PLOTTING = ("matplotlib", "ipywidgets", "IPython")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, as absolute dotted names (``from a import b`` gives
    ``a`` and ``a.b``: ``b`` may be a submodule)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def top_level(name: str) -> str:
    return name.split(".")[1] if name.startswith("dlcourse.") else ""


def chapter_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "chapters" else None


@pytest.mark.parametrize("module", [m for m in MODULES if chapter_of(m)])
def test_a_chapter_never_imports_another_chapter(module):
    others = {name for name in imports_of(MODULES[module])
              if chapter_of(name) and chapter_of(name) != chapter_of(module)}
    assert not others, f"{module} imports another chapter: {sorted(others)}; move what they " \
                       "share down into the engine"


@pytest.mark.parametrize("module", [m for m in MODULES if top_level(m) in ENGINE])
def test_the_engine_never_imports_plotting_widgets_chapters_or_the_grader(module):
    bad = {name for name in imports_of(MODULES[module])
           if name.split(".")[0] in PLOTTING
           or top_level(name) in ("chapters", "ui", "grading", "cli", "doctor", "nbtools")}
    assert not bad, f"{module} (engine) imports {sorted(bad)}"


@pytest.mark.parametrize("module", [m for m in MODULES if top_level(m) == "ui"])
def test_ui_never_imports_a_chapter(module):
    bad = {name for name in imports_of(MODULES[module]) if chapter_of(name)}
    assert not bad, f"{module} imports {sorted(bad)}"


def test_every_lecture_notebook_has_its_chapter_package_and_every_package_its_notebook():
    notebooks = {p.stem.split("_", 1)[1] for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    packages = {p.parent.name for p in (PACKAGE / "chapters").glob("*/__init__.py")}
    assert packages <= notebooks, f"chapter packages without a notebook: {packages - notebooks}"
    missing = notebooks - packages
    assert missing <= {"welcome"}, f"notebooks without a chapter package: {missing}"


def test_the_top_level_stays_small():
    names = sorted(p.stem for p in PACKAGE.iterdir() if p.name != "__init__.py"
                   and (p.suffix == ".py" or (p / "__init__.py").exists()))
    assert len(names) <= 20, names
