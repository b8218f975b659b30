"""Shared test fixtures. Keep this file small; fixtures used by one module stay in that module.

Offers:

- ``REPO_ROOT`` / ``repo_root``: the source tree's root folder (a :class:`pathlib.Path`).
- ``listener``: a :class:`listener.Listener` on 127.0.0.1 recording every request it gets
  (``.url``, ``.requests``), closed after the test.
- ``use_resources(root)``: a fixture returning a function that points
  :func:`dhs_ai_kg.resources.resource_dir` at ``root`` (which holds ``ontology/``, ``data/``,
  ``queries/``) for the rest of the test, so code under test reads small fixture files instead
  of the live ontology and data. Example::

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
    """A function that makes the package read ontology/, data/ and queries/ under ``root``."""
    from dhs_ai_kg import resources

    def point_at(root: Path) -> Path:
        root = Path(root).resolve()
        monkeypatch.setattr(resources, "resource_dir", lambda name: root / name)
        return root

    return point_at


@pytest.fixture
def listener() -> Iterator[Listener]:
    """An HTTP listener on 127.0.0.1 that records every request (nothing may reach it)."""
    server = Listener()
    yield server
    server.close()
