"""The pages for people that are not about one resource: the front page at ``/`` (what the
dataset is, its key facts, the named queries, a way in), the query page at ``/query``
(browsers also get it at ``/sparql``, :func:`.web.query_page`), and the label search at
``/search`` (JSON for the search box's suggestions, an HTML results page without script).

Every fact the front page shows comes from the server's own queries (``landing-*.rq``); the
search scans the label index read once at start-up (:func:`.derived.label_index`), ranking as
``search.rq`` says (its ``LIMIT`` is the search's): no query over the graph per request.
"""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from rdflib import RDFS, URIRef

from dhs_ai_kg.engine import OutputFormat
from dhs_ai_kg.namespaces import PREFIXES

from .derived import internal_query, label_index, ontology_graph
from .editor_terms import editor_terms
from .negotiation import choose
from .state import state
from .terms import TermView, view
from .web import default_example, query_page

bp = Blueprint("ui", __name__)

RELEASE = internal_query("landing-release")
FACTS = internal_query("landing-facts")
SEARCH = internal_query("search")

#: The most results ``search.rq`` gives (its ``LIMIT``).
SEARCH_LIMIT = int(re.findall(r"^LIMIT (\d+)$", SEARCH.text, re.M)[-1])
#: The most characters of ``q`` a search uses (the rest is ignored).
MAX_SEARCH = 100

_HTML = OutputFormat("html", "results", ("text/html", "application/xhtml+xml"), ".html", "HTML")
_JSON = OutputFormat("json", "results", ("application/json",), ".json", "JSON")
_SEARCH_FORMATS = {"json": _JSON, "html": _HTML}


def _text(term: object) -> str | None:
    return str(term) if term is not None else None


def _kind_label(kind: object, label: object) -> str:
    """The label of a kind of fact: the data's, else the ontology's, else its CURIE."""
    if label is not None:
        return str(label)
    found = ontology_graph().value(URIRef(str(kind)), RDFS.label)
    return str(found) if found is not None else view(URIRef(str(kind))).text


def release_summary() -> dict[str, object] | None:
    """The dataset's title and description and its release, as ``landing-release.rq`` gives
    them (None when the data has no dataset description)."""
    rows = list(state().engine.query(RELEASE.text))
    if not rows:
        return None
    (
        dataset,
        title,
        description,
        license_,
        created,
        release,
        release_label,
        headline,
        issued,
        dateline,
        coalition,
        coalition_label,
        members,
    ) = rows[0]
    return {
        "dataset": view(dataset),
        "title": str(title),
        "description": str(description),
        "license": view(license_) if license_ is not None else None,
        "created": _text(created),
        "release": view(release, headline or release_label),
        "issued": _text(issued),
        "dateline": _text(dateline),
        "coalition": view(coalition, coalition_label) if coalition is not None else None,
        "members": _text(members),
    }


#: Most resources listed under one key-fact heading of the front page (app config
#: ``FRONT_PAGE_FACTS``): the release's groups (at most 5) are listed whole; at 1M triples a
#: group of thousands shows its first ones, its count and a link to the paged index ``/id/``.
FRONT_PAGE_FACTS = 50


def key_facts(limit: int | None = None) -> list[dict[str, object]]:
    """The front page's key facts, grouped by kind in ``landing-facts.rq``'s order: each
    group's ``count`` and its first ``limit`` ``members`` (all if None)."""
    groups: dict[str, dict[str, object]] = {}
    for _, kind, kind_label, resource, label in state().engine.query(FACTS.text):
        group = groups.setdefault(
            str(kind),
            {"kind": view(kind), "label": _kind_label(kind, kind_label), "members": [], "count": 0},
        )
        members: list[TermView] = group["members"]  # type: ignore[assignment]
        if limit is None or len(members) < limit:
            members.append(view(resource, label))
        group["count"] = int(str(group["count"])) + 1
    return list(groups.values())


@bp.get("/")
def index() -> Response:
    """The front page; an old link to the query page (``/?query=``, ``/?example=``) is sent
    on to ``/query`` with the same parameters."""
    if "query" in request.args or "example" in request.args:
        target = url_for("ui.query") + "?" + request.query_string.decode("utf-8", "replace")
        return redirect(target, 301)  # type: ignore[return-value]
    limit = max(1, int(current_app.config.get("FRONT_PAGE_FACTS", FRONT_PAGE_FACTS)))
    facts = state().cached("landing", lambda: (release_summary(), key_facts(limit)))
    body = render_template(
        "landing.html",
        summary=facts[0],
        facts=facts[1],
        queries=[q.describe() for q in state().queries.values()],
        example=default_example(),
    )
    return Response(body, 200, content_type="text/html; charset=utf-8")


@bp.get("/query")
def query() -> Response:
    """The query page, opening with ``?query=``, ``?example=`` or a runnable example."""
    return query_page()


def search_results(text: str) -> list[dict[str, str]]:
    """Our resources whose label contains ``text`` (case-insensitive), at most 20, best first."""
    text = text.strip()[:MAX_SEARCH]
    if not text:
        return []
    return [
        {"label": label, "iri": resource, "href": view(URIRef(resource)).href or resource}
        for resource, label in label_index().search(text, SEARCH_LIMIT)
    ]


@bp.get("/search")
def search() -> Response:
    """Labels containing ``?q=``: JSON (``Accept: application/json`` or ``format=json``) for
    the search box, else an HTML page of links."""
    text = request.args.get("q", "")
    results = search_results(text)
    wanted = request.args.get("format")
    fmt = (
        _SEARCH_FORMATS.get(wanted or "")
        or choose(request.headers.get("Accept"), _SEARCH_FORMATS)
        or _HTML
    )
    if fmt is _JSON:
        response = jsonify({"q": text.strip()[:MAX_SEARCH], "results": results})
    else:
        body = render_template(
            "search.html", q=text.strip()[:MAX_SEARCH], results=results, limit=SEARCH_LIMIT
        )
        response = Response(body, 200, content_type="text/html; charset=utf-8")
    response.vary.add("Accept")
    return response


@bp.get("/query/terms.json")
def query_terms() -> Response:
    """The classes and properties the query editor completes, with their labels (JSON)."""
    response = jsonify({"prefixes": dict(PREFIXES), "terms": editor_terms()})
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
