"""HTTP helpers every blueprint may use: public URLs, negotiation of our pages against RDF,
``Link`` alternates, helpful 404s and the query page (``/query`` and, for browsers, ``/sparql``)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path

from flask import Flask, Response, current_app, render_template, request

from dhs_ai_kg.engine import FORMATS, GRAPH_FORMATS, OutputFormat
from dhs_ai_kg.namespaces import BASE, PREFIXES

from .errors import NoAcceptableFormat
from .negotiation import choose
from .state import state
from .terms import curie, href, local_path

__all__ = [
    "EDITOR",
    "HTML",
    "PAGE_FORMATS",
    "RDFLIB_NAMES",
    "SUFFIXES",
    "alternates",
    "default_example",
    "html_response",
    "install",
    "negotiate",
    "not_found",
    "prefers_html",
    "public_base",
    "public_url",
    "query_page",
    "rdf_response",
    "split_suffix",
    "suggestions",
    "with_alternates",
]

#: The HTML page of a resource, negotiated beside the RDF formats (after them: ``*/*`` → RDF).
HTML = OutputFormat("html", "graph", ("text/html", "application/xhtml+xml"), ".html", "HTML")
PAGE_FORMATS: dict[str, OutputFormat] = {**GRAPH_FORMATS, "html": HTML}

#: ``/id/org/mijente.ttl`` asks for Turtle whatever the Accept header says.
SUFFIXES: dict[str, OutputFormat] = {
    ".ttl": GRAPH_FORMATS["turtle"],
    ".nt": GRAPH_FORMATS["ntriples"],
    ".jsonld": GRAPH_FORMATS["jsonld"],
    ".rdf": GRAPH_FORMATS["xml"],
    ".html": HTML,
}

#: rdflib's serializer name for each of :data:`SUFFIXES`' RDF formats.
RDFLIB_NAMES = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "xml": "xml"}

#: The editor's package and version (see static/vendor/README.md).
EDITOR = {"name": "@zazuko/yasqe", "version": "4.6.2"}


def install(app: Flask) -> None:
    """Register the template filters ``href`` and ``curie`` on ``app``."""
    app.add_template_filter(lambda iri: href(str(iri)), "href")
    app.add_template_filter(lambda iri: curie(str(iri)), "curie")


# --- public URLs -----------------------------------------------------------------------------


def public_base() -> str:
    """The root URL links are built on: ``PUBLIC_BASE`` if configured, else the request's host."""
    base = current_app.config.get("PUBLIC_BASE") or request.url_root
    return str(base).rstrip("/") + "/"


def public_url(path: str) -> str:
    """The absolute URL of a local ``path`` (``PUBLIC_BASE`` if set, else the request host)."""
    return public_base().rstrip("/") + path


# --- negotiation and responses ---------------------------------------------------------------


def split_suffix(path: str) -> tuple[str, OutputFormat | None]:
    """``path`` without a format suffix of :data:`SUFFIXES`, and the format it forces."""
    for suffix, fmt in SUFFIXES.items():
        if path.endswith(suffix):
            return path[: -len(suffix)], fmt
    return path, None


def negotiate(forced: OutputFormat | None) -> OutputFormat:
    """``forced`` (from a suffix), else the best of :data:`PAGE_FORMATS` for ``Accept``."""
    fmt = forced or choose(request.headers.get("Accept"), PAGE_FORMATS)
    if fmt is None:
        raise NoAcceptableFormat([f.media_type for f in PAGE_FORMATS.values()])
    return fmt


def prefers_html() -> bool:
    """Whether this request's ``Accept`` prefers our HTML page to every RDF format."""
    return choose(request.headers.get("Accept"), PAGE_FORMATS) is HTML


def alternates(path: str, html: bool = True) -> list[dict[str, str]]:
    """The variants of the document at local ``path``: one per suffix, HTML last."""
    return [
        {"href": public_url(path + suffix), "type": fmt.media_type, "label": fmt.label}
        for suffix, fmt in SUFFIXES.items()
        if html or fmt is not HTML
    ]


def with_alternates(response: Response, path: str, html: bool = True) -> Response:
    """``response`` with a ``Link: rel="alternate"`` per variant of ``path`` and Vary."""
    response.headers["Link"] = ", ".join(
        f'<{alt["href"]}>; rel="alternate"; type="{alt["type"]}"' for alt in alternates(path, html)
    )
    response.vary.add("Accept")
    return response


