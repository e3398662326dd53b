"""archive.fulltext is a library: it imports nothing of the app, and its engine-neutral
modules import no search engine, so that another backend can reuse them without Whoosh.

Checked by reading the source with `ast`, so the rules hold whatever happens to be imported
already in the test process.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

import archive.fulltext
from archive.fulltext import BACKENDS

PACKAGE = Path(archive.fulltext.__file__).parent
ROOT = PACKAGE.parents[1]
THIRD_PARTY = {"whoosh", "psycopg", "numpy", "Stemmer", "markupsafe"}
APP_MODULES = {"archive.fileio"}  # stdlib-only helpers of the app that fulltext may use
ENGINES = {"whoosh", "psycopg"}  # libraries only a backend's own subpackage may import
BACKEND_PACKAGES = {"archive.fulltext.whoosh", "archive.fulltext.postgres"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def syntax(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"))


def imports(name: str) -> list[tuple[str, ast.stmt]]:
    """Every module a module imports, with the statement that imports it."""
    found = []
    for node in ast.walk(syntax(name)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{name}: relative import"
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            # `from package import module` imports the module; anything else, the package.
            found += [(n if n in MODULES else node.module, node) for n in names]
    return found


def allowed(name: str) -> bool:
    top = name.split(".")[0]
    return (
        top in sys.stdlib_module_names
        or top in THIRD_PARTY
        or name in APP_MODULES
        or name == "archive.fulltext"
        or name.startswith("archive.fulltext.")
    )


def is_neutral(name: str) -> bool:
    return not any(name == b or name.startswith(f"{b}.") for b in BACKEND_PACKAGES)


def test_the_package_is_found():
    assert "archive.fulltext.backend" in MODULES
    assert "archive.fulltext.whoosh.internals" in MODULES


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_the_stdlib_its_libraries_and_itself(name):
    wrong = sorted({n for n, _ in imports(name) if not allowed(n)})
    assert wrong == [], f"{name} imports {wrong}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_are_at_module_level(name):
    top_level = {id(node) for node in syntax(name).body}
    late = [node.lineno for _, node in imports(name) if id(node) not in top_level]
    assert late == [], f"{name} imports inside a function or block at lines {late}"


def reachable(name: str) -> set[str]:
    """Modules of archive.fulltext and third-party packages that importing `name` loads."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        parts = current.split(".")
        parents = [".".join(parts[:i]) for i in range(1, len(parts))]  # __init__ runs first
        for imported in [*parents, *(n for n, _ in imports(current))]:
            if imported in MODULES:
                todo.append(imported)
            else:
                seen.add(imported.split(".")[0])
    return seen


@pytest.mark.parametrize("name", sorted(n for n in MODULES if is_neutral(n)))
def test_engine_neutral_modules_load_no_search_engine(name):
    assert reachable(name) & ENGINES == set()
    assert not any(n in MODULES and not is_neutral(n) for n in reachable(name))


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_every_backend_lives_in_its_own_subpackage(name):
    module, class_name = BACKENDS[name]
    assert module in BACKEND_PACKAGES
    assert f"class {class_name}" in "".join(
        p.read_text(encoding="utf-8") for n, p in MODULES.items() if n.startswith(module)
    )


def test_importing_the_library_loads_no_engine_and_no_app(tmp_path):
    # An `archive` package holding only fulltext and fileio, so that this checks fulltext
    # whatever the application's own package __init__ imports.
    package = tmp_path / "archive"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "fulltext").symlink_to(PACKAGE)
    (package / "fileio.py").symlink_to(PACKAGE.parent / "fileio.py")
    names = ", ".join(repr(n) for n in sorted(m for m in MODULES if is_neutral(m)))
    script = (
        f"import importlib, sys\nfor name in [{names}]:\n    importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    loaded = set(ast.literal_eval(result.stdout))
    assert loaded & {"whoosh", "numpy", "flask", "sqlalchemy", "huey"} == set()
