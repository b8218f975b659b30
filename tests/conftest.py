"""Shared test fixtures. Keep this file small; fixtures used by one module stay in that module.

Offers:

- ``REPO_ROOT`` / ``repo_root``: the source tree's root folder (a :class:`pathlib.Path`).
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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from listener import Listener

REPO_ROOT = Path(__file__).resolve().parents[1]


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
