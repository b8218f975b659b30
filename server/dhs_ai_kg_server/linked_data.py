"""Our IRIs resolve here, whatever host serves them: ``/id/…`` resources, ``/ontology``,
``/graph/<name>`` and ``/source/<file>``, as HTML for browsers and RDF chosen by ``Accept`` or
a file suffix; ``/id/`` indexes the resources; ``/context.jsonld`` is our JSON-LD context. Page
data comes from the SPARQL files of ``queries/`` (run through the engine), the HTML from Jinja
templates."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, render_template, request
from rdflib import OWL, Dataset, Graph, URIRef
from rdflib.term import Node
from werkzeug.exceptions import BadRequest

from dhs_ai_kg.engine import Engine, OutputFormat, QueryResult
from dhs_ai_kg.export import jsonld_context as context_of
from dhs_ai_kg.namespaces import BASE, ONTOLOGY
from dhs_ai_kg.resources import context_file, resource_dir

from .derived import (
    current_dumps,
    hash_parts,
    internal_query,
    ontology_graph,
    our_resources,
    picture_path,
    resource_candidates,
)
from .drawings import class_diagram_svg, inline, legend, neighbourhood, neighbourhood_svg
from .entity_page import (
    IndexGroup,
    embedded_jsonld,
    group_rows,
    index_groups,
    labelled,
    lead_sentence,
)
from .errors import NoAcceptableFormat
from .negotiation import choose
from .release_page import SOURCE_SPACE, anchor_href, source_page, statement_row
from .state import state
from .terms import TermView, curie, iri_path, view
from .web import (
    HTML,
    RDFLIB_NAMES,
    SUFFIXES,
    alternates,
    html_response,
    negotiate,
    not_found,
    public_url,
    rdf_response,
    split_suffix,
)

bp = Blueprint("linked_data", __name__)

DESCRIBE = internal_query("describe")
SUMMARY = internal_query("resource-summary")
OUTGOING = internal_query("resource-out")
INCOMING = internal_query("resource-in")
INCOMING_COUNT = internal_query("resource-in-count")
OWN = internal_query("resource-own")
QUOTES = internal_query("resource-quotes")
LINKS = internal_query("resource-links")
GROUNDING = internal_query("resource-grounding")
IN_GROUNDING = internal_query("resource-in-grounding")
ANNOTATION_SOURCE = internal_query("annotation-source")
RELATIONS = internal_query("resource-relations")
ONTOLOGY_HEADER = internal_query("ontology-header")
ONTOLOGY_TERMS = internal_query("ontology-terms")
CLASS_INSTANCES = internal_query("class-instances")
GRAPH_ABOUT = internal_query("graph-about")
GRAPH_CLASSES = internal_query("graph-classes")
GRAPH_SUBJECTS = internal_query("graph-subjects")

_ONTOLOGY_PAGE = "ontology-page"
#: The one ``LIMIT … OFFSET …`` of ``resource-in.rq``'s sub-select, replaced by a page's.
_PAGE_CLAUSE = re.compile(r"LIMIT \d+ OFFSET \d+")


# --- our resources -------------------------------------------------------------------------


Grounded = dict[tuple[Node | None, Node | None, Node | None], dict[str, object]]


def grounding(engine: Engine, iri: str, page: tuple[int, int] | None = None) -> Grounded:
    """Each statement of the release graph ``iri`` makes (``page`` None) or, for ``page``
    (limit, offset) of the statements pointing to it, each of those: the id of its row (None
    when no statement node grounds it) and the quotes that state it."""
    found: Grounded = {}
    if page is None:
        rows = engine.query(GROUNDING.text, {"resource": URIRef(iri)})
    else:
        rows = engine.query(paged(IN_GROUNDING.text, *page), {"resource": URIRef(iri)})
    for _, subject, prop, value, statement, annotation, exact, source_file in rows:
        entry = found.setdefault((subject, prop, value), {"row": None, "quotes": []})
        if statement is None or annotation is None:
            continue
        entry["row"] = statement_row(str(statement))
        quotes: list[dict[str, object]] = entry["quotes"]  # type: ignore[assignment]
        quotes.append(
            {
                "exact": str(exact),
                "annotation": view(annotation),
                "href": anchor_href(
                    str(source_file) if source_file is not None else None, str(annotation)
                ),
            }
        )
    return found


def paged(text: str, limit: int, offset: int) -> str:
    """``text`` (a query with one ``LIMIT n OFFSET m``) with the page's limit and offset."""
    if len(_PAGE_CLAUSE.findall(text)) != 1:
        raise ValueError("a paged query needs exactly one 'LIMIT n OFFSET m'")
    return _PAGE_CLAUSE.sub(f"LIMIT {int(limit)} OFFSET {int(offset)}", text)


