"""The layers run one way: skills (the pure core) <- connectors <- server. No import cycles, no big files.

Walks every module's imports with `ast` (module level and inside functions alike), so a lazy import
inside a function cannot hide a back-edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("skills", "connectors", "server", "prompts")
LAYER = {"skills": 0, "prompts": 0, "connectors": 1, "server": 2}
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports (a `from pkg import name` of a submodule counts as that submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def test_no_back_edge_between_the_layers() -> None:
    back = sorted(
        (source, target)
        for source, targets in graph().items()
        for target in targets
        if LAYER[target.split(".")[0]] > LAYER[source.split(".")[0]]
    )
    assert back == [], "a lower layer imports a higher one (skills < connectors < server)"


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path (first module repeated at the end), or [] when the graph has none.

    A package's `__init__` importing its own submodules is the usual re-export, not a cycle.
    """
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        colour[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target.startswith(node + "."):
                continue
            if colour.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in colour and (cycle := visit(target)):
                return cycle
        stack.pop()
        colour[node] = 2
        return []

    for node in sorted(edges):
        if node not in colour and (cycle := visit(node)):
            return cycle
    return []


def test_no_import_cycles() -> None:
    assert find_cycle(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"pkg": {"pkg.sub"}, "pkg.sub": {"pkg"}}) == []
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_no_source_file_over_600_lines() -> None:
    big = {
        str(path.relative_to(ROOT)): n
        for path in project_modules().values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert big == {}
