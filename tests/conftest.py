"""Shared test fixtures. Keep this file small; fixtures used by one module stay in that module.

Offers:

- ``REPO_ROOT`` / ``repo_root``: the source tree's root folder (a :class:`pathlib.Path`).
- ``engine``: an :class:`~dhs_ai_kg.engine.Engine` over ``tests/fixtures/engine/graphs`` (one
  named graph per file), per module; ``engines.fixture_engine(limits)`` makes a fresh one.
- ``w3c_engine``: an engine over ``tests/w3c/data`` (``dataN.nt`` as the graph ``…/dataN.rdf``,
  the W3C protocol tests' dataset), per module.
- ``make_app(engine=None, **config)``: a factory of apps, ``QUERY_ISOLATION="inline"`` unless
  ``config`` says otherwise (usable from module-scoped fixtures).
- ``packaged_app``: an app over the packaged dataset, inline, per module; ``app`` is it unless a
  module overrides ``app`` (named for what differs, registered with ``name="app"``).
- ``client``: a test client of ``app``, per module (the server keeps no cookies or sessions).
- ``listener``: a :class:`listener.Listener` on 127.0.0.1 recording every request it gets
  (``.url``, ``.requests``), closed after the test.
- ``use_resources(root)``: a fixture returning a function that points the core's default
  resources folder (:func:`dhs_ai_kg.resources.resource_dir` without ``root``) at ``root``
  (which holds ``ontology/``, ``data/``, ``queries/``) for the rest of the test. Only for
  what has no other way to name its resources: the CLI, and the core's defaults themselves.
  The server takes them from config (``create_app({"RESOURCES": root})``); core functions
  take an explicit ``root``.
  Example::

      def test_x(use_resources):
          use_resources(Path(__file__).parent / "fixtures" / "cli")

- ``jena_classpath``: a classpath on which Debian's Jena commands start (``stores.jena``), per
  session.
- ``virtuoso_factory()``: starts a fresh, empty :class:`stores.Virtuoso` on 127.0.0.1 (about
  2 s) and kills it after the test or module that asked for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import engines
import pytest
import stores
from dhs_ai_kg_server import create_app
from flask import Flask
from flask.testing import FlaskClient
from listener import Listener

from dhs_ai_kg.engine import Engine

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def engine() -> Engine:
    """An engine over ``tests/fixtures/engine/graphs``."""
    return engines.fixture_engine()


@pytest.fixture(scope="module")
def w3c_engine() -> Engine:
    """An engine over ``tests/w3c/data``: ``dataN.nt`` as the graph ``…/dataN.rdf``."""
    return engines.w3c_engine()


@pytest.fixture(scope="session")
def make_app() -> Callable[..., Flask]:
    """A factory: ``make_app(engine=None, **config)``, inline unless ``config`` says otherwise."""

    def make(engine: Engine | None = None, **config: object) -> Flask:
        return create_app({"QUERY_ISOLATION": "inline", **config}, engine=engine)

    return make


@pytest.fixture(scope="module")
def packaged_app(make_app: Callable[..., Flask]) -> Flask:
    """An app over the packaged dataset (queries run inline)."""
    return make_app()


@pytest.fixture(scope="module")
def app(packaged_app: Flask) -> Flask:
    """The app ``client`` talks to: the packaged one, unless a module overrides it."""
    return packaged_app


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def repo_root() -> Path:
    """The source tree's root folder."""
    return REPO_ROOT


@pytest.fixture
def use_resources(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], Path]:
    """A function that makes the CLI read ontology/, data/ and queries/ under ``root``."""
    from dhs_ai_kg import resources

    def point_at(root: Path) -> Path:
        root = Path(root).resolve()
        default = resources.resource_dir

        def resource_dir(name: resources.ResourceName, given: Path | None = None) -> Path:
            return default(name, given if given is not None else root)

        monkeypatch.setattr(resources, "resource_dir", resource_dir)
        return root

    return point_at


@pytest.fixture
def listener() -> Iterator[Listener]:
    """An HTTP listener on 127.0.0.1 that records every request (nothing may reach it)."""
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="session")
def jena_classpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A classpath on which Debian's Jena 4.5 commands start (see ``stores.jena_classpath``)."""
    return stores.jena_classpath(tmp_path_factory.mktemp("jena"))


@pytest.fixture(scope="module")
def virtuoso_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[], stores.Virtuoso]]:
    """A function starting a fresh, empty Virtuoso 7 on 127.0.0.1; all are killed afterwards."""
    started: list[stores.Virtuoso] = []

    def start() -> stores.Virtuoso:
        started.append(stores.Virtuoso(tmp_path_factory.mktemp("virtuoso")))
        return started[-1]

    yield start
    for server in started:
        server.stop()
