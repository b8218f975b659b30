"""Our IRIs resolve here, whatever host serves them: ``/id/…`` resources, ``/ontology``,
``/graph/<name>`` and ``/source/<file>``, as HTML for browsers and RDF chosen by ``Accept`` or
a file suffix; ``/id/`` indexes the resources. Page data comes from the SPARQL files of
``queries/`` (run through the engine), the HTML from Jinja templates."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request
from rdflib import OWL, BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from dhs_ai_kg.engine import GRAPH_FORMATS, Engine, OutputFormat
from dhs_ai_kg.loading import bind_prefixes, parse_turtle
from dhs_ai_kg.named_queries import NamedQuery, parse_named_query
from dhs_ai_kg.namespaces import BASE, ONTOLOGY, PREFIXES
from dhs_ai_kg.resources import ontology_file, resource_dir

from .dumps import current_dumps
from .errors import NoAcceptableFormat
from .negotiation import choose
from .sparql import current_engine
from .state import state

bp = Blueprint("linked_data", __name__)

QUERIES = Path(__file__).parent / "queries"


def internal_query(name: str) -> NamedQuery:
    """One of the server's own ``queries/<name>.rq``, parsed and checked."""
    return parse_named_query(QUERIES / f"{name}.rq")


DESCRIBE = internal_query("describe")
SUMMARY = internal_query("resource-summary")
OUTGOING = internal_query("resource-out")
INCOMING = internal_query("resource-in")
QUOTES = internal_query("resource-quotes")
LINKS = internal_query("resource-links")
RESOURCES = internal_query("resources")
ONTOLOGY_HEADER = internal_query("ontology-header")
ONTOLOGY_TERMS = internal_query("ontology-terms")

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

_RDFLIB_NAMES = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "xml": "xml"}
_RESOURCES = "dhs_ai_kg.linked_data.resources"
_ONTOLOGY_GRAPH = "dhs_ai_kg.ontology"
_ONTOLOGY_PAGE = "dhs_ai_kg.linked_data.ontology_page"


# --- links and terms for templates ---------------------------------------------------------


def local_path(iri: str) -> str | None:
    """The path of one of our IRIs on this server (``BASE/id/x`` → ``/id/x``); else None."""
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else None


def href(iri: str) -> str:
    """Where a link to ``iri`` goes: our IRIs to their local page, others to themselves."""
    return local_path(iri) or iri


