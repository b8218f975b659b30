"""The one registry of serializations: every RDF and query-results format the project reads or
writes, with everything the code needs to know about it.

A :class:`Format` knows its name and aliases, media types (the first canonical), file
extension, W3C format IRI (https://www.w3.org/ns/formats/), rdflib serializer and parser names,
pyoxigraph format, and what it can hold: RDF (one graph and/or a dataset of named graphs) or
SPARQL query results. Oxigraph's ``RdfFormat`` (``lib/oxrdfio/src/format.rs``) has the same
shape. Every other format table (``export.FORMATS``, ``engine.RESULTS_FORMATS`` and friends,
the CLI's choices, the server's negotiation, dumps and service description) is a view of
:data:`REGISTRY`, so a new format is one entry here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass
from typing import Literal

import pyoxigraph as ox

__all__ = [
    "REGISTRY",
    "Format",
    "Kind",
    "by_name",
    "from_extension",
    "from_media_type",
    "table",
]

#: ``graph``: RDF (one graph, a dataset, or both: see the flags); ``results``: SELECT/ASK.
Kind = Literal["graph", "results"]

_W3C = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """One serialization: names, media types, extension, W3C IRI, rdflib and pyoxigraph names."""

    name: str
    kind: Kind
    #: Every media type it is served under; the first is canonical.
    media_types: tuple[str, ...]
    #: The file extension, with its dot (``.ttl``).
    extension: str
    label: str
    _: KW_ONLY
    #: The W3C format IRI (``http://www.w3.org/ns/formats/Turtle``); empty for our own (HTML).
    iri: str = ""
    #: Other short names a user may type (``ttl``, ``nt``, ``srj``…), unique in the registry.
    aliases: tuple[str, ...] = ()
    #: rdflib's serializer and parser plugin names (results: ``Result.serialize``/``parse``).
    rdflib_serializer: str | None = None
    rdflib_parser: str | None = None
    #: pyoxigraph's format (its attribute of ``RdfFormat`` or ``QueryResultsFormat``, by name:
    #: a string pickles, and answers cross process boundaries), read as :attr:`oxigraph`.
    oxigraph_name: str | None = None
    #: RDF only: writes one graph as such, and holds a dataset's named graphs.
    one_graph: bool = True
    datasets: bool = False

    @property
    def media_type(self) -> str:
        """The canonical media type."""
        return self.media_types[0]

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value (all our formats are UTF-8)."""
        return f"{self.media_type}; charset=utf-8"

    @property
    def oxigraph(self) -> ox.RdfFormat | ox.QueryResultsFormat | None:
        """pyoxigraph's format for this one, if pyoxigraph has it."""
        if self.oxigraph_name is None:
            return None
        family = ox.RdfFormat if self.kind == "graph" else ox.QueryResultsFormat
        found: ox.RdfFormat | ox.QueryResultsFormat = getattr(family, self.oxigraph_name)
        return found

    @property
    def names(self) -> tuple[str, ...]:
        """The name and the aliases: every spelling that picks this format."""
        return (self.name, *self.aliases)


