"""Where the ontology, data and queries live: inside the wheel, or in the source tree."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

ResourceName = Literal["ontology", "data", "queries"]

_PACKAGED = Path(__file__).parent / "_resources"
_SOURCE_TREE = Path(__file__).resolve().parents[2]


def resource_dir(name: ResourceName) -> Path:
    """The folder holding the named resource: the installed copy, else the source tree's."""
    for root in (_PACKAGED, _SOURCE_TREE):
        candidate = root / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"resource folder {name!r} not found in {_PACKAGED} or {_SOURCE_TREE}")


def ontology_file() -> Path:
    """The OWL ontology (hand-edited Turtle)."""
    return resource_dir("ontology") / "dhs-ai-kg.ttl"


def shapes_file() -> Path:
    """The SHACL shapes graph."""
    return resource_dir("ontology") / "shapes.ttl"


def graphs_dir() -> Path:
    """The folder of per-named-graph Turtle files; each file's stem names its graph."""
    return resource_dir("data") / "graphs"


def source_text_file() -> Path:
    """The press release, verbatim as received (Markdown bold markers included)."""
    return resource_dir("data") / "source" / "release.txt"


def queries_dir() -> Path:
    """The folder of named SPARQL queries (`.rq`)."""
    return resource_dir("queries")