def curie(iri: str) -> str:
    """``iri`` shortened with the project prefixes (``dak:leads``), or whole."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    if best:
        local = iri[len(PREFIXES[best]) :]
        if local and "/" not in local and "#" not in local:
            return f"{best}:{local}"
    return iri


#: What an IRI path may hold unescaped (RFC 3987 ``ipchar`` and ``/``) besides ``ucschar``.
_IPATH_ASCII = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"
)
#: RFC 3987 ``ucschar``: the non-ASCII code points an IRI may hold unescaped.
_UCSCHAR = (
    (0xA0, 0xD7FF),
    (0xF900, 0xFDCF),
    (0xFDF0, 0xFFEF),
    *((plane + 0x0000, plane + 0xFFFD) for plane in range(0x10000, 0xE0000, 0x10000)),
    (0xE1000, 0xEFFFD),
)


def _ipath_char(char: str) -> bool:
    if char in _IPATH_ASCII:
        return True
    point = ord(char)
    return point >= 0xA0 and any(low <= point <= high for low, high in _UCSCHAR)


def iri_path(path: str) -> str:
    """``path`` (as decoded from the URL) as an IRI path: other characters percent-encoded.

    ``/id/a%20b`` asks for ``BASE/id/a%20b``, a legal IRI; a ``%`` from ``%25``, a control
    character or bytes that were not UTF-8 (decoded as U+FFFD) are escaped the same way.
    """
    return "".join(
        char if _ipath_char(char) else "".join(f"%{b:02X}" for b in char.encode("utf-8"))
        for char in path
    )


def public_url(path: str) -> str:
    """The absolute URL of a local ``path`` (``PUBLIC_BASE`` if set, else the request host)."""
    base = current_app.config.get("PUBLIC_BASE") or request.url_root
    return str(base).rstrip("/") + path


@dataclass(frozen=True)
class TermView:
    """An RDF term ready for a template: its text, link, and literal language or datatype."""

    kind: str  # "iri", "bnode" or "literal"
    value: str
    text: str
    href: str | None = None
    local: bool = False
    lang: str | None = None
    datatype: str | None = None
    datatype_href: str | None = None


def view(term: Node | None, label: Node | None = None) -> TermView:
    """The template view of ``term``; ``label`` (a literal) is shown instead of an IRI."""
    if term is None:  # a query column its WHERE clause always binds
        raise ValueError("cannot show an unbound term")
    if isinstance(term, URIRef):
        iri = str(term)
        path = local_path(iri)
        short = "kg:" + iri[len(BASE) + 3 :] if path and path.startswith("/id/") else curie(iri)
        text = str(label) if label is not None else short
        return TermView("iri", iri, text, href(iri), local_path(iri) is not None)
    if isinstance(term, BNode):
        return TermView("bnode", str(term), "_:" + str(term))
    assert isinstance(term, Literal)
    datatype = str(term.datatype) if term.datatype is not None else None
    return TermView(
        "literal",
        str(term),
        str(term),
        lang=term.language,
        datatype=curie(datatype) if datatype else None,
        datatype_href=href(datatype) if datatype else None,
    )


@bp.app_template_filter("href")
def _href_filter(iri: str) -> str:
    return href(str(iri))


@bp.app_template_filter("curie")
def _curie_filter(iri: str) -> str:
    return curie(str(iri))


# --- negotiation and responses -------------------------------------------------------------


def _split_suffix(path: str) -> tuple[str, OutputFormat | None]:
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


def _rdf(body: bytes | str, fmt: OutputFormat, path: str, html: bool = True) -> Response:
    return with_alternates(Response(body, 200, content_type=fmt.content_type), path, html)


def _html(body: str, path: str, status: int = 200) -> Response:
    response = Response(body, status, content_type="text/html; charset=utf-8")
    return with_alternates(response, path) if status == 200 else response


# --- our resources -------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One of our resources as listed on the index: IRI, classes and label."""

    iri: str
    classes: tuple[str, ...]
    label: str | None

    @property
    def path(self) -> str:
        """Its local path (``/id/…``)."""
        return local_path(self.iri) or self.iri


def our_resources() -> list[Resource]:
    """Every resource under ``BASE/id/`` (from ``queries/resources.rq``), cached per app."""
    cached: list[Resource] | None = state().derived.get(_RESOURCES)
    if cached is None:
        classes: dict[str, list[str]] = {}
        labels: dict[str, str | None] = {}
        for resource, cls, label in current_engine().query(RESOURCES.text):
            iri = str(resource)
            classes.setdefault(iri, [])
            if cls is not None:
                classes[iri].append(str(cls))
            if labels.get(iri) is None:
                labels[iri] = str(label) if label is not None else None
        cached = [Resource(i, tuple(c), labels.get(i)) for i, c in sorted(classes.items())]
        state().derived[_RESOURCES] = cached
    return cached


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


def not_found(iri: str, candidates: Mapping[str, str] | None = None) -> Response:
    """A 404 that helps: what was asked, similar IRIs of ours, where to look instead.

    ``candidates`` maps local paths to labels (default: every resource under ``/id/``).
    """
    if candidates is None:
        candidates = {r.path: r.label or r.path for r in our_resources()}
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


