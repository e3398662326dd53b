"""The shape of the package, checked from its source with `ast`: layers point one way.

- no import cycle between the modules of `archive/`, counting imports inside functions too,
  so a cycle cannot hide behind a function-level import;
- no import inside a function at all, but in the factory `archive.create_app`, which loads
  the web application only when it is called;
- `import archive.fulltext` loads neither Flask, SQLAlchemy nor huey (a library);
- each third-party library with a risky surface is imported by its one module;
- no module grows far past 400 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "archive"
LAZY_IMPORTS_ALLOWED = {("archive", "create_app")}
MAX_MODULE_LINES = 450
# library -> the modules (dotted prefixes) allowed to import it
LIBRARY_HOMES = {
    "whoosh": ("archive.fulltext",),
    "pypdf": ("archive.ingest.pdf",),
    "pypdfium2": ("archive.ingest.render",),
    "PIL": ("archive.ingest.photos",),
    "pillow_heif": ("archive.ingest.photos",),
    "huey": ("archive.tasks",),
}


@dataclass(frozen=True)
class ImportSite:
    module: str  # the importing module
    target: str  # the module imported
    function: str | None  # enclosing function, None at module level
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def targets(module: str, path: Path, node: ast.AST, known: set[str]) -> list[str]:
    """What an import statement loads: `from archive import x` names submodule archive.x
    when there is one, else the package itself."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = resolve(module, path, node)
    found = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
    return found if len(found) == len(node.names) else [base, *found]


def import_sites() -> list[ImportSite]:
    known = set(modules())
    sites = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        sites += sites_in(module, path, tree, known)
    return sites


def sites_in(module: str, path: Path, tree: ast.AST, known: set[str]) -> list[ImportSite]:
    sites = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, function or child.name)
            elif isinstance(child, ast.Import | ast.ImportFrom):
                for target in targets(module, path, child, known):
                    sites.append(ImportSite(module, target, function, child.lineno))
            else:
                visit(child, function)

    visit(tree, None)
    return sites


def internal_graph() -> dict[str, set[str]]:
    known = set(modules())
    graph: dict[str, set[str]] = {name: set() for name in known}
    for site in import_sites():
        if site.target in known and site.target != site.module:
            graph[site.module].add(site.target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := walk(node)):
            return cycle
    return None


def test_the_package_has_no_import_cycle():
    assert find_cycle(internal_graph()) is None


def test_a_cycle_is_found_when_there_is_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_nothing_is_imported_inside_a_function_but_by_the_factory():
    lazy = [
        f"{s.module}:{s.line} {s.function}() imports {s.target}"
        for s in import_sites()
        if s.function is not None and (s.module, s.function) not in LAZY_IMPORTS_ALLOWED
    ]
    assert lazy == []


@pytest.mark.parametrize("library", sorted(LIBRARY_HOMES))
def test_each_library_is_imported_by_its_home_module_only(library):
    strays = {
        s.module
        for s in import_sites()
        if s.target.split(".")[0] == library and not s.module.startswith(LIBRARY_HOMES[library])
    }
    assert strays == set()


def test_the_search_library_loads_no_web_database_or_queue_code():
    script = (
        "import sys, archive.fulltext\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert {"flask", "sqlalchemy", "huey", "flask_login", "werkzeug"} & set(loaded) == set()


def test_modules_stay_small():
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
