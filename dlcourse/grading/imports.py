"""What a learner's process may import while it is graded, and the audit hook that holds it.

Every exercise may use NumPy and the standard library, plus the modules it names in
``Exercise.allowed`` (``("dlcourse.gradcheck",)`` where a notebook checks its gradients).
Everything else is refused -- every other course module
(``dlcourse.chapters.perceptron_mlp.perceptron`` solves ch02), the grader's references
(``dlcourse.grading.exercises``), a private bank, torch, scipy -- whatever the exercise's ban
list says.  An allow-list, so that a module added to
the course next year is refused before anyone thinks to ban it.

Two layers enforce it:

* :func:`package_files` lists the files of the ``dlcourse`` package that the learner's
  process needs; the sandbox shows it those and nothing else of the package or checkout.
* :func:`install` adds an audit hook (``sys.addaudithook``: a hook cannot be removed, and
  this one holds no state the learner's code could change) *before* the first cell runs.
  It refuses importing a module outside the allow-list however the name was made, reading or
  listing a file of the package, the checkout or an instructor's folder by any path (the file's
  identity is compared, so symlinks, hard links and ``/proc/self/fd`` do not help), building
  functions or code objects (re-homing a reference under another ``__name__``), swapping a
  function's code, ``ctypes`` and the garbage collector's object lists.  This layer also
  holds under ``--no-sandbox``, but there a subprocess of the learner's is not bound by it.

Examples
--------
>>> names = module_closure(["dlcourse.gradcheck"])
>>> "dlcourse.backend" in names and "dlcourse.grading.exercises" not in names
True
"""

from __future__ import annotations

import ast
import functools
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import dlcourse

PACKAGE_DIR = Path(dlcourse.__file__).resolve().parent
# The modules the learner's process itself runs on: the runner and what `check` imports.
RUNNER_MODULES = ("dlcourse", "dlcourse.grading", "dlcourse.grading.checks",
                  "dlcourse.grading.guard", "dlcourse.grading.imports", "dlcourse.grading.runner",
                  "dlcourse.grading.spec", "dlcourse.grading.text", "dlcourse.grading.wire")
ALWAYS_IMPORTABLE = ("numpy",)  # and the standard library
MAX_DENIED_ENTRIES = 50_000
REFUSED_EVENTS = ("function.__new__", "code.__new__", "gc.get_objects", "gc.get_referrers",
                  "gc.get_referents")
SETATTR_EVENTS = ("object.__setattr__", "object.__delattr__")


class ImportRefused(ImportError):
    """An import the graded exercises do not allow."""


class AccessRefused(PermissionError):
    """A file or an interpreter operation refused while a notebook is graded."""