def resource_page(engine: Engine, iri: str) -> dict[str, object] | None:
    """Everything the resource page shows about ``iri``, or None if the graph has nothing."""
    bound = {"resource": URIRef(iri)}
    summary = list(engine.query(SUMMARY.text, bound))
    if not summary:
        return None
    label = next((row[3] for row in summary if row[3] is not None), None)
    description = next((row[4] for row in summary if row[4] is not None), None)
    types = [view(row[1], row[2]) for row in summary if row[1] is not None]
    statements: list[tuple[TermView, TermView]] = []
    blanks: dict[str, list[tuple[TermView, TermView]]] = {}
    for _, subject, prop, value, value_label in engine.query(OUTGOING.text, bound):
        pair = (view(prop), view(value, value_label))
        if subject == URIRef(iri):
            statements.append(pair)
        else:
            blanks.setdefault(str(subject), []).append(pair)
    incoming = [
        (view(subject, subject_label), view(prop))
        for _, subject, prop, subject_label in engine.query(INCOMING.text, bound)
    ]
    quotes = [
        {
            "annotation": view(annotation),
            "release": view(release),
            "exact": str(exact),
            "prefix": str(prefix) if prefix is not None else "",
            "suffix": str(suffix) if suffix is not None else "",
            "source": view(source) if source is not None else None,
        }
        for _, annotation, release, exact, prefix, suffix, source in engine.query(
            QUOTES.text, bound
        )
    ]
    links = [(view(prop), view(target)) for _, prop, target in engine.query(LINKS.text, bound)]
    return {
        "iri": iri,
        "label": str(label) if label is not None else view(URIRef(iri)).text,
        "description": str(description) if description is not None else None,
        "types": types,
        "statements": statements,
        "blanks": blanks,
        "incoming": incoming,
        "quotes": quotes,
        "links": links,
    }


@bp.get("/id/")
def index() -> Response:
    """The index of our resources, grouped by class."""
    groups: dict[str, list[Resource]] = {}
    for resource in our_resources():
        for cls in resource.classes or ("",):
            groups.setdefault(cls, []).append(resource)
    ordered = sorted(groups.items(), key=lambda item: (item[0] == "", curie(item[0])))
    body = render_template(
        "resource_index.html",
        groups=[(view(URIRef(c)) if c else None, members) for c, members in ordered],
        total=len(our_resources()),
    )
    return Response(body, 200, content_type="text/html; charset=utf-8")


@bp.get("/id/<path:rest>")
def resource(rest: str) -> Response:
    """Everything the graph says about ``BASE/id/<rest>``, with its grounding quotes."""
    rest, forced = _split_suffix(iri_path(rest))
    iri = f"{BASE}id/{rest}"
    path = f"/id/{rest}"
    fmt = negotiate(forced)
    engine = current_engine()
    if fmt is HTML:
        page = resource_page(engine, iri)
        if page is None:
            return not_found(iri)
        return _html(render_template("resource.html", alternates=alternates(path), **page), path)
    result = engine.query(DESCRIBE.text, {"resource": URIRef(iri)})
    if not any(True for _ in result):
        return not_found(iri)
    return _rdf(result.serialize(fmt), fmt, path)


# --- the ontology --------------------------------------------------------------------------


def ontology_graph() -> Graph:
    """The ontology document as an rdflib graph, parsed once per app."""
    graph: Graph = current_app.extensions.setdefault(
        _ONTOLOGY_GRAPH, bind_prefixes(parse_turtle(ontology_file()))
    )
    return graph


def _fragment(iri: str) -> str:
    return iri.split("#", 1)[1] if "#" in iri else iri