#: Every format, in the order tables list them (the first of a kind is its default answer).
REGISTRY: tuple[Format, ...] = (
    Format(
        "json",
        "results",
        ("application/sparql-results+json", "application/json"),
        ".srj",
        "SPARQL JSON",
        iri=_W3C + "SPARQL_Results_JSON",
        aliases=("srj", "sparql-json"),
        rdflib_serializer="json",
        rdflib_parser="json",
        oxigraph_name="JSON",
    ),
    Format(
        "xml",
        "results",
        ("application/sparql-results+xml", "application/xml", "text/xml"),
        ".srx",
        "SPARQL XML",
        iri=_W3C + "SPARQL_Results_XML",
        aliases=("srx", "sparql-xml"),
        rdflib_serializer="xml",
        rdflib_parser="xml",
        oxigraph_name="XML",
    ),
    Format(
        "csv",
        "results",
        ("text/csv",),
        ".csv",
        "SPARQL CSV",
        iri=_W3C + "SPARQL_Results_CSV",
        rdflib_serializer="csv",
        rdflib_parser="csv",
        oxigraph_name="CSV",
    ),
    Format(
        "tsv",
        "results",
        ("text/tab-separated-values",),
        ".tsv",
        "SPARQL TSV",
        iri=_W3C + "SPARQL_Results_TSV",
        rdflib_serializer=None,  # rdflib reads TSV results but cannot write them
        rdflib_parser="tsv",
        oxigraph_name="TSV",
    ),
    Format(
        "turtle",
        "graph",
        ("text/turtle", "application/x-turtle"),
        ".ttl",
        "Turtle",
        iri=_W3C + "Turtle",
        aliases=("ttl",),
        rdflib_serializer="longturtle",  # one statement per line group: stable diffs
        rdflib_parser="turtle",
        oxigraph_name="TURTLE",
    ),
    Format(
        "ntriples",
        "graph",
        ("application/n-triples",),
        ".nt",
        "N-Triples",
        iri=_W3C + "N-Triples",
        aliases=("nt", "n-triples"),
        rdflib_serializer="nt",
        rdflib_parser="nt",
        oxigraph_name="N_TRIPLES",
    ),
    Format(
        "jsonld",
        "graph",
        ("application/ld+json", "application/json"),
        ".jsonld",
        "JSON-LD",
        iri=_W3C + "JSON-LD",
        aliases=("json-ld",),
        rdflib_serializer="json-ld",
        rdflib_parser="json-ld",
        oxigraph_name="JSON_LD",
        datasets=True,
    ),
    Format(
        "xml",
        "graph",
        ("application/rdf+xml",),
        ".rdf",
        "RDF/XML",
        iri=_W3C + "RDF_XML",
        aliases=("rdfxml", "rdf-xml", "rdf"),
        rdflib_serializer="xml",
        rdflib_parser="xml",
        oxigraph_name="RDF_XML",
    ),
    Format(
        "trig",
        "graph",
        ("application/trig",),
        ".trig",
        "TriG",
        iri=_W3C + "TriG",
        rdflib_serializer="trig",
        rdflib_parser="trig",
        oxigraph_name="TRIG",
        one_graph=False,
        datasets=True,
    ),
    Format(
        "nquads",
        "graph",
        ("application/n-quads",),
        ".nq",
        "N-Quads",
        iri=_W3C + "N-Quads",
        aliases=("nq", "n-quads"),
        rdflib_serializer="nquads",
        rdflib_parser="nquads",
        oxigraph_name="N_QUADS",
        one_graph=False,
        datasets=True,
    ),
)


def table(formats: Iterable[Format]) -> dict[str, Format]:
    """``formats`` by name, in their order (names must be unique among them)."""
    return {f.name: f for f in formats}


def by_name(name: str, kind: Kind | None = None) -> Format | None:
    """The format called ``name`` or one of its aliases (case-insensitive), of ``kind``."""
    wanted = name.strip().lower()
    return next(
        (f for f in REGISTRY if wanted in f.names and kind in (None, f.kind)),
        None,
    )


def from_media_type(media_type: str, kind: Kind | None = None) -> Format | None:
    """The format served as ``media_type`` (parameters such as charset ignored), of ``kind``:
    one whose canonical type it is, else the first in the registry (``application/json``
    without a kind: SPARQL JSON)."""
    bare = media_type.split(";", 1)[0].strip().lower()
    candidates = [f for f in REGISTRY if bare in f.media_types and kind in (None, f.kind)]
    return min(candidates, key=lambda f: f.media_type != bare, default=None)


def from_extension(extension: str, kind: Kind | None = None) -> Format | None:
    """The format whose file extension is ``extension`` (with or without the dot), of ``kind``."""
    wanted = "." + extension.strip().lower().lstrip(".")
    return next((f for f in REGISTRY if f.extension == wanted and kind in (None, f.kind)), None)