def module_file(name: str) -> Path | None:
    """The source file of the course module ``name`` (a package's ``__init__.py``), or None."""
    parts = name.split(".")
    if parts[0] != "dlcourse":
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _top_level_imports(path: Path) -> set[str]:
    """Course modules ``path`` imports when it is imported (imports inside functions run
    only when called, and the grader's lazy ones must never be followed)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.If, ast.Try)):
            todo.extend([*node.body, *getattr(node, "orelse", []),
                         *[n for h in getattr(node, "handlers", []) for n in h.body]])
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names
                         if module_file(f"{node.module}.{a.name}") is not None)
    return {n for n in found if n.split(".")[0] == "dlcourse"}


def module_closure(allowed: Iterable[str]) -> list[str]:
    """The course modules the learner's process may import: the runner's own, the course
    modules in ``allowed``, their parent packages and what they import, transitively."""
    return list(_closure(tuple(sorted(set(allowed)))))


@functools.cache
def _closure(allowed: tuple[str, ...]) -> tuple[str, ...]:
    todo = [*RUNNER_MODULES, *(m for m in allowed if m.split(".")[0] == "dlcourse")]
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name)
        if path is None:
            raise ValueError(f"{name} is not a module of the dlcourse package")
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_top_level_imports(path))
    return tuple(sorted(seen))


def package_files(allowed: Iterable[str]) -> list[Path]:
    """Absolute paths of the package files the learner's process needs (see the module
    docstring); the sandbox mounts these and no other file of the package."""
    return sorted(module_file(name) for name in module_closure(allowed))


def importable_roots(allowed: Iterable[str]) -> frozenset[str]:
    """Top-level packages the learner may import: the standard library, NumPy and the
    non-course modules in ``allowed``."""
    extra = {m.split(".")[0] for m in allowed if m.split(".")[0] != "dlcourse"}
    return frozenset(sys.stdlib_module_names) | set(ALWAYS_IMPORTABLE) | extra


def _identities(roots: Iterable[str], keep: set[Path]) -> frozenset[tuple[int, int]]:
    """(device, inode) of every file and folder under ``roots`` except the files ``keep``
    (at most :data:`MAX_DENIED_ENTRIES`: beyond that, only the sandbox's mounts protect)."""
    found = set()
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in [*files, *dirs, ""]:
                path = Path(folder, name)
                if path in keep:
                    continue
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                found.add((stat.st_dev, stat.st_ino))
            if len(found) > MAX_DENIED_ENTRIES:
                return frozenset(found)
    return frozenset(found)


def install(allowed: Iterable[str], denied: Iterable[str | Path], protected=()) -> None:
    """Add the audit hook of the module docstring to this process, for good.

    Parameters
    ----------
    allowed : iterable of str
        The union of ``Exercise.allowed`` over the notebook's exercises.
    denied : iterable of paths
        Folders whose files must not be read (the package and its checkout, an instructor's
        bank): every file under them except :func:`package_files` ``(allowed)``.
    """
    allowed = list(allowed)
    names = frozenset(module_closure(allowed))
    keep = set(package_files(allowed))
    identities = _identities([os.fspath(d) for d in denied], keep)
    sys.addaudithook(_make_hook(names, importable_roots(allowed), identities, tuple(protected)))


def _make_hook(names: frozenset, roots: frozenset, identities: frozenset, protected: tuple):
    """The audit hook.  It looks up no global name and keeps no mutable state: everything it
    uses is bound as a default argument (and swapping a function's defaults is refused)."""
    def hook(event, args, _names=names, _roots=roots, _ids=identities, _type=type,
             _str=str, _bytes=bytes, _int=int, _stat=os.stat, _partition=str.partition,
             _startswith=str.startswith, _refused=REFUSED_EVENTS, _setattr=SETATTR_EVENTS,
             _protected=protected, _getattr=getattr, _ImportRefused=ImportRefused,
             _AccessRefused=AccessRefused):
        if event == "import":
            name = args[0]
            if _type(name) is not _str:
                raise _ImportRefused("an import by a name that is not a string")
            root = _partition(name, ".")[0]
            if (name in _names) if root == "dlcourse" else (root in _roots):
                return
            raise _ImportRefused(f"{name} cannot be imported while this notebook is graded: "
                                 "the exercises allow NumPy, the standard library and the "
                                 "modules they name")
        if event == "open" or event == "os.listdir" or event == "os.scandir":
            path = args[0]
            kind = _type(path)
            if kind is _int or path is None:
                return
            if kind is not _str and kind is not _bytes:  # a PathLike could change its mind
                raise _AccessRefused("while a notebook is graded, open files by a str path")
            try:
                stat = _stat(path)
            except (OSError, ValueError):
                return
            if (stat.st_dev, stat.st_ino) in _ids:
                raise _AccessRefused(f"{path!r} belongs to the course or the grader, not to "
                                     "this notebook")
            return
        if event in _setattr:  # raised for a function's __code__, __defaults__, ...
            attr = args[1]
            if attr == "__code__":
                raise _AccessRefused("swapping a function's code is not allowed while grading")
            if attr == "__defaults__" or attr == "__kwdefaults__":
                code = _getattr(args[0], "__code__", None)
                for guarded in _protected:
                    if code is guarded:
                        raise _AccessRefused("the grader's guard keeps its arguments")
            return
        if event in _refused or _startswith(event, "ctypes."):
            raise _AccessRefused(f"{event} is not allowed while a notebook is graded")

    return hook
