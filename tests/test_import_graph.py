"""The package's import graph has no cycle, counting the imports inside functions.

An import inside a function hides a cycle from Python (it runs late, so nothing fails) but not from
a reader, who can no longer tell which module depends on which. This test reads every module's
source with ``ast``, collects each ``import`` and ``from … import`` of an ``initlab`` module,
wherever it stands, and fails on any cycle, naming it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "initlab"


def module_names() -> dict[str, Path]:
    """``initlab.x.y`` -> its file, for every module of the package."""
    names = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from …`` import names, relative imports included."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``module`` imports anywhere in its source."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            # "from . import x" and "from .pkg import mod" name modules; otherwise the module itself
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in known else target
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:     # "import initlab.a.b" -> initlab.a.b
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    names = module_names()
    known = set(names)
    return {m: imports_of(m, p, known) for m, p in names.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None. Depth-first, three colours."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_detector_finds_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_imports_inside_functions(tmp_path, monkeypatch):
    pkg = tmp_path / PACKAGE
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("from . import leaf\n", encoding="utf-8")
    (pkg / "sub" / "leaf.py").write_text("def f():\n    from .. import top\n", encoding="utf-8")
    (pkg / "top.py").write_text("def g():\n    from .sub.leaf import f\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    edges = graph()
    assert edges["initlab.sub.leaf"] == {"initlab.top"}
    assert edges["initlab.top"] == {"initlab.sub.leaf"}
    assert find_cycle(edges) == ["initlab.sub.leaf", "initlab.top", "initlab.sub.leaf"]


def test_no_import_cycle_in_the_package():
    edges = graph()
    assert len(edges) > 10
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("learner_module", ["initlab.checks", "initlab.widgets", "initlab.training",
                                            "initlab.data", "initlab.propagation"])
def test_learner_modules_do_not_import_the_course_toolkit(learner_module):
    edges = graph()
    reach, todo = set(), [learner_module]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in reach:
                reach.add(nxt)
                todo.append(nxt)
    toolkit = {m for m in reach if m == "initlab.course" or m.startswith("initlab.course.")}
    assert not toolkit, f"{learner_module} reaches {sorted(toolkit)}"
