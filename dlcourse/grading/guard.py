"""Refuse calls that would do an exercise's work for the learner.

An exercise lists *rules*: dotted names such as ``"torch"``, ``"scipy.special.softmax"``
or ``"dlcourse.nn"``.  A rule forbids that module (and everything inside it) or that one
function.  Two independent checks apply them:

* :func:`scan_source` reads the notebook's code without running it (the grader does this in
  its own, trusted process): every name the graded function -- and each notebook helper it
  calls -- uses is resolved through the notebook's ``import`` lines and matched against the
  rules.  Some names are refused in every graded function (:data:`ALWAYS_REFUSED`): the
  grader's own references, and the tools that hide a call from a reader (``eval``, ``exec``,
  ``__import__``, ``importlib``, ``ctypes``, profiling hooks).
* :class:`RuntimeGuard` watches every call while the graded function runs (a profile hook,
  ``sys.setprofile``) and raises :class:`ForbiddenCall` at the first one a rule names, which
  catches what a static reading cannot see (``getattr(torch, "soft" + "max")``).

Examples
--------
>>> scan_source(["import torch", "def f(x):\\n    return torch.exp(x)"], "f", ("torch",))
['torch.exp']
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import threading
from collections.abc import Iterable, Sequence

ALWAYS_REFUSED = ("dlcourse.grading", "importlib", "ctypes", "eval", "exec", "compile",
                  "__import__", "sys.setprofile", "sys.settrace", "threading.setprofile",
                  "threading.settrace")
# Only the static scan applies these: the import machinery and libraries use them internally.
STATIC_ONLY = ("importlib", "ctypes", "eval", "exec", "compile", "__import__")
# Code of these modules may run inside a graded call: the guard itself and the test
# functions handed to the learner (numerical-gradient exercise).
ALLOWED_MODULES = ("dlcourse.grading.guard", "dlcourse.grading.wire")
_MAGIC_LINE = re.compile(r"^\s*[%!]", re.MULTILINE)


class ForbiddenCall(Exception):
    """Raised inside a graded call when it uses something its exercise refuses."""


def matches(dotted: str, rule: str) -> bool:
    """True if ``dotted`` is ``rule`` or lies inside it: ``torch.nn.relu`` in ``torch``."""
    return dotted == rule or dotted.startswith(rule + ".")


# --- static scan (trusted side, never runs the code) -----------------------------------------

def parse_cell(source: str) -> ast.Module | None:
    """The syntax tree of a notebook cell, or None (IPython magics are read as comments)."""
    if _MAGIC_LINE.search(source):
        source = _MAGIC_LINE.sub("#", source)
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _import_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> dotted name for every import in ``tree``."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    root = a.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def _dotted(node: ast.AST) -> list[str] | None:
    """``["torch", "nn", "relu"]`` for the expression ``torch.nn.relu``; None otherwise."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def _names_used(func: ast.AST, aliases: dict[str, str]) -> set[str]:
    """Every dotted name ``func`` refers to or imports, resolved through ``aliases``."""
    aliases = {**aliases, **_import_aliases(func)}
    used = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Import):
            used.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            used.update(f"{node.module}.{a.name}" for a in node.names)
            used.add(node.module)
        elif isinstance(node, (ast.Attribute, ast.Name)):
            parts = _dotted(node)
            if parts:
                used.add(".".join([aliases.get(parts[0], parts[0]), *parts[1:]]))
    return used


def _definitions(trees: Iterable[ast.Module]) -> dict[str, ast.AST]:
    """Top-level functions (and ``name = lambda ...``) of the notebook; the last one wins."""
    defs = {}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[node.name] = node
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        defs[target.id] = node.value
    return defs