def incoming_total(engine: Engine, iri: str) -> int:
    """How many statements (subject, property) point to ``iri``: resource-in.rq's rows."""
    row = next(iter(engine.query(INCOMING_COUNT.text, {"resource": URIRef(iri)})), None)
    return int(str(row[1])) if row is not None and row[1] is not None else 0


_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")


def page_number(raw: str | None) -> int:
    """The ``?page=`` of an entity page or the index (1 when absent); BadRequest unless a
    number from 1 written plainly."""
    if raw is None:
        return 1
    if not _PAGE_NUMBER.fullmatch(raw):  # one spelling per page: no sign, no leading zero
        raise BadRequest(f"page must be a whole number from 1, not {raw!r}")
    return int(raw)


def resource_page(
    engine: Engine, iri: str, page: int = 1, limit: int = 500
) -> dict[str, object] | None:
    """Everything the resource page shows about ``iri``, or None if the graph has nothing;
    the statements pointing to it by pages of ``limit`` (page ``page``, from 1)."""
    bound = {"resource": URIRef(iri)}
    summary = list(engine.query(SUMMARY.text, bound))
    if not summary:
        return None
    label = next((row[3] for row in summary if row[3] is not None), None)
    description = next((row[4] for row in summary if row[4] is not None), None)
    types = [labelled(str(row[1])) for row in summary if row[1] is not None]
    grounded = grounding(engine, iri)
    statements: list[tuple[TermView, TermView, dict[str, object] | None]] = []
    parts: dict[str, list[tuple[TermView, TermView]]] = {}
    outgoing = list(engine.query(OUTGOING.text, bound))
    for part in hash_parts().get(iri, ()):  # after the resource's: ORDER BY ?subject kept
        outgoing += engine.query(OUTGOING.text, {"resource": URIRef(part)})
    for _, subject, prop, value, value_label in outgoing:
        pair = (view(prop), view(value, value_label))
        if subject == URIRef(iri):
            statements.append((*pair, grounded.get((subject, prop, value))))
        else:
            parts.setdefault(str(subject), []).append(pair)
    # the statements pointing to it: this page's, grounded for this page's rows only (a
    # statement whose subject is ``iri`` too was grounded with its own statements)
    window = (limit, (page - 1) * limit)
    grounded_in = grounding(engine, iri, window)
    incoming = [
        (
            view(subject, subject_label),
            view(prop),
            (grounded if subject == URIRef(iri) else grounded_in).get((subject, prop, URIRef(iri))),
        )
        for _, subject, prop, subject_label in engine.query(paged(INCOMING.text, *window), bound)
    ]
    total = incoming_total(engine, iri) if len(incoming) == limit or page > 1 else len(incoming)
    passages = [
        href
        for _, source_file in engine.query(ANNOTATION_SOURCE.text, bound)
        if (href := anchor_href(str(source_file), iri)) is not None
    ]
    quotes = [
        {
            "annotation": view(annotation),
            "release": view(release),
            "exact": str(exact),
            "prefix": str(prefix) if prefix is not None else "",
            "suffix": str(suffix) if suffix is not None else "",
            "source": view(source) if source is not None else None,
            "href": anchor_href(str(source) if source is not None else None, str(annotation)),
        }
        for _, annotation, release, exact, prefix, suffix, source in engine.query(
            QUOTES.text, bound
        )
    ]
    shown = str(label) if label is not None else view(URIRef(iri)).text
    lead = lead_sentence(
        shown,
        [str(row[1]) for row in summary if row[1] is not None],
        list(engine.query(RELATIONS.text, bound)),
        statements,
    )
    statement_groups, provenance_groups = group_rows(statements)
    incoming_groups, incoming_provenance = group_rows([(p, s, g) for s, p, g in incoming])
    links: dict[str, list[dict[str, TermView | None]]] = {}
    for _, _, dataset, prop, target, source in engine.query(LINKS.text, bound):
        links.setdefault(str(dataset), []).append(
            {
                "property": view(prop),
                "target": view(target),
                "source": view(source) if source is not None else None,
            }
        )
    return {
        "iri": iri,
        "label": shown,
        "named": label is not None,
        "lead": lead,
        "statement_groups": statement_groups,
        "incoming_groups": incoming_groups,
        "provenance_groups": provenance_groups,
        "incoming_provenance": incoming_provenance,
        "provenance_count": sum(len(g.values) for g in provenance_groups + incoming_provenance),
        "description": str(description) if description is not None else None,
        "types": types,
        "statements": statements,
        "parts": parts,
        "incoming": incoming,
        "incoming_paging": _paging(page, limit, len(incoming), total),
        "quotes": quotes,
        "passages": passages,
        "links": list(links.items()),  # (dataset, links into it), in the query's order
        "picture": picture_path(iri),
        **_neighbourhood(iri),
    }


