"""The packages' layers, read from the source (nothing imported): the core imports neither
the web stack, nor the server, nor the CLI; the server does not import the CLI.

Every ``import``/``from … import`` counts, wherever it stands (a function body too), and so
does ``importlib.import_module("…")`` / ``__import__("…")`` with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

WEB = {"flask", "werkzeug", "gunicorn", "granian", "jinja2"}
#: Package folder → top-level modules it must not import.
FORBIDDEN: dict[str, set[str]] = {
    "src/dhs_ai_kg": WEB | {"dhs_ai_kg_server", "dhs_ai_kg_cli"},
    "server/dhs_ai_kg_server": {"dhs_ai_kg_cli"},
    "cli/dhs_ai_kg_cli": set(),
}
FILES = sorted(p for folder in FORBIDDEN for p in (REPO_ROOT / folder).rglob("*.py"))


def imported_modules(source: str) -> set[str]:
    """The top-level names of every module ``source`` imports (relative imports excluded)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id == "__import__")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return {name.split(".")[0] for name in found}


def _folder(path: Path) -> str:
    return next(f for f in FORBIDDEN if path.is_relative_to(REPO_ROOT / f))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_module_imports_a_layer_above_it(path):
    imports = imported_modules(path.read_text(encoding="utf-8"))
    assert not imports & FORBIDDEN[_folder(path)]


def test_the_three_packages_are_all_read():
    folders = {_folder(p) for p in FILES}
    assert folders == set(FORBIDDEN)
    assert REPO_ROOT / "src/dhs_ai_kg/engine.py" in FILES


def test_the_reader_sees_every_spelling_of_an_import():
    """Controls: each spelling is found, so a forbidden one could not slip through."""
    source = (
        "import flask.json\n"
        "from werkzeug import exceptions\n"
        "from . import sibling\n"
        "def later():\n"
        "    import dhs_ai_kg_server\n"
        "    importlib.import_module('gunicorn.app')\n"
        "    __import__('jinja2')\n"
    )
    assert imported_modules(source) == {
        "flask",
        "werkzeug",
        "dhs_ai_kg_server",
        "gunicorn",
        "jinja2",
    }
    cli = (REPO_ROOT / "cli/dhs_ai_kg_cli/__init__.py").read_text(encoding="utf-8")
    assert {"dhs_ai_kg", "dhs_ai_kg_server"} <= imported_modules(cli)