def scan_source(cells: Sequence[str], function: str, rules: Sequence[str]) -> list[str]:
    """Dotted names used by ``function`` (and the notebook helpers it calls) that ``rules``
    or :data:`ALWAYS_REFUSED` refuse; sorted, most specific first-come."""
    trees = [t for t in map(parse_cell, cells) if t is not None]
    aliases = {}
    for tree in trees:
        aliases.update(_import_aliases(tree))
    defs = _definitions(trees)
    rules = (*rules, *ALWAYS_REFUSED)
    todo, seen, refused = [function], set(), set()
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        for used in _names_used(defs[name], aliases):
            if any(matches(used, rule) for rule in rules):
                refused.add(used)
            elif used in defs:
                todo.append(used)
    # keep the most specific name of each chain: "torch.nn.relu", not also "torch"
    return sorted(n for n in refused if not any(m.startswith(n + ".") for m in refused))


def grader_internals(cells: Sequence[str]) -> list[str]:
    """Names of the grader's own code (``dlcourse.grading`` beyond ``check``) that any cell
    of the notebook uses: a notebook has no business touching them."""
    used = set()
    for tree in filter(None, map(parse_cell, cells)):
        used |= _names_used(tree, _import_aliases(tree))
    allowed = ("dlcourse.grading", "dlcourse.grading.check")
    found = {n for n in used if matches(n, "dlcourse.grading") and n not in allowed}
    return sorted(n for n in found if not any(m.startswith(n + ".") for m in found))


# --- runtime guard (inside the learner's process) --------------------------------------------

def _resolve(dotted: str):
    """The object ``dotted`` names, looked up only among modules already imported."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        value = module
        for attr in parts[cut:]:
            value = getattr(value, attr, None)
            if value is None:
                return None
        return value
    return None


class RuntimeGuard:
    """Context manager: calls named by ``rules`` raise :class:`ForbiddenCall` while active.

    Module rules match the module a called function belongs to (``torch`` refuses
    ``torch.softmax`` and ``Tensor.exp``); function rules match that very function.  The
    names refused are kept in ``refused`` even if the learner's code swallows the exception.
    """

    def __init__(self, rules: Sequence[str]):
        self.rules = tuple(r for r in (*rules, *ALWAYS_REFUSED) if r not in STATIC_ONLY)
        self.refused: list[str] = []
        self._objects: dict[str, object] = {}
        self._seen_modules = -1

    def _refresh(self) -> None:
        """Look up function rules again when new modules were imported."""
        if len(sys.modules) == self._seen_modules:
            return
        self._seen_modules = len(sys.modules)
        for rule in self.rules:
            if rule not in sys.modules and rule not in self._objects:
                obj = _resolve(rule)
                if callable(obj):
                    try:
                        obj = inspect.unwrap(obj)
                    except ValueError:
                        pass
                    self._objects[rule] = getattr(obj, "__code__", obj)

    def _refuse(self, name: str):
        self.refused.append(name)
        raise ForbiddenCall(name)

    def _hook(self, frame, event, arg):
        if event not in ("call", "c_call"):
            return
        module = frame.f_globals.get("__name__") or ""
        if any(matches(module, a) for a in ALLOWED_MODULES):
            return
        if event == "call":
            self._refresh()
            for rule in self.rules:
                if matches(module, rule) or self._objects.get(rule) is frame.f_code:
                    code = frame.f_code
                    qualname = getattr(code, "co_qualname", code.co_name)
                    self._refuse(module if qualname == "<module>" else f"{module}.{qualname}")
        elif event == "c_call":
            module = getattr(arg, "__module__", None)
            if not isinstance(module, str):
                module = type(getattr(arg, "__self__", None)).__module__
            name = f"{module}.{getattr(arg, '__name__', '?')}"
            self._refresh()
            for rule in self.rules:
                if matches(module, rule) or self._objects.get(rule) is arg:
                    self._refuse(name)

    def __enter__(self) -> RuntimeGuard:
        self._refresh()
        threading.setprofile(self._hook)
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc) -> None:
        sys.setprofile(None)
        threading.setprofile(None)
