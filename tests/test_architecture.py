"""The shape the code keeps (issue 18): no import cycle, the core importing nothing
outside itself, small modules and functions, one vocabulary."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "firmware_py"
MAX_MODULE_LINES = 400
MAX_CORE_FUNCTION_LINES = 60


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports (TYPE_CHECKING ones too: a cycle in types is a cycle)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            out |= {c for c in (base, *(f"{base}.{a.name}" for a in node.names)) if c in known and c != name}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known and a.name != name}
    return out


def test_no_import_cycle():
    known = modules()
    graph = {name: imports(name, path, known) for name, path in known.items()}
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_core_imports_nothing_outside_itself():
    known = modules()
    outside = {name: sorted(i for i in imports(name, path, known) if not i.startswith("firmware_py.core"))
               for name, path in known.items() if name.startswith("firmware_py.core")}
    assert {k: v for k, v in outside.items() if v} == {}


def test_no_module_over_400_lines_and_no_core_function_over_60():
    long_modules = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
                    if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    long_functions = {}
    for path in (PACKAGE / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_CORE_FUNCTION_LINES:
                    long_functions[f"{path.name}:{node.name}"] = length
    assert (long_modules, long_functions) == ({}, {})


def test_the_feedback_modes_are_spelled_once():
    from firmware_py.core.settings import FeedbackMode
    from firmware_py.core.vocabulary import MODES

    assert tuple(m.value for m in FeedbackMode) == MODES


def test_the_core_builds_no_sentences():
    """The core gives data; ``firmware_py.wording`` words it.  An f-string in the core
    is allowed only in an error it raises and in a setting's own unit display."""
    allowed = {("settings.py", "allowed"), ("settings.py", "show")}
    found = []
    for path in (PACKAGE / "core").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or (path.name, func.name) in allowed:
                continue
            raised = {id(n) for r in ast.walk(func) if isinstance(r, ast.Raise) for n in ast.walk(r)}
            found += [f"{path.name}:{n.lineno}" for n in ast.walk(func)
                      if isinstance(n, ast.JoinedStr) and id(n) not in raised]
    assert sorted(set(found)) == []
