"""Named queries as an API: ``/queries`` lists the ``.rq`` files of ``queries/`` with their
questions and parameters; ``/queries/<name>?param=value`` runs one.

Parameters are bound with :meth:`NamedQuery.bind` (typed terms passed as bindings, never
written into the query text) and the query runs through :func:`.execution.execute`, so the
endpoint's limits and formats hold: ``Accept`` or ``format=`` picks the format. A browser
(``Accept`` preferring HTML, no ``format=``) gets the results as a table. Every answer links
to the query page (``/sparql?query=…``) with the query's text. ``format`` is reserved: no
named query may declare a parameter of that name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request
from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier
from werkzeug.exceptions import BadRequest, NotFound

from dhs_ai_kg.engine import FORMATS, OutputFormat
from dhs_ai_kg.named_queries import NamedQuery, NamedQueryError, find

from .execution import execute
from .negotiation import choose
from .state import state
from .terms import TermView, view
from .web import prefers_html, public_url

bp = Blueprint("queries_api", __name__)

_HTML = OutputFormat("html", "results", ("text/html", "application/xhtml+xml"), ".html", "HTML")
_JSON = OutputFormat("json", "results", ("application/json",), ".json", "JSON")
_LISTING_FORMATS = {"json": _JSON, "html": _HTML}
#: What the HTML answer asks ``execute`` for: SPARQL JSON (made a table) or Turtle (shown).
_READABLE = "application/sparql-results+json, text/turtle"


def query_page_path(query: NamedQuery) -> str:
    """The query page with ``query``'s text in the URL (``/sparql?query=…``)."""
    return "/sparql?" + urlencode({"query": query.text})


def _describe(query: NamedQuery) -> dict[str, object]:
    return {
        **query.describe(),
        "url": public_url(f"/queries/{query.name}"),
        "queryPage": public_url(query_page_path(query)),
    }


@bp.get("/queries")
def listing() -> Response:
    """Every named query with its question and parameters: HTML for browsers, else JSON."""
    described = [_describe(q) for q in state().queries.values()]
    if choose(request.headers.get("Accept"), _LISTING_FORMATS) is _HTML:
        formats = {kind: list(table.values()) for kind, table in FORMATS.items()}
        body = render_template("queries.html", queries=described, formats=formats)
        response = Response(body, 200, content_type="text/html; charset=utf-8")
    else:
        response = jsonify({"queries": described})
    response.vary.add("Accept")
    return response


def _raw_parameters() -> dict[str, str]:
    raw: dict[str, str] = {}
    for key, values in request.args.lists():
        if key == "format":
            continue
        if len(values) > 1:
            raise BadRequest(f"parameter {key!r} given {len(values)} times; give it once")
        raw[key] = values[0]
    return raw


@bp.get("/queries/<name>")
def run(name: str) -> Response:
    """Run one named query with the request's parameters bound, in the negotiated format."""
    queries = state().queries
    try:
        query = find(queries, name)
    except LookupError as exc:
        raise NotFound(str(exc)) from None
    raw = _raw_parameters()
    format_name = request.args.get("format")
    browser = not format_name and prefers_html()
    if browser:  # the form sends its optional fields left empty: those are not given
        raw = {k: v for k, v in raw.items() if v != ""}
    if browser and any(p.required and p.name not in raw for p in query.parameters):
        return _form(query, raw, None, 200)  # a browser landing without its parameters
    try:
        bindings = query.bind(raw)
    except NamedQueryError as exc:  # unknown/missing/bad value → 400 (a form for browsers)
        if browser:
            return _form(query, raw, str(exc), 400)
        raise
    page = public_url(query_page_path(query))
    if browser:
        return _html_answer(query, raw, bindings, page)
    answer = execute(
        query.text,
        accept=request.headers.get("Accept"),
        format_name=format_name,
        bindings=bindings,
    )
    response = Response(answer.body, 200, content_type=answer.format.content_type)
    response.headers["Link"] = f'<{page}>; rel="related"; title="open in the query page"'
    response.vary.add("Accept")
    return response


def _form(query: NamedQuery, raw: dict[str, str], error: str | None, status: int) -> Response:
    """A form asking for ``query``'s parameters (``raw``: what was given), with ``error``."""
    body = render_template("query_form.html", query=_describe(query), given=raw, error=error)
    response = Response(body, status, content_type="text/html; charset=utf-8")
    response.vary.add("Accept")
    return response


def _html_answer(
    query: NamedQuery, raw: dict[str, str], bindings: Mapping[str, Identifier], page: str
) -> Response:
    """The results as an HTML table (SELECT/ASK) or Turtle text (CONSTRUCT/DESCRIBE)."""
    answer = execute(query.text, accept=_READABLE, bindings=bindings)
    if answer.kind == "graph":
        table, text = None, answer.body.decode("utf-8")
    else:
        table, text = _table(json.loads(answer.body)), None
    downloads = [
        {
            "label": fmt.label,
            "href": f"/queries/{query.name}?" + urlencode({**raw, "format": fmt.name}),
        }
        for fmt in FORMATS["graph" if answer.kind == "graph" else "results"].values()
    ]
    body = render_template(
        "query_result.html",
        query=_describe(query),
        bound=raw,
        table=table,
        text=text,
        downloads=downloads,
        query_page=page,
    )
    response = Response(body, 200, content_type="text/html; charset=utf-8")
    response.headers["Link"] = f'<{page}>; rel="related"; title="open in the query page"'
    response.vary.add("Accept")
    return response


def _cell(binding: dict[str, str] | None) -> TermView | None:
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "uri":
        return view(URIRef(binding["value"]))
    if kind == "bnode":
        return view(BNode(binding["value"]))
    language, datatype = binding.get("xml:lang"), binding.get("datatype")
    return view(Literal(binding["value"], lang=language, datatype=datatype))


def _table(results: dict[str, object]) -> dict[str, object]:
    """SPARQL JSON results as header and rows of template term views."""
    if "boolean" in results:
        return {"boolean": results["boolean"], "variables": [], "rows": []}
    head: dict[str, list[str]] = results["head"]  # type: ignore[assignment]
    variables = head.get("vars", [])
    bindings: list[dict[str, dict[str, str]]] = results["results"]["bindings"]  # type: ignore[index]
    rows = [[_cell(b.get(v)) for v in variables] for b in bindings]
    return {"boolean": None, "variables": variables, "rows": rows}