def ontology_page(graph: Graph) -> dict[str, object]:
    """What the ontology documentation shows: its header, classes and properties."""
    dataset = Dataset()
    target = dataset.graph(URIRef(ONTOLOGY))
    for triple in graph:
        target.add(triple)
    engine = Engine.from_dataset(dataset)
    result = engine.query(ONTOLOGY_HEADER.text)
    first = next(iter(result), ())
    header = {
        name: (view(value) if value is not None else None)
        for name, value in zip(result.variables, first, strict=False)
    }
    terms: dict[str, dict[str, object]] = {}
    for term, kind, label, definition, note, relation, related in engine.query(ONTOLOGY_TERMS.text):
        iri = str(term)
        entry = terms.setdefault(
            iri,
            {
                "iri": iri,
                "anchor": _fragment(iri),
                "curie": curie(iri),
                "kind": curie(str(kind)),
                "label": str(label) if label is not None else _fragment(iri),
                "definition": str(definition) if definition is not None else None,
                "note": str(note) if note is not None else None,
                "relations": {},
                "subterms": [],
            },
        )
        if relation is not None and related is not None:
            relations: dict[str, list[TermView]] = entry["relations"]  # type: ignore[assignment]
            item = view(related)
            if item not in relations.setdefault(curie(str(relation)), []):
                relations[curie(str(relation))].append(item)
    for iri, entry in terms.items():
        relations = entry["relations"]  # type: ignore[assignment]
        for broader in ("rdfs:subClassOf", "rdfs:subPropertyOf"):
            for parent in relations.get(broader, []):
                if parent.value in terms:
                    subterms: list[TermView] = terms[parent.value]["subterms"]  # type: ignore[assignment]
                    subterms.append(view(URIRef(iri)))
    classes = [t for t in terms.values() if t["kind"] == "owl:Class"]
    properties = [t for t in terms.values() if t["kind"] != "owl:Class"]
    return {"header": header, "classes": classes, "properties": properties}


@bp.get("/ontology")
@bp.get("/ontology<any('.ttl','.nt','.jsonld','.rdf','.html'):suffix>")
def ontology(suffix: str = "") -> Response:
    """The ontology document (its terms' hash IRIs resolve to it), as HTML or RDF."""
    fmt = negotiate(SUFFIXES.get(suffix))
    graph = ontology_graph()
    if fmt is HTML:
        body: str | None = state().derived.get(_ONTOLOGY_PAGE)
        if body is None:
            body = render_template(
                "ontology.html", alternates=alternates("/ontology"), **ontology_page(graph)
            )
            state().derived[_ONTOLOGY_PAGE] = body
        return _html(body, "/ontology")
    return _rdf(graph.serialize(format=_RDFLIB_NAMES[fmt.name]), fmt, "/ontology")


@bp.get("/ontology/<version>")
def ontology_version(version: str) -> Response:
    """The ontology's version IRI (``BASE/ontology/<owl:versionInfo>``): the same document."""
    graph = ontology_graph()
    known = {str(v) for v in graph.objects(URIRef(ONTOLOGY), OWL.versionInfo)}
    version, forced = _split_suffix(iri_path(version))
    if version not in known:
        return not_found(f"{ONTOLOGY}/{version}", {f"/ontology/{v}": v for v in known})
    suffix = next((s for s, f in SUFFIXES.items() if f is forced), "")
    return ontology(suffix)


# --- named graphs and sources --------------------------------------------------------------


@bp.get("/graph/<name>")
def named_graph(name: str) -> Response:
    """One named graph, whole (``BASE/graph/<name>``)."""
    name, forced = _split_suffix(iri_path(name))
    graphs = {d.graph: d for d in current_dumps().values() if d.graph is not None}
    if name not in graphs:
        return not_found(f"{BASE}graph/{name}", {f"/graph/{n}": n for n in sorted(graphs)})
    fmt = negotiate(forced)
    if fmt is HTML:  # a graph has no page of its own: its Turtle is readable
        fmt = GRAPH_FORMATS["turtle"]
    dump = next(  # the bytes /dumps/ serves: serialized once, never per request
        (d for d in current_dumps().values() if d.graph == name and d.format.name == fmt.name),
        None,
    )
    if dump is None:  # a graph format without a dump: keep the registry honest
        abort(404)
    return _rdf(dump.body, fmt, f"/graph/{name}", html=False)


@bp.get("/source/<name>")
def source(name: str) -> Response:
    """A release's text as received (``BASE/source/<name>``), e.g. ``release.txt``."""
    folder = resource_dir("data") / "source"
    files = {p.name: p for p in sorted(folder.glob("*")) if p.is_file()}
    if name not in files:  # only listed names reach the file system: no long or odd paths
        listed = {f"/source/{n}": n for n in files}
        return not_found(f"{BASE}source/{iri_path(name)}", listed)
    return Response(files[name].read_bytes(), 200, content_type="text/plain; charset=utf-8")
