"""The add-on's modules import one another without a cycle (read with ``ast``, no Blender needed).

Imports inside functions count as well as those at module level: a cycle made
of lazy imports works only as long as nobody moves one of them up.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "blender_addon"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, package: str) -> dict:
    """``{module: {modules of the package it imports}}`` for every module of ``package`` under ``root``.

    Every ``import`` and ``from ... import`` statement counts, wherever it
    stands (module level, functions, ``if TYPE_CHECKING``); ``from . import x``
    names the submodule ``x`` when there is one, else the package.
    """
    files = sorted((root / package).rglob("*.py"))
    modules = {module_name(f, root): f for f in files}
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:  # import a.b.c: the deepest module of the package
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict) -> list | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict = {}
    stack: list = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_addon_has_no_import_cycle():
    graph = import_graph(ROOT, PACKAGE)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_graph_sees_module_level_lazy_and_parent_relative_imports():
    graph = import_graph(ROOT, PACKAGE)
    assert "blender_addon.scene_data" in graph["blender_addon.driver"]          # from .scene_data import ...
    assert "blender_addon.driver" in graph["blender_addon.properties"]          # inside an update callback
    assert "blender_addon.naming" in graph["blender_addon.upbge.component"]     # from .. import naming
    assert "blender_addon.scene_data" in graph["blender_addon.upbge.component"]  # lazily, from ..scene_data
    assert not graph["blender_addon.scene_data"] - {"blender_addon.spec_convert"}


def test_the_panel_data_module_needs_neither_the_handler_nor_the_property_classes():
    graph = import_graph(ROOT, PACKAGE)
    reach, todo = set(), ["blender_addon.scene_data"]
    while todo:
        for nxt in graph[todo.pop()] - reach:
            reach.add(nxt)
            todo.append(nxt)
    assert not reach & {"blender_addon.driver", "blender_addon.properties", "blender_addon.operators"}


@pytest.mark.parametrize("lazy", [False, True])
def test_a_cycle_is_found_at_module_level_and_inside_functions(tmp_path, lazy):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import f\n")
    (pkg / "b.py").write_text("from .sub import c\n")
    body = "def g():\n    from .. import a\n" if lazy else "import pkg.a\n"
    (pkg / "sub" / "c.py").write_text(body)
    cycle = find_cycle(import_graph(tmp_path, "pkg"))
    assert cycle is not None and set(cycle) == {"pkg.a", "pkg.b", "pkg.sub.c"}
    (pkg / "sub" / "c.py").write_text("import numpy\n")
    assert find_cycle(import_graph(tmp_path, "pkg")) is None
