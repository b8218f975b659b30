"""Start-up at 1M triples (issue 10): the dataset version ETags use is the data files' hash when
the server loads them, not a dump and sort of the store (1.6-2.8 s holding the interpreter at
1M triples, before the first answer); an engine given to the app keeps the store's hash."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from dhs_ai_kg_server import state as state_module
from dhs_ai_kg_server.state import files_version
from flask import Flask

from dhs_ai_kg.loading import data_files
from dhs_ai_kg.resources import graphs_dir

SELECT = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"


def etag(app: Flask) -> str:
    response = app.test_client().get("/sparql", query_string={"query": SELECT})
    assert response.status_code == 200
    return str(response.headers["ETag"])


def test_an_app_loading_its_files_never_dumps_the_store_for_its_version(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> str:
        raise AssertionError("the store was dumped and sorted for the version")

    monkeypatch.setattr(state_module, "dataset_version", refuse)
    app = make_app()
    assert app.extensions["dhs_ai_kg"].version == files_version(data_files())
    assert etag(app) == etag(make_app())


def test_the_version_follows_the_files(tmp_path: Path, make_app: Callable[..., Flask]) -> None:
    folder = tmp_path / "graphs"
    folder.mkdir()
    shutil.copy(graphs_dir() / "links.ttl", folder / "extra.ttl")
    before = etag(make_app(DATA=[str(folder)]))
    assert etag(make_app(DATA=[str(folder)])) == before
    with (folder / "extra.ttl").open("a", encoding="utf-8") as extra:
        extra.write("\n<urn:x:a> <urn:x:p> <urn:x:b> .\n")
    assert etag(make_app(DATA=[str(folder)])) != before
    (folder / "extra.ttl").rename(folder / "other.ttl")  # same bytes, another graph
    assert files_version([folder / "other.ttl"]) != files_version([graphs_dir() / "links.ttl"])


def test_a_given_version_is_used_and_a_given_engine_keeps_the_stores(
    make_app: Callable[..., Flask],
) -> None:
    from dhs_ai_kg_server.state import dataset_version, default_engine

    engine = default_engine()
    given = make_app(engine, DATASET_VERSION="files-given")
    assert given.extensions["dhs_ai_kg"].version == "files-given"
    assert make_app(engine).extensions["dhs_ai_kg"].version == dataset_version(engine)
