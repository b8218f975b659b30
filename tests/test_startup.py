"""Start-up stops on broken data or a broken packaged query, naming the file; no port opens."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dhs_ai_kg_cli import main
from dhs_ai_kg_server import create_app
from stores import free_port

from dhs_ai_kg.named_queries import NamedQueryError

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def resources(tmp_path: Path, use_resources) -> Path:
    """A copy of the packaged ontology, data and queries, in use for the test."""
    for name in ("ontology", "data", "queries"):
        shutil.copytree(REPO_ROOT / name, tmp_path / name)
    return use_resources(tmp_path)


def test_a_broken_packaged_query_stops_the_app_factory(resources: Path):
    (resources / "queries" / "99-broken.rq").write_text(
        "# Which things are broken?\nSELECT ?x WHERE { ?x ", encoding="utf-8"
    )
    with pytest.raises(NamedQueryError, match="99-broken"):
        create_app()


def test_serve_stops_on_a_broken_query_naming_the_file(resources: Path, capsys, monkeypatch):
    (resources / "queries" / "99-broken.rq").write_text(
        "# Which things are broken?\nSELECT ?x WHERE { ?x ", encoding="utf-8"
    )
    from dhs_ai_kg_server import runner

    served = []
    monkeypatch.setattr(runner, "serve", lambda *args: served.append(args))
    assert main(["serve", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert "99-broken" in err and "Traceback" not in err
    assert served == []  # start-up stopped before anything was bound


def test_serve_stops_on_a_broken_data_file_with_file_and_line(resources: Path, capsys):
    graph = resources / "data" / "graphs" / "release.ttl"
    lines = graph.read_text(encoding="utf-8").splitlines()
    lines.insert(20, "this is not turtle .")
    graph.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["serve", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert "release.ttl:21" in err and "Traceback" not in err
