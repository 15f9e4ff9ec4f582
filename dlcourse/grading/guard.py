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

from dlcourse.grading import imports

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

def prepare_cell(source: str) -> str:
    """The plain Python of a notebook cell: IPython's ``%magic`` and ``!shell`` lines become
    comments (line numbers stay).  The grader reads, and the runner runs, exactly this text."""
    return _MAGIC_LINE.sub("#", source) if _MAGIC_LINE.search(source) else source


def syntax_problem(source: str) -> str | None:
    """Why the cell ``source`` cannot run as Python (one line), or None if it parses."""
    try:
        ast.parse(prepare_cell(source))
    except SyntaxError as exc:
        return f"does not parse ({exc.msg}, line {exc.lineno})"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"does not parse ({type(exc).__name__})"
    return None


def parse_cell(source: str) -> ast.Module | None:
    """The syntax tree of a notebook cell (after :func:`prepare_cell`), or None."""
    try:
        return ast.parse(prepare_cell(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _top_level_functions(tree: ast.Module):
    """(name, first line, node) of each top-level ``def`` and ``name = lambda`` of ``tree``;
    the first line is where the function's code object says it starts (its first
    decorator, if any)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, min([node.lineno, *(d.lineno for d in node.decorator_list)]), node
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value.lineno, node.value


def definitions(cells: Sequence[str]) -> dict[tuple[int, int], str]:
    """``(cell index, first line) -> name`` of every top-level function of the cells."""
    return {(index, line): name
            for index, tree in enumerate(map(parse_cell, cells)) if tree is not None
            for name, line, _node in _top_level_functions(tree)}


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
    return {name: node for tree in trees for name, _line, node in _top_level_functions(tree)}


def _outside(name: str, modules: frozenset[str], roots: frozenset[str]) -> bool:
    """True if the imported name ``name`` lies outside the allow-list (see :mod:`imports`)."""
    root = name.split(".")[0]
    if root == "dlcourse":
        return not any(matches(name, m) for m in modules if m != "dlcourse")
    return root not in roots


def scan_source(cells: Sequence[str], function: str, rules: Sequence[str],
                allowed: Sequence[str] | None = None, *,
                at: tuple[int, int] | None = None) -> list[str]:
    """Dotted names used by ``function`` (and the notebook helpers it calls) that ``rules``
    or :data:`ALWAYS_REFUSED` refuse -- and, given ``allowed`` (an exercise's allow-list),
    every imported name outside NumPy, the standard library and ``allowed``; sorted, the
    most specific name of each chain.  ``at`` = (cell, first line) picks which definition
    of ``function`` is read (the one the runner reports), else the last one."""
    parsed = [parse_cell(c) for c in cells]
    trees = [t for t in parsed if t is not None]
    aliases = {}
    for tree in trees:
        aliases.update(_import_aliases(tree))
    defs = _definitions(trees)
    if at is not None and at[0] < len(parsed) and parsed[at[0]] is not None:
        located = {line: node for name, line, node in _top_level_functions(parsed[at[0]])
                   if name == function}
        if at[1] in located:
            defs[function] = located[at[1]]
    rules = (*rules, *ALWAYS_REFUSED)
    if allowed is not None:
        modules = frozenset(imports.module_closure(allowed))
        roots = imports.importable_roots(allowed)
    todo, seen, refused = [function], set(), set()
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        imported = {v.split(".")[0] for v in {**aliases, **_import_aliases(defs[name])}.values()}
        for used in _names_used(defs[name], aliases):
            if any(matches(used, rule) for rule in rules) or (
                    allowed is not None and used.split(".")[0] in imported
                    and _outside(used, modules, roots)):
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
    """Context manager: calls named by ``rules`` are refused while it is active.

    Module rules match the module a called function belongs to (``torch`` refuses
    ``torch.softmax`` and ``Tensor.exp``); function rules match that very function.  The
    names refused are kept in ``refused``.  ``on_refusal(name)`` runs at the first refused
    call; by default it raises :class:`ForbiddenCall` -- the runner passes one that reports
    the refusal to the grader and ends the process at once, so that learner code which
    swallows the exception cannot carry on.  The profile function holds its rules as default
    arguments, which the runner's audit hook stops anyone from swapping.
    """

    def __init__(self, rules: Sequence[str], on_refusal=None):
        self.rules = tuple(r for r in (*rules, *ALWAYS_REFUSED) if r not in STATIC_ONLY)
        self.refused: list[str] = []
        self._profile = _profile_function(self.rules, self.refused, on_refusal)

    def __enter__(self) -> RuntimeGuard:
        _THREAD_SETPROFILE(self._profile)  # first: a Python function the guard would refuse
        _SETPROFILE(self._profile)
        return self

    def __exit__(self, *exc) -> None:
        _SETPROFILE(None)
        _THREAD_SETPROFILE(None)


# bound once, so that learner code replacing sys.setprofile in a cell changes nothing here
_SETPROFILE, _THREAD_SETPROFILE = sys.setprofile, threading.setprofile


def _raise(name: str):
    raise ForbiddenCall(name)


def _profile_function(rules: tuple[str, ...], refused: list[str], on_refusal):
    """The ``sys.setprofile`` function of a :class:`RuntimeGuard` (see there)."""
    objects: dict[str, object] = {}
    seen_modules = [-1]

    def refresh(modules=sys.modules):
        """Look up function rules again when new modules were imported."""
        if len(modules) == seen_modules[0]:
            return
        seen_modules[0] = len(modules)
        for rule in rules:
            if rule not in modules and rule not in objects:
                obj = _resolve(rule)
                if callable(obj):
                    try:
                        obj = inspect.unwrap(obj)
                    except ValueError:
                        pass
                    objects[rule] = getattr(obj, "__code__", obj)

    def profile(frame, event, arg, _rules=rules, _objects=objects, _refused=refused,
                _refuse=on_refusal or _raise, _refresh=refresh, _allowed=ALLOWED_MODULES,
                _matches=matches):
        if event not in ("call", "c_call"):
            return
        module = frame.f_globals.get("__name__") or ""
        if any(_matches(module, a) for a in _allowed):
            return
        _refresh()
        if event == "call":
            code = frame.f_code
            for rule in _rules:
                if _matches(module, rule) or _objects.get(rule) is code:
                    qualname = getattr(code, "co_qualname", code.co_name)
                    name = module if qualname == "<module>" else f"{module}.{qualname}"
                    _refused.append(name)
                    _refuse(name)
        else:
            module = getattr(arg, "__module__", None)
            if not isinstance(module, str):
                module = type(getattr(arg, "__self__", None)).__module__
            for rule in _rules:
                if _matches(module, rule) or _objects.get(rule) is arg:
                    name = f"{module}.{getattr(arg, '__name__', '?')}"
                    _refused.append(name)
                    _refuse(name)

    return profile


# The runner's audit hook keeps the defaults (the rules) of functions with this code.
PROFILE_CODE = _profile_function((), [], None).__code__
