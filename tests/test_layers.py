"""The packages' layers, read from the source (nothing imported): the core imports neither
the web stack, nor the server, nor the CLI; the server does not import the CLI; inside the
server, the blueprint modules are leaves: none imports another (they share state, web, terms,
derived; app.py composes them).

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


SERVER = REPO_ROOT / "server" / "dhs_ai_kg_server"
PACKAGE = SERVER.name


def _has_blueprint(path: Path) -> bool:
    """Whether the module makes a Flask blueprint (``Blueprint(...)`` called at any depth)."""
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "Blueprint")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "Blueprint")
        )
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


BLUEPRINTS = sorted(p.stem for p in SERVER.glob("*.py") if _has_blueprint(p))


def server_modules_imported(source: str) -> set[str]:
    """The server's own modules ``source`` imports (``from . import x``, ``from .x import y``,
    ``dhs_ai_kg_server.x`` and ``import_module`` spellings alike), by module name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1 and not module:  # from . import x, y
                found.update(alias.name for alias in node.names)
            elif node.level == 1:  # from .x import y
                found.add(module.split(".")[0])
            elif module == PACKAGE:  # from dhs_ai_kg_server import x
                found.update(alias.name for alias in node.names)
            elif module.startswith(PACKAGE + "."):
                found.add(module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[1] for a in node.names if a.name.startswith(PACKAGE + ".")
            )
    named = imported_names(source)
    found.update(n.split(".")[1] for n in named if n.startswith(PACKAGE + "."))
    found.update(n.lstrip(".").split(".")[0] for n in named if n.startswith(".") and n != ".")
    return found


def imported_names(source: str) -> set[str]:
    """The literal names given to ``importlib.import_module`` / ``__import__`` in ``source``;
    a relative name's package part (``f"{__package__}.ui"``) is read as ``.ui``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and (
                (
                    isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("import_module", "find_spec")
                )
                or (isinstance(node.func, ast.Name) and node.func.id == "__import__")
            )
            and node.args
        ):
            continue
        name = node.args[0]
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            found.add(name.value)
        elif isinstance(name, ast.JoinedStr):  # f"{__package__}.ui" → ".ui"
            found.add("".join(v.value for v in name.values if isinstance(v, ast.Constant)))
    return found


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


def test_the_server_has_its_blueprint_modules():
    assert set(BLUEPRINTS) == {
        "sparql",
        "linked_data",
        "void",
        "dumps",
        "queries_api",
        "ui",
        "pictures",
        "assets",
        "spreadsheet",
        "share",
    }


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_no_blueprint_module_imports_another(name):
    source = (SERVER / f"{name}.py").read_text(encoding="utf-8")
    assert server_modules_imported(source) & set(BLUEPRINTS) == set()


def test_the_reader_sees_every_spelling_of_a_server_import():
    """Controls: each spelling of importing a sibling module is found."""
    source = (
        "from . import sparql, state\n"
        "from .void import counted\n"
        "from ..dhs_ai_kg import engine\n"
        "import dhs_ai_kg_server.dumps\n"
        "from dhs_ai_kg_server import ui\n"
        "from dhs_ai_kg_server.linked_data import view\n"
        "def later():\n"
        "    importlib.import_module(f'{__package__}.queries_api')\n"
        "    importlib.util.find_spec('dhs_ai_kg_server.web')\n"
    )
    assert server_modules_imported(source) == {
        "sparql",
        "state",
        "void",
        "dumps",
        "ui",
        "linked_data",
        "queries_api",
        "web",
    }