def rdf_response(body: bytes | str, fmt: OutputFormat, path: str, html: bool = True) -> Response:
    """A 200 of RDF ``body`` in ``fmt``, linking the other variants of ``path``."""
    return with_alternates(Response(body, 200, content_type=fmt.content_type), path, html)


def html_response(body: str, path: str, status: int = 200) -> Response:
    """An HTML page; a 200 links the other variants of ``path``."""
    response = Response(body, status, content_type="text/html; charset=utf-8")
    return with_alternates(response, path) if status == 200 else response


# --- helpful 404s ----------------------------------------------------------------------------


def suggestions(asked: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The candidates most like ``asked``: by last path segment (the slug), then whole path."""
    pool = list(candidates)
    by_tail: dict[str, list[str]] = {}
    for candidate in pool:
        by_tail.setdefault(candidate.rstrip("/").rsplit("/", 1)[-1], []).append(candidate)
    close: list[str] = []
    tail = asked.rstrip("/").rsplit("/", 1)[-1]
    for match in difflib.get_close_matches(tail, list(by_tail), n=n, cutoff=0.6):
        ranked = sorted(
            by_tail[match], key=lambda c: -difflib.SequenceMatcher(None, asked, c).ratio()
        )
        close.extend(ranked)
    for match in difflib.get_close_matches(asked, pool, n=n, cutoff=0.8):
        if match not in close:
            close.append(match)
    return close[:n]


def not_found(iri: str, candidates: Mapping[str, str]) -> Response:
    """A 404 that helps: what was asked, similar IRIs of ours (``candidates`` maps local paths
    to labels), where to look instead."""
    asked = local_path(iri) or iri
    similar = [{"path": p, "label": candidates[p]} for p in suggestions(asked, candidates)]
    if prefers_html():
        body = render_template("not_found.html", iri=iri, asked=asked, similar=similar)
        return Response(body, 404, content_type="text/html; charset=utf-8")
    lines = [f"404 Not Found: the graph says nothing about <{iri}>."]
    if similar:
        lines.append("Did you mean: " + ", ".join(s["path"] for s in similar) + "?")
    lines.append(
        "Our resources live under /id/<kind>/<name> (e.g. /id/org/mijente); the index is at "
        "/id/ and every query at /sparql."
    )
    return Response("\n".join(lines) + "\n", 404, content_type="text/plain; charset=utf-8")


# --- the query page --------------------------------------------------------------------------


def default_example() -> str | None:
    """The named query the editor opens with when asked for none: the first needing no
    parameter."""
    for named in state().queries.values():
        if not any(p.required for p in named.parameters):
            return named.name
    return None


#: The query page's label service: one query naming every IRI of an answer (answers.js).
LABELS = Path(__file__).parent / "queries" / "labels.rq"


def query_page(shared: str | None = None) -> Response:
    """The query page; ``?query=`` (or ``?example=<name>``, or ``shared``: a short link's
    text) is preloaded into the editor and run; without any the editor opens with
    :func:`default_example`'s text, ready to run."""
    from .entity_page import term_labels  # not at the top: it imports this module

    base = public_base()
    queries = state().queries
    examples = [q.describe() for q in queries.values()]
    query = request.args.get("query", "") if shared is None else shared
    if shared is None and not query and request.args.get("example") in queries:
        query = queries[request.args["example"]].text
    elif shared is None and "query" not in request.args and "example" not in request.args:
        first = default_example()
        query = queries[first].text if first is not None else ""
    formats = {
        kind: [
            {"name": f.name, "label": f.label, "media_type": f.media_type} for f in table.values()
        ]
        for kind, table in FORMATS.items()
    }
    page = {
        "endpoint": base + "sparql",
        "base": base,
        "iri_base": BASE,
        "prefixes": dict(PREFIXES),
        "formats": formats,
        "examples": examples,
        "labels_query": LABELS.read_text(encoding="utf-8"),  # answers.js names an answer's IRIs
        "run": shared is not None,  # a short link (/q/<key>): run its query on load
        "term_labels": term_labels(),  # views.js names graph edges by property label
    }
    html = render_template(
        "query.html",
        page=page,
        examples=examples,
        endpoint=page["endpoint"],
        query=query,
        editor=EDITOR,
    )
    return Response(html, 200, content_type="text/html; charset=utf-8")
