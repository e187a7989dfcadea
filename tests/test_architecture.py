"""The shape of the code (docs/architecture.md): every package imports only packages below it,
and no module imports itself in a circle — checked over every import statement in
smarketing/, also those inside functions and under TYPE_CHECKING."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "smarketing"

#: The dependency order, lowest first: a package may import itself and the ones before it.
#: The base modules (config, errors, formatting, safe_text, safe_csv, runtime) are the floor.
LAYERS = (
    ("config", "errors", "i18n", "formatting", "safe_text", "safe_csv", "runtime"),
    ("connectors",),
    ("store",),
    ("auth",),
    ("sla",),
    ("quality",),
    ("content",),
    ("meetings",),
    ("ops",),
    ("demo",),
    ("charts",),
    ("data_in",),
    ("notify",),
    ("jobs",),
    ("api", "cli", "__main__"),
    ("ui",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The smarketing modules ``path`` imports, by their full dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("smarketing")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("smarketing"):
                continue
            for alias in node.names:  # "from smarketing.sla import metrics" names a module
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return {name for name in found if name in MODULES}


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}
GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def top(name: str) -> str:
    """The package (or base module) a module belongs to: smarketing.sla.metrics -> sla."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "smarketing"


def test_every_package_has_a_place_in_the_order():
    packages = {top(name) for name in MODULES} - {"smarketing"}
    assert packages <= set(RANK), f"give these a layer: {sorted(packages - set(RANK))}"
    for package in packages:
        init = ROOT / package / "__init__.py"
        if init.exists():  # a package says what it holds and what it may import
            doc = ast.get_docstring(ast.parse(init.read_text())) or ""
            assert "May import" in doc, f"smarketing/{package}/__init__.py: say what it may import"


def test_packages_import_only_packages_below_them():
    upward = sorted(
        f"{importer} imports {imported}"
        for importer, targets in GRAPH.items()
        for imported in targets
        if top(importer) != "smarketing"
        and top(imported) != "smarketing"
        and RANK[top(imported)] > RANK[top(importer)]
    )
    assert not upward, "imports against the order of docs/architecture.md:\n" + "\n".join(upward)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), or a module
    importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_in_a_circle():
    # a package's __init__ that imports its own modules is not a circle of theirs
    graph = {
        name: {t for t in targets if not name.startswith(t + ".")}
        for name, targets in GRAPH.items()
    }
    assert cycles(graph) == [], "import circles (each line: modules that import each other)"


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),  # the circle the test must find
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_the_circle_finder(graph, expected):
    assert cycles(graph) == expected
