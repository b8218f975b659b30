"""Run one user query safely: guard, engine, negotiation, row cap; everyone calls :func:`execute`.

The /sparql endpoint and /queries/<name> both answer through here, so the limits (timeout,
row cap, outbound guard) hold for every query a client can send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal as TypingLiteral

from flask import current_app
from rdflib import URIRef
from rdflib.term import Identifier

from dhs_ai_kg.engine import Engine, OutputFormat, QueryResult

from .errors import NoAcceptableFormat, TooManyRows, UnknownFormat
from .negotiation import choose

AnswerKind = TypingLiteral["select", "ask", "graph"]


@dataclass(frozen=True)
class Answer:
    """A serialized query answer: its kind, format, body and row count (None for ASK)."""

    kind: AnswerKind
    format: OutputFormat
    body: bytes
    rows: int | None
    #: Always False: a result over the row cap is refused (TooManyRows), never cut.
    truncated: bool = False


def current_engine() -> Engine:
    """The engine attached to the running app by ``create_app``."""
    engine: Engine = current_app.extensions["dhs_ai_kg.engine"]
    return engine


def pick_format(
    formats: Mapping[str, OutputFormat], accept: str | None, format_name: str | None
) -> OutputFormat:
    """``format_name`` (a name or media type) if given, else the best match for ``accept``."""
    if format_name:
        wanted = format_name.strip().lower()
        for fmt in formats.values():
            if wanted == fmt.name or wanted in fmt.media_types:
                return fmt
        if wanted == "json" and "jsonld" in formats:
            return formats["jsonld"]
        raise UnknownFormat(wanted, list(formats))
    fmt = choose(accept, dict(formats))
    if fmt is None:
        raise NoAcceptableFormat([f.media_type for f in formats.values()])
    return fmt


def run_query(
    engine: Engine,
    text: str,
    *,
    accept: str | None,
    format_name: str | None,
    bindings: Mapping[str, Identifier] | None,
    default_graphs: list[str] | None,
    named_graphs: list[str] | None,
    max_rows: int | None,
) -> Answer:
    """Query, negotiate, check the row cap and serialize, in this process."""
    result: QueryResult = engine.query(
        text,
        bindings,
        default_graphs=[URIRef(g) for g in default_graphs] if default_graphs else None,
        named_graphs=[URIRef(g) for g in named_graphs] if named_graphs else None,
    )
    fmt = pick_format(result.formats, accept, format_name)
    rows: int | None = None
    if result.kind != "ask":
        rows = result.count(None if max_rows is None else max_rows + 1)
        if max_rows is not None and rows > max_rows:
            raise TooManyRows(max_rows)
    return Answer(result.kind, fmt, result.serialize(fmt), rows)


def execute(
    text: str,
    *,
    accept: str | None = None,
    format_name: str | None = None,
    bindings: Mapping[str, Identifier] | None = None,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> Answer:
    """Answer one query under the app's limits (QUERY_TIMEOUT, MAX_ROWS, SERVICE_ALLOWLIST)."""
    config = current_app.config
    max_rows = config.get("MAX_ROWS")
    return run_query(
        current_engine(),
        text,
        accept=accept,
        format_name=format_name,
        bindings=bindings,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        max_rows=int(max_rows) if max_rows is not None else None,
    )
