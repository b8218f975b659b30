"""Where the ontology, data and queries live: inside the wheel, or in the source tree.

Each function takes an optional ``root``: a folder holding ``ontology/``, ``data/`` and
``queries/`` to read instead (the server's ``RESOURCES``; tests' fixture trees).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

ResourceName = Literal["ontology", "data", "queries"]

_PACKAGED = Path(__file__).parent / "_resources"
_SOURCE_TREE = Path(__file__).resolve().parents[2]


def resource_dir(name: ResourceName, root: Path | None = None) -> Path:
    """The folder holding the named resource: ``root``'s if given, else the installed copy,
    else the source tree's."""
    if root is not None:
        return Path(root) / name
    for base in (_PACKAGED, _SOURCE_TREE):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"resource folder {name!r} not found in {_PACKAGED} or {_SOURCE_TREE}")


def ontology_file(root: Path | None = None) -> Path:
    """The OWL ontology (hand-edited Turtle)."""
    return resource_dir("ontology", root) / "dhs-ai-kg.ttl"


def context_file(root: Path | None = None) -> Path:
    """The JSON-LD context of our data (terms for our properties and classes), served and
    embedded in the JSON-LD exports."""
    return resource_dir("ontology", root) / "context.jsonld"


def shapes_file(root: Path | None = None) -> Path:
    """The SHACL shapes graph."""
    return resource_dir("ontology", root) / "shapes.ttl"


def ontology_shapes_file(root: Path | None = None) -> Path:
    """The SHACL shapes of the ontology itself: its header and term style."""
    return resource_dir("ontology", root) / "ontology-shapes.ttl"


def graphs_dir(root: Path | None = None) -> Path:
    """The folder of per-named-graph Turtle files; each file's stem names its graph."""
    return resource_dir("data", root) / "graphs"


def source_text_file(root: Path | None = None) -> Path:
    """The press release, verbatim as received (Markdown bold markers included)."""
    return resource_dir("data", root) / "source" / "release.txt"


def queries_dir(root: Path | None = None) -> Path:
    """The folder of named SPARQL queries (`.rq`)."""
    return resource_dir("queries", root)
