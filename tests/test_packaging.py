"""The built wheel: its contents, and the installed command run outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def sh(*argv: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built once for this module."""
    out = tmp_path_factory.mktemp("wheel")
    done = sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, REPO_ROOT)
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("dhs_ai_kg-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment (no system site-packages) with the wheel installed."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    assert sh(sys.executable, "-m", "venv", root).returncode == 0
    done = sh(root / "bin" / "python", "-m", "pip", "install", "-q", wheel)
    assert done.returncode == 0, done.stderr
    return root


def test_wheel_ships_resources_server_and_cli(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("ontology", "data/graphs", "queries"):
        prefix = f"dhs_ai_kg/_resources/{folder}/"
        if folder == "queries" and not any((REPO_ROOT / "queries").glob("*.rq")):
            continue  # an empty queries/ folder has nothing to ship yet
        assert any(n.startswith(prefix) for n in names), f"no {prefix} files in the wheel"
    assert "dhs_ai_kg/_resources/ontology/dhs-ai-kg.ttl" in names
    assert "dhs_ai_kg/_resources/ontology/ontology-shapes.ttl" in names
    assert "dhs_ai_kg_cli/__init__.py" in names and "dhs_ai_kg_cli/__main__.py" in names
    assert "dhs_ai_kg/cli.py" not in names, "the CLI is its own package, not a core module"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "no LICENSE shipped"
    assert "dhs_ai_kg_server/__init__.py" in names
    assert not any(n.startswith("server/") for n in names), "bare top-level 'server' package"
    assert not any(n.startswith(("tests/", "src/")) for n in names)


def test_installed_command_runs_outside_the_source_tree(venv, tmp_path):
    command = venv / "bin" / "dhs-ai-kg"
    where = sh(
        venv / "bin" / "python", "-c", "import dhs_ai_kg.resources as r; print(r.graphs_dir())"
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv), "resources not read from the wheel"

    version = sh(command, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("dhs-ai-kg ")

    stats = sh(command, "stats", "--format", "json", cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert '"triples"' in stats.stdout

    validate = sh(command, "validate", cwd=tmp_path)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert validate.stdout.startswith("Conforms")

    unstyled = tmp_path / "ontology.ttl"
    unstyled.write_text(
        (REPO_ROOT / "ontology" / "dhs-ai-kg.ttl")
        .read_text()
        .replace('owl:versionInfo "', 'owl:versionInfo "v', 1)
    )
    styled = sh(command, "validate", "--ontology", unstyled, cwd=tmp_path)
    assert styled.returncode == 1, styled.stdout + styled.stderr
    assert f"in file {unstyled}" in styled.stdout, "the wheel's ontology shapes did not run"

    query = sh(command, "query", "1", "--format", "csv", cwd=tmp_path)
    assert query.returncode == 0, query.stderr
    assert "Just Futures Law" in query.stdout


def test_installed_server_resolves_our_iris(venv, tmp_path):
    probe = (
        "from dhs_ai_kg_server import create_app; c = create_app().test_client(); "
        "print(c.get('/id/org/mijente').status_code, c.get('/sparql?query=ASK{}').status_code)"
    )
    done = sh(venv / "bin" / "python", "-c", probe, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["200", "200"]