def _paging(page: int, limit: int, shown: int, total: int) -> dict[str, int] | None:
    """What the page says of its incoming list when it is not whole: rows ``first``-``last``
    of ``total``, page ``page`` of ``pages``; None when the list is whole."""
    if total <= limit:
        return None
    first = (page - 1) * limit + 1
    pages = -(-total // limit)
    return {"first": first, "last": first + shown - 1, "total": total, "page": page, "pages": pages}


def _neighbourhood(iri: str) -> dict[str, object]:
    """The resource page's picture of ``iri``'s neighbourhood (inline SVG) and its legend."""
    drawn = neighbourhood(iri)
    svg = neighbourhood_svg(iri)
    if drawn is None or svg is None:
        return {"picture_svg": None, "picture_legend": [], "picture_cut": None}
    cut = None
    if drawn.neighbours is not None:
        cut = {"shown": len(drawn.nodes) - 1, "total": drawn.neighbours}
    return {
        "picture_svg": inline(svg, "picture-caption"),
        "picture_legend": legend(drawn),
        "picture_cut": cut,
    }


def describe(engine: Engine, iri: str) -> QueryResult:
    """``describe.rq`` for ``iri`` and each of its parts (:func:`.derived.hash_parts`), merged."""
    result = engine.query(DESCRIBE.text, {"resource": URIRef(iri)})
    for part in hash_parts().get(iri, ()):
        result.extend(engine.query(DESCRIBE.text, {"resource": URIRef(part)}))
    return result


#: Resources on one page of ``/id/`` (app config ``INDEX_PAGE_SIZE``): the release's fit on
#: one; at 1M triples the index is paged (``?page=N``) instead of one 20 MB page.
INDEX_PAGE_SIZE = 1000


def own(engine: Engine, iri: str) -> QueryResult:
    """``resource-own.rq`` for ``iri`` and each of its parts: what the page embeds."""
    result = engine.query(OWN.text, {"resource": URIRef(iri)})
    for part in hash_parts().get(iri, ()):
        result.extend(engine.query(OWN.text, {"resource": URIRef(part)}))
    return result


@bp.get("/id/")
def index() -> Response:
    """The index of our resources for readers: by kind (``data/index-groups.json``), with the
    provenance nodes (annotations, statement nodes, citations) apart; ``INDEX_PAGE_SIZE`` of
    them per page (``?page=N``, from 1: a malformed number is a 400, one past the end a 404)."""
    size = max(1, int(current_app.config.get("INDEX_PAGE_SIZE", INDEX_PAGE_SIZE)))
    number = page_number(request.args.get("page"))
    # grouped once: at 100k triples the index lists ~18,000 resources
    groups = state().cached("resource-index-groups", lambda: index_groups(our_resources()))
    ordered = [*groups[0], groups[2], *groups[1]]  # reader groups, other, provenance groups
    total = sum(len(group.members) for group in ordered)
    pages = max(1, -(-total // size))
    if number > pages:
        abort(404, description=f"page {number}: the index has {pages} pages of {size}")

    def render() -> str:
        return render_template("resource_index.html", **_index_page(groups, number, size, total))

    # each page rendered once (bounded: at most INDEX_PAGE_SIZE resources)
    body = state().cached(f"resource-index-page-{size}-{number}", render)
    return Response(body, 200, content_type="text/html; charset=utf-8")


def _index_page(
    groups: tuple[list[IndexGroup], list[IndexGroup], IndexGroup],
    number: int,
    size: int,
    total: int,
) -> dict[str, object]:
    """The template values of page ``number`` of ``/id/``: each group cut to its members on
    this page, the groups' totals, where each group starts and the pager."""
    reader, provenance, other = groups
    first, last = (number - 1) * size, number * size
    start: dict[str, int] = {}
    cut: dict[str, IndexGroup] = {}
    offset = 0
    for group in [*reader, other, *provenance]:
        count = len(group.members)
        start[group.id] = offset // size + 1
        cut[group.id] = IndexGroup(
            group.id, group.title, group.members[max(0, first - offset) : max(0, last - offset)]
        )
        offset += count
    pages = max(1, -(-total // size))

    def href(anchor: str, group_id: str) -> str:
        """A link to ``anchor`` where group ``group_id`` starts."""
        here = cut[group_id].members or start[group_id] == number
        return f"#{anchor}" if here else f"?page={start[group_id]}#{anchor}"

    first_provenance = next((g.id for g in provenance if g.members), provenance[0].id)
    return {
        "reader": [cut[g.id] for g in reader],
        "provenance": [cut[g.id] for g in provenance],
        "other": cut[other.id],
        "totals": {g.id: len(g.members) for g in [*reader, other, *provenance]},
        "href": href,
        "provenance_href": href("provenance", first_provenance),
        "provenance_total": sum(len(g.members) for g in provenance),
        "provenance_here": any(cut[g.id].members for g in provenance) or pages == 1,
        "total": total,
        "page": number,
        "pages": pages,
        "shown": (first + 1, min(last, total)),
    }


@bp.get("/id/<path:rest>")
def resource(rest: str) -> Response:
    """Everything the graph says about ``BASE/id/<rest>``, with its grounding quotes."""
    rest, forced = split_suffix(iri_path(rest))
    iri = f"{BASE}id/{rest}"
    path = f"/id/{rest}"
    fmt = negotiate(forced)
    engine = state().engine
    number = page_number(request.args.get("page"))
    if fmt is HTML:
        limit = int(current_app.config["ENTITY_LIST_LIMIT"])
        page = resource_page(engine, iri, number, limit)
        if page is None:
            return not_found(iri, resource_candidates())
        if number > 1 and not page["incoming"]:
            abort(404, f"page {number} is past the last page of statements pointing to {iri}")
        described = Graph().parse(data=own(engine, iri).serialize("ntriples"), format="nt")
        context_path = context_file(state().resources)
        context = context_of(context_path) if context_path.is_file() else None
        body = render_template(
            "resource.html",
            alternates=alternates(path),
            jsonld=embedded_jsonld(described, iri, context, public_url("/context.jsonld")),
            **page,
        )
        return html_response(body, path)
    result = describe(engine, iri)
    if not any(True for _ in result):
        return not_found(iri, resource_candidates())
    return rdf_response(result.serialize(fmt), fmt, path)


# --- the ontology --------------------------------------------------------------------------


def _fragment(iri: str) -> str:
    return iri.split("#", 1)[1] if "#" in iri else iri


def _add_inverses(terms: dict[str, dict[str, object]], instances: dict[str, int]) -> None:
    """Give each class of ``terms`` the properties whose domain (``in_domain_of``) or range
    (``in_range_of``) it is, and its number of ``instances``."""
    for term_iri, entry in terms.items():
        relations: dict[str, list[TermView]] = entry["relations"]  # type: ignore[assignment]
        for relation, inverse in (("rdfs:domain", "in_domain_of"), ("rdfs:range", "in_range_of")):
            for cls in relations.get(relation, []):
                if cls.value in terms:
                    listed = terms[cls.value].setdefault(inverse, [])
                    listed.append(view(URIRef(term_iri)))  # type: ignore[attr-defined]
        entry["instances"] = instances.get(term_iri, 0)


def ontology_page(graph: Graph, instances: dict[str, int] | None = None) -> dict[str, object]:
    """What the ontology documentation shows: its header, classes (with their ``instances``
    in the data, and the properties whose domain or range they are) and properties."""
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
    _add_inverses(terms, instances or {})
    classes = [t for t in terms.values() if t["kind"] == "owl:Class"]
    properties = [t for t in terms.values() if t["kind"] != "owl:Class"]
    return {"header": header, "classes": classes, "properties": properties}


def class_instances(engine: Engine) -> dict[str, int]:
    """How many resources of the data each class (IRI) types."""
    rows = engine.query(CLASS_INSTANCES.text)
    return {
        str(cls): int(str(count)) for cls, count in rows if cls is not None and count is not None
    }


@bp.get("/ontology")
@bp.get("/ontology<any('.ttl','.nt','.jsonld','.rdf','.html'):suffix>")
def ontology(suffix: str = "") -> Response:
    """The ontology document (its terms' hash IRIs resolve to it), as HTML or RDF."""
    fmt = negotiate(SUFFIXES.get(suffix))
    graph = ontology_graph()
    if fmt is HTML:
        body = state().cached(
            _ONTOLOGY_PAGE,
            lambda: render_template(
                "ontology.html",
                alternates=alternates("/ontology"),
                class_diagram=inline(class_diagram_svg(), "class-diagram-caption"),
                **ontology_page(graph, class_instances(state().engine)),
            ),
        )
        return html_response(body, "/ontology")
    return rdf_response(graph.serialize(format=RDFLIB_NAMES[fmt.name]), fmt, "/ontology")


@bp.get("/ontology/<version>")
def ontology_version(version: str) -> Response:
    """The ontology's version IRI (``BASE/ontology/<owl:versionInfo>``): the same document."""
    graph = ontology_graph()
    known = {str(v) for v in graph.objects(URIRef(ONTOLOGY), OWL.versionInfo)}
    version, forced = split_suffix(iri_path(version))
    if version not in known:
        return not_found(f"{ONTOLOGY}/{version}", {f"/ontology/{v}": v for v in known})
    suffix = next((s for s, f in SUFFIXES.items() if f is forced), "")
    return ontology(suffix)


# --- named graphs and sources --------------------------------------------------------------


@bp.get("/graph/<name>")
def named_graph(name: str) -> Response:
    """One named graph, whole (``BASE/graph/<name>``)."""
    name, forced = split_suffix(iri_path(name))
    graphs = {d.graph: d for d in current_dumps().values() if d.graph is not None}
    if name not in graphs:
        return not_found(f"{BASE}graph/{name}", {f"/graph/{n}": n for n in sorted(graphs)})
    fmt = negotiate(forced)
    if fmt is HTML:
        body = state().cached(f"graph-page:{name}", lambda: graph_page_html(name))
        return html_response(body, f"/graph/{name}")
    dump = next(  # the bytes /dumps/ serves: serialized once, never per request
        (d for d in current_dumps().values() if d.graph == name and d.format.name == fmt.name),
        None,
    )
    if dump is None:  # a graph format without a dump: keep the registry honest
        abort(404)
    if dump.body is not None:
        return rdf_response(dump.body, fmt, f"/graph/{name}")
    response = rdf_response(b"", fmt, f"/graph/{name}")
    response.response = dump.chunks()  # type: ignore[assignment]  # the file, a MiB at a time
    response.content_length = dump.size
    return response


def graph_page_html(name: str) -> str:
    """The page of the named graph ``name`` for people: what it holds (its description from
    the metadata graph, statement count, classes present), its dumps and a sample of subjects."""
    engine = state().engine
    bound = {"graph": URIRef(f"{BASE}graph/{name}")}
    about = next(iter(engine.query(GRAPH_ABOUT.text, bound)), None)
    classes = [
        {"cls": labelled(str(cls)), "instances": int(str(count))}
        for _, cls, count in engine.query(GRAPH_CLASSES.text, bound)
    ]
    subjects = [
        view(subject, label) for _, subject, label in engine.query(GRAPH_SUBJECTS.text, bound)
    ]
    dumps = sorted(
        (d for d in current_dumps().values() if d.graph == name), key=lambda d: d.filename
    )
    return render_template(
        "graph.html",
        name=name,
        iri=f"{BASE}graph/{name}",
        title=str(about[3]) if about is not None and about[3] is not None else None,
        description=str(about[4]) if about is not None and about[4] is not None else None,
        triples=int(str(about[1])) if about is not None else 0,
        subjects_count=int(str(about[2])) if about is not None else 0,
        classes=classes,
        subjects=subjects,
        dumps=dumps,
        alternates=alternates(f"/graph/{name}"),
    )


#: What ``/source/<stem>`` is negotiated in: the text (first: ``*/*``), or its page.
PLAIN = OutputFormat("text", "graph", ("text/plain",), ".txt", "Text")
SOURCE_FORMATS: dict[str, OutputFormat] = {"text": PLAIN, "html": HTML}


@bp.get("/source/<name>")
def source(name: str) -> Response:
    """A release's text as received (``BASE/source/<name>``), e.g. ``release.txt``; its page
    (``BASE/source/<stem>``: the text with its quoted passages highlighted) for browsers."""
    folder = resource_dir("data", state().resources) / "source"
    files = {p.name: p for p in sorted(folder.glob("*")) if p.is_file()}
    if name not in files and f"{name}.txt" in files:
        return source_page_response(name, files[f"{name}.txt"].read_text(encoding="utf-8"))
    if name not in files:  # only listed names reach the file system: no long or odd paths
        listed = {f"/source/{n}": n for n in files}
        return not_found(f"{BASE}source/{iri_path(name)}", listed)
    return Response(files[name].read_bytes(), 200, content_type="text/plain; charset=utf-8")


def source_page_response(stem: str, raw: str) -> Response:
    """``/source/<stem>``: the page of ``<stem>.txt`` for browsers, else its text."""
    fmt = choose(request.headers.get("Accept"), SOURCE_FORMATS)
    if fmt is None:
        raise NoAcceptableFormat([f.media_type for f in SOURCE_FORMATS.values()])
    if fmt is PLAIN:
        response = Response(raw, 200, content_type=PLAIN.content_type)
    else:
        source_file = f"{SOURCE_SPACE}{stem}.txt"
        body = state().cached(
            f"source-page:{stem}",
            lambda: render_template(
                "source.html",
                stem=stem,
                text_href=f"/source/{stem}.txt",
                **source_page(state().engine, source_file, raw),
            ),
        )
        response = Response(body, 200, content_type="text/html; charset=utf-8")
    response.headers["Link"] = f'</source/{stem}.txt>; rel="alternate"; type="text/plain"'
    response.vary.add("Accept")
    return response


@bp.get("/context.jsonld")
def jsonld_context() -> Response:
    """The JSON-LD context of our data (``BASE/context.jsonld``), for documents that use it."""
    body = state().cached("jsonld-context", lambda: context_file(state().resources).read_bytes())
    return Response(body, 200, content_type="application/ld+json; charset=utf-8")
