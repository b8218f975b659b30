"""The ``dhs-ai-kg`` command: validate, query, export, stats and serve the knowledge graph.

The composition root: it depends on the core (:mod:`dhs_ai_kg`) and the server
(:mod:`dhs_ai_kg_server`); neither imports it.

Results go to stdout, diagnostics to stderr. Exit codes: 0 success (or the data conforms),
1 the data does not conform to the shapes (``validate`` only), 2 error (bad arguments, a file
that does not parse, an unknown query, a malformed query, a missing resource).
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rdflib import BNode, Dataset, Graph, Literal, Node, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier
from rdflib.util import from_n3

from dhs_ai_kg import __version__

if TYPE_CHECKING:
    from dhs_ai_kg_server import FrontConfig, Listen

    from dhs_ai_kg.engine import Engine
from dhs_ai_kg.export import FORMATS, ExportError, export
from dhs_ai_kg.formats import REGISTRY, Kind, by_name, from_extension
from dhs_ai_kg.loading import DataFileError, bind_prefixes, load_dataset
from dhs_ai_kg.named_queries import NamedQueryError
from dhs_ai_kg.namespaces import PREFIXES

EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_ERROR = 2

EPILOG = """\
exit codes:
  0  success; for validate: the data conforms to the shapes
  1  validate only: the data does not conform
  2  error: bad arguments, a data file that does not parse (file:line:column on stderr),
     an unknown or malformed query, a missing resource

results go to stdout, diagnostics to stderr.
"""

#: ``query --format`` values: ``table``, then every registry format's name and aliases.
QUERY_FORMATS = tuple(dict.fromkeys(["table", *(n for f in REGISTRY for n in f.names)]))
#: ``export --format`` values: the export formats' names and aliases.
EXPORT_FORMATS = tuple(n for f in FORMATS.values() for n in f.names)
#: ``export --format`` values that are property graphs (not RDF).
PROPERTY_GRAPH_FORMATS = ("graphml", "gexf", "neo4j", "node-link", "cytoscape")


def _names(kind: Kind) -> str:
    """The format names of ``kind``, for help texts: ``json|xml|…``."""
    return "|".join(f.name for f in REGISTRY if f.kind == kind)


class CliError(Exception):
    """An error to report on stderr with exit code 2."""


def _say(stream: TextIO, text: str) -> None:
    stream.write(text if text.endswith("\n") or not text else text + "\n")


def _dataset(args: argparse.Namespace) -> Dataset:
    """The project dataset plus the graph folders given with ``--data``."""
    return load_dataset(_data_folders(args))


def _engine(args: argparse.Namespace) -> Engine:
    """An engine over the project dataset plus ``--data`` folders, parsed straight into
    pyoxigraph (no rdflib copy: ``query``, ``stats``, ``picture``, ``links check``)."""
    from dhs_ai_kg.engine import Engine
    from dhs_ai_kg.loading import load_store

    return Engine(load_store(_data_folders(args), statistics=True))


def _data_folders(args: argparse.Namespace) -> list[Path]:
    """The ``--data`` folders, each checked to be a folder."""
    folders = [Path(d) for d in args.data or []]
    for folder in folders:
        if not folder.is_dir():
            raise CliError(f"--data {folder}: not a folder")
    return folders


# --- validate -----------------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace) -> int:
    from dhs_ai_kg.loading import parse_turtle
    from dhs_ai_kg.resources import ontology_file, ontology_shapes_file
    from dhs_ai_kg.validation import (
        combine,
        load_ontology,
        load_ontology_shapes,
        load_shapes,
        validate,
        validate_ontology,
        validate_shapes_graph,
    )

    for option, value in (
        ("--shapes", args.shapes),
        ("--ontology", args.ontology),
        ("--ontology-shapes", args.ontology_shapes),
    ):
        if value is not None and not Path(value).is_file():
            raise CliError(f"{option} {value}: no such file")
    shapes = parse_turtle(Path(args.shapes)) if args.shapes else load_shapes()
    ontology_path = Path(args.ontology) if args.ontology else ontology_file()
    ontology = load_ontology(ontology_path)
    ontology_shapes = load_ontology_shapes(
        Path(args.ontology_shapes) if args.ontology_shapes else None
    )
    if args.check_shapes:
        for graph in (shapes, ontology_shapes):
            meta = validate_shapes_graph(graph) if graph is not None else None
            if meta is not None and not meta.conforms:
                _say(sys.stderr, "the shapes graph is not valid SHACL:\n" + meta.text())
                return EXIT_ERROR
    dataset = _dataset(args)
    # The loaded data lives until the command ends: the collector need not walk it again
    # on every full collection (at 1M triples those walks took 11-40 s of validation).
    gc.freeze()
    outcome = validate(dataset, shapes, ontology)
    if ontology is not None and ontology_shapes is not None:
        checked = validate_ontology(ontology, ontology_shapes, where=f"file {ontology_path}")
        outcome = combine(outcome, checked)
    elif ontology is not None:
        _say(
            sys.stderr,
            f"note: no ontology shapes at {ontology_shapes_file()}: "
            "the ontology's own header and term style are not checked",
        )
    _say(sys.stdout, outcome.turtle() if args.format == "turtle" else outcome.text())
    # pySHACL's working copy (the union plus the ontology's axioms) is cyclic garbage now,
    # 3.6M objects at 1M triples: free it here, not in whichever full collection comes next
    # (inside the quote check it took that step from 0.4 s to 3 s; else at exit).
    gc.collect()
    problems = _quote_problems(dataset, args)
    for problem in problems:
        _say(sys.stderr, f"grounding: {problem}")
    return EXIT_OK if outcome.conforms and not problems else EXIT_NONCONFORMING


def _quote_problems(dataset: Dataset, args: argparse.Namespace) -> list[str]:
    """Quotes not found exactly once in their release's text (``source/`` beside each graphs
    folder, ``data/source`` for the project's own); the dataset is read in place."""
    from dhs_ai_kg.grounding import quote_problems, release_texts
    from dhs_ai_kg.resources import resource_dir

    folders = [resource_dir("data") / "source"]
    folders += [Path(d).parent / "source" for d in args.data or []]
    return quote_problems(dataset, release_texts(dataset, folders))


# --- query --------------------------------------------------------------------------------

_KNOWN_PREFIX = re.compile(r"^([A-Za-z][\w.-]*)?:")


def parse_param(text: str) -> tuple[str, Identifier]:
    """``name=value`` → (name, RDF term); values use Turtle term syntax, bare text is a string.

    ``<iri>``, ``kg:org/mijente`` (a project prefix), ``"text"@en``, ``"1"^^xsd:integer``,
    ``42`` and ``true`` are read as Turtle terms; ``http(s):``/``urn:`` IRIs need no brackets;
    anything else is a plain string literal.
    """
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not re.fullmatch(r"\w+", name):
        raise CliError(f"--param {text!r}: expected NAME=VALUE")
    return name, _term(value)


def _term(value: str) -> Identifier:
    namespaces = bind_prefixes(Graph()).namespace_manager
    prefix = _KNOWN_PREFIX.match(value)
    if re.match(r"^(https?|urn):", value):
        return URIRef(value)
    turtle_like = value.startswith(("<", '"')) or (prefix and (prefix.group(1) or "") in PREFIXES)
    if turtle_like or re.fullmatch(r"[+-]?\d+(\.\d+)?|true|false", value):
        try:
            term = from_n3(value, nsm=namespaces)
        except Exception as exc:  # from_n3 raises several types for one cause: bad syntax
            raise CliError(f"--param value {value!r}: {exc}") from exc
        if isinstance(term, (URIRef, Literal, BNode)):
            return term
        raise CliError(f"--param value {value!r}: not an RDF term")
    return Literal(value)


def _query_and_bindings(args: argparse.Namespace) -> tuple[str, str, dict[str, Identifier]]:
    """(label, SPARQL text, bindings) for NAME, FILE or ``-``.

    A named query converts each ``--param`` by the type its header declares and refuses
    unknown or missing ones; a file or stdin takes Turtle term syntax (see parse_param).
    """
    ref: str = args.query
    if ref == "-":
        return "<stdin>", sys.stdin.read(), dict(parse_param(p) for p in args.param)
    path = Path(ref)
    if path.suffix == ".rq" or path.is_file():
        if not path.is_file():
            raise CliError(f"{ref}: no such query file")
        text = path.read_text(encoding="utf-8")
        return str(path), text, dict(parse_param(p) for p in args.param)
    from dhs_ai_kg.named_queries import NamedQueryError, find, load_named_queries

    try:
        named = find(load_named_queries(), ref)
    except LookupError as exc:
        raise CliError(str(exc)) from exc
    raw = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        name = name.strip().lstrip("?$")
        if not sep or not re.fullmatch(r"\w+", name):
            raise CliError(f"--param {item!r}: expected NAME=VALUE")
        raw[name] = value
    try:
        return named.name, named.text, dict(named.bind(raw))
    except NamedQueryError as exc:
        raise CliError(str(exc)) from exc


def _json_term(value: dict[str, str]) -> Node:
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    datatype = value.get("datatype")
    return Literal(
        value["value"],
        lang=value.get("xml:lang"),
        datatype=URIRef(datatype) if datatype else None,
    )


_PLAIN_DATATYPES = {
    XSD.string,
    XSD.integer,
    XSD.decimal,
    XSD.double,
    XSD.boolean,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.int,
    XSD.long,
}


def _cell(term: Node) -> str:
    """A term for a table cell: IRIs shortened, strings and numbers bare, other literals typed."""
    from dhs_ai_kg.validation import short

    if isinstance(term, Literal):
        text = " ".join(str(term).split()) if "\n" in str(term) else str(term)
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is None or term.datatype in _PLAIN_DATATYPES:
            return text
        return f"{text}^^{short(term.datatype)}"
    return short(term)


def results_table(results_json: str) -> str:
    """SPARQL JSON results (SELECT or ASK) as an aligned plain-text table."""
    data = json.loads(results_json)
    if "boolean" in data:
        return f"{'true' if data['boolean'] else 'false'}\n"
    names: list[str] = data["head"].get("vars", [])
    rows = [
        [_cell(_json_term(b[n])) if n in b else "" for n in names]
        for b in data["results"]["bindings"]
    ]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(names), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    out.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(out) + "\n"


def _cmd_query(args: argparse.Namespace) -> int:
    from dhs_ai_kg.engine import QueryError

    label, text, bindings = _query_and_bindings(args)
    try:
        result = _engine(args).query(text, bindings)
        fmt = args.format or ("turtle" if result.kind == "graph" else "table")
        if fmt == "table":
            if result.kind == "graph":
                raise CliError(f"--format table is for SELECT/ASK; use {_names('graph')}")
            data = results_table(result.serialize("json").decode("utf-8"))
        else:
            found = by_name(fmt, "graph" if result.kind == "graph" else "results")
            data = result.serialize(found.name if found else fmt).decode("utf-8")
    except (QueryError, ValueError) as exc:
        raise CliError(f"{label}: {exc}") from exc
    sys.stdout.write(data)
    return EXIT_OK


# --- export, stats ------------------------------------------------------------------------


def _cmd_export(args: argparse.Namespace) -> int:
    chosen = by_name(args.format, "graph") if args.format else None
    if chosen is None and args.output:
        chosen = from_extension(Path(args.output).suffix, "graph")
    fmt = chosen.name if chosen else "trig"
    try:
        text = export(_dataset(args), fmt, args.graph, union=args.union)
    except ExportError as exc:
        raise CliError(str(exc)) from exc
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        _say(sys.stderr, f"wrote {args.output} ({FORMATS[fmt].label})")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _cmd_export_any(args: argparse.Namespace) -> int:
    """``export``: a property-graph format (:mod:`dhs_ai_kg.property_graph`) or RDF."""
    from dhs_ai_kg import property_graph as pg

    fmt = pg.format_for(name=args.format) if args.format else pg.format_for(filename=args.output)
    if fmt is None:
        if len(args.graph or []) > 1 or args.no_provenance or args.language_tags:
            raise CliError("an RDF export takes one --graph, no --no-provenance/--language-tags")
        args.graph = args.graph[0] if args.graph else None
        return _cmd_export(args)
    if args.union:
        raise CliError("--union is for RDF formats (a property graph always merges its graphs)")
    try:
        graph = pg.property_graph(
            _dataset(args),
            args.graph,
            provenance=not args.no_provenance,
            language_tags=args.language_tags,
        )
        if fmt.name == "neo4j" and args.output and not args.output.lower().endswith(".zip"):
            written = pg.write_neo4j_folder(graph, Path(args.output))
            _say(sys.stderr, f"wrote {len(written)} files to {args.output} ({fmt.label})")
            return EXIT_OK
        body = pg.serialize(graph, fmt.name)
    except pg.PropertyGraphError as exc:
        raise CliError(str(exc)) from exc
    if args.output:
        Path(args.output).write_bytes(body)
        _say(sys.stderr, f"wrote {args.output} ({fmt.label})")
    elif fmt.binary:
        raise CliError(f"{fmt.label}: give --output FILE.zip or --output DIR")
    else:
        sys.stdout.write(body.decode("utf-8"))
    return EXIT_OK


def _add_property_graph_options(export_cmd: argparse.ArgumentParser) -> None:
    """The ``export`` options only property-graph formats take."""
    export_cmd.add_argument(
        "--no-provenance",
        action="store_true",
        help="property graphs: leave out the provenance graph",
    )
    export_cmd.add_argument(
        "--language-tags",
        action="store_true",
        help='property graphs: keep language tags in values ("text@en"; default: dropped)',
    )


def _cmd_stats(args: argparse.Namespace) -> int:
    from dhs_ai_kg.stats import compute_stats

    stats = compute_stats(_engine(args))
    sys.stdout.write(stats.to_json() if args.format == "json" else stats.table())
    return EXIT_OK


# --- serve --------------------------------------------------------------------------------


def serve(
    listen: Listen, front: FrontConfig, app_config: dict[str, object], quiet: bool = False
) -> None:
    """Run the HTTP server until SIGTERM: the CLI's one call into the server's runner."""
    import dhs_ai_kg_server  # loaded only to serve: the other commands need no Flask

    dhs_ai_kg_server.run(listen, front, app_config=app_config, quiet=quiet)


def _cmd_serve(args: argparse.Namespace) -> int:
    from dhs_ai_kg_server import FrontConfig, Listen  # the server's types, only to serve

    for name, value in (
        ("--max-body", args.max_body),
        ("--threads", args.threads),
        ("--query-processes", args.query_processes),
        ("--query-memory", args.query_memory),
        ("--max-answer-bytes", args.max_answer_bytes),
        ("--max-connections", args.max_connections),
    ):
        if value < 1:
            raise CliError(f"{name} must be at least 1")
    if min(args.timeout, args.header_timeout, args.body_timeout) <= 0 or args.max_rows < 0:
        raise CliError("timeouts must be positive and --max-rows not negative")
    if min(args.queue, args.answer_cache, args.response_cache) < 0:
        raise CliError("--queue, --answer-cache and --response-cache must not be negative")
    public_base = args.public_base or f"http://{_url_host(args.host)}:{args.port}/"
    if not public_base.startswith(("http://", "https://")):
        raise CliError("--public-base must be an http:// or https:// URL")
    config: dict[str, object] = {
        "QUERY_TIMEOUT": args.timeout,
        "MAX_ROWS": args.max_rows,
        "MAX_ANSWER_BYTES": args.max_answer_bytes,
        "MAX_CONTENT_LENGTH": args.max_body,
        "MAX_FORM_MEMORY_SIZE": args.max_body,
        "SERVICE_ALLOWLIST": list(args.service_allow or []),
        "QUERY_PROCESSES": args.query_processes,
        "QUERY_MEMORY": args.query_memory * 1024 * 1024,
        "ANSWER_CACHE": args.answer_cache * 1024 * 1024,
        **_share_config(args),
        "DATA": [str(folder) for folder in _data_folders(args)],
    }
    front = FrontConfig(
        threads=args.threads,
        queue=args.queue,
        queue_timeout=args.timeout,
        max_body=args.max_body,
        body_timeout=args.body_timeout,
        public_base=None if args.trust_proxy and not args.public_base else public_base,
        trust_proxy=args.trust_proxy,
        response_cache=args.response_cache * 1024 * 1024,
    )
    listen = Listen(
        host=args.host,
        port=args.port,
        header_timeout=args.header_timeout,
        max_connections=args.max_connections,
    )
    serve(listen, front, config, quiet=args.quiet)
    return EXIT_OK


# --- serve: short links (/q/<key>) ----------------------------------------------------------


def _add_share_options(serve: argparse.ArgumentParser) -> None:
    """The ``serve`` flags of the short-link store (off unless ``--share-dir`` is given)."""
    serve.add_argument(
        "--share-dir",
        metavar="DIR",
        help="keep shared queries (their text only) in DIR for /q/<key> links; default: off "
        "(only the named queries have short links)",
    )
    serve.add_argument(
        "--share-max-queries",
        type=int,
        default=10000,
        metavar="N",
        help="most queries kept in --share-dir; more are refused with 507 (default 10000)",
    )
    serve.add_argument(
        "--share-max-bytes",
        type=int,
        default=64 * 1024 * 1024,
        metavar="BYTES",
        help="most bytes kept in --share-dir; more are refused with 507 (default 64 MiB)",
    )
    serve.add_argument(
        "--share-rate",
        type=float,
        default=30.0,
        metavar="N",
        help="new queries kept a minute, all clients together; more → 429 (default 30)",
    )


def _share_config(args: argparse.Namespace) -> dict[str, object]:
    """The app config of the short-link flags (per query: --max-body, the endpoint's limit)."""
    from dhs_ai_kg.shared_queries import MAX_ENTRIES

    if not 1 <= args.share_max_queries <= MAX_ENTRIES:
        raise CliError(f"--share-max-queries must be between 1 and {MAX_ENTRIES}")
    if args.share_max_bytes < 1 or args.share_rate <= 0:
        raise CliError("--share-max-bytes and --share-rate must be positive")
    return {
        "SHARE_DIR": args.share_dir,
        "SHARE_MAX_ENTRIES": args.share_max_queries,
        "SHARE_MAX_BYTES": args.share_max_bytes,
        "SHARE_RATE": args.share_rate,
    }


def _url_host(host: str) -> str:
    """``host`` as it is written in a URL (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


# --- picture, links check (issue 7) -------------------------------------------------------


def _cmd_picture(args: argparse.Namespace) -> int:
    from dhs_ai_kg.pictures import (
        PictureError,
        UnknownEntity,
        entity_iri,
        load_picture,
        render_svg,
        to_dot,
    )

    picture = load_picture(_engine(args))
    try:
        if args.entity:
            picture = picture.neighbourhood(entity_iri(args.entity))
        svg = render_svg(to_dot(picture))
    except (PictureError, UnknownEntity) as exc:
        raise CliError(str(exc).strip("'\"")) from exc
    if args.output:
        Path(args.output).write_bytes(svg)
        _say(sys.stderr, f"wrote {args.output} ({len(picture.nodes)} nodes, SVG)")
    else:
        sys.stdout.write(svg.decode("utf-8"))
    return EXIT_OK


def _cmd_links_check(args: argparse.Namespace) -> int:
    from dhs_ai_kg.linkcheck import Options, Progress, check_links, link_targets

    if min(args.timeout, args.total, args.rate) <= 0:
        raise CliError("--timeout, --total and --rate must be positive")
    if args.base_url and not args.base_url.startswith(("http://", "https://")):
        raise CliError("--base-url must be an http:// or https:// URL")
    iris = link_targets(_engine(args))
    options = Options(
        timeout=args.timeout,
        total=args.total,
        rate=args.rate,
        offline=args.offline,
        base_url=args.base_url,
    )
    report = check_links(iris, options, Progress(sys.stderr))
    sys.stdout.write(report.table())
    if report.no_network:
        _say(sys.stderr, f"dhs-ai-kg links check: nothing checked: {report.no_network}")
        return EXIT_ERROR
    return EXIT_NONCONFORMING if report.broken else EXIT_OK


def _add_picture_and_links(verb: Callable[..., argparse.ArgumentParser]) -> None:
    """The ``picture`` and ``links check`` commands."""
    picture = verb(
        "picture", "draw the release graph, or one resource's neighbourhood, as SVG", _cmd_picture
    )
    picture.add_argument(
        "--entity",
        metavar="IRI",
        help="draw this resource's neighbourhood: an IRI, kg:org/omb, /id/org/omb or org/omb",
    )
    picture.add_argument("--output", "-o", metavar="FILE", help="write here, not stdout")
    _add_data_option(picture)

    links = verb("links", "work with the links to other datasets", lambda _: EXIT_ERROR)
    actions = links.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="resolve every external IRI of the links graph (exit 1 if some are broken; "
        "2 if there is no network)",
        description="Resolve every external IRI of the links graph: HEAD (GET when HEAD is "
        "refused), redirects followed and reported, a table on stdout, progress on stderr.",
    )
    check.set_defaults(run=_cmd_links_check)
    check.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="to connect, and for each read (default 10)",
    )
    check.add_argument(
        "--total",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="for the whole check; the rest is skipped (default 600)",
    )
    check.add_argument(
        "--rate",
        type=float,
        default=1.0,
        metavar="N",
        help="requests per second to one host, at most (default 1)",
    )
    check.add_argument(
        "--offline", action="store_true", help="make no request; list what is skipped"
    )
    check.add_argument(
        "--base-url",
        metavar="URL",
        help="send every request to URL/<host>/<path> instead (a mirror, a test server)",
    )
    _add_data_option(check)


# --- push (issue 7: any Graph Store Protocol store) ----------------------------------------

EXIT_REFUSED = 1
#: ``dhs_ai_kg.push.PushTarget.max_bytes``'s default (the CLI never imports push at start-up).
PUSH_MAX_BYTES = 1_000_000


def _cmd_push(args: argparse.Namespace) -> int:
    """PUT each named graph to a Graph Store Protocol endpoint; exit 1 if the store refuses."""
    import getpass
    import os

    from dhs_ai_kg.loading import load_store
    from dhs_ai_kg.push import PushRefused, PushTarget, push

    password = None
    if args.user is not None:
        password = os.environ.get(args.password_env)
        if password is None:
            if not sys.stdin.isatty():
                raise CliError(f"--user needs a password: set {args.password_env}")
            password = getpass.getpass(f"password for {args.user} at {args.endpoint}: ")
    target = PushTarget(args.endpoint, args.user, password, args.timeout, args.max_request_bytes)
    try:
        store = load_store(_data_folders(args))  # pyoxigraph: no rdflib copy (issue 10)
        sent = push(store, target, lambda line: _say(sys.stderr, line))
    except PushRefused as refused:
        _say(sys.stderr, f"dhs-ai-kg push: error: {refused}")
        return EXIT_REFUSED
    _say(sys.stderr, f"{sum(sent.values())} triples in {len(sent)} graphs sent to {args.endpoint}")
    return EXIT_OK


def _add_push(verb: Callable[..., argparse.ArgumentParser]) -> None:
    push = verb(
        "push",
        "send the dataset to a SPARQL 1.1 Graph Store Protocol store (one PUT per named graph)",
        _cmd_push,
    )
    push.add_argument(
        "--endpoint",
        required=True,
        metavar="URL",
        help="the store's Graph Store Protocol URL (e.g. http://host:8890/sparql-graph-crud-auth)",
    )
    push.add_argument("--user", metavar="NAME", help="answer the store's Basic/Digest challenge")
    push.add_argument(
        "--password-env",
        default="DHS_AI_KG_PASSWORD",
        metavar="VAR",
        help="environment variable holding the password (default DHS_AI_KG_PASSWORD; "
        "asked on the terminal when unset)",
    )
    push.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    push.add_argument(
        "--max-request-bytes",
        type=int,
        default=PUSH_MAX_BYTES,
        metavar="N",
        help=f"send a graph over N bytes of N-Triples as a PUT then POSTs (default {PUSH_MAX_BYTES}"
        "; Virtuoso 7 resets a body of ~4 MB; 0: one PUT per graph)",
    )
    _add_data_option(push)


# --- parser -------------------------------------------------------------------------------


def _add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        action="append",
        metavar="DIR",
        help="an extra folder of <graph>.ttl files to load beside data/graphs (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dhs-ai-kg`` command."""
    parser = argparse.ArgumentParser(
        prog="dhs-ai-kg",
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbs = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def verb(
        name: str, help_text: str, run: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        sub = verbs.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=run)
        return sub

    validate = verb("validate", "validate the dataset against the SHACL shapes", _cmd_validate)
    validate.add_argument("--format", choices=("text", "turtle"), default="text")
    validate.add_argument("--shapes", metavar="FILE", help="shapes graph (default: the project's)")
    validate.add_argument("--ontology", metavar="FILE", help="ontology (default: the project's)")
    validate.add_argument(
        "--ontology-shapes",
        metavar="FILE",
        help="shapes the ontology itself is checked against (default: the project's)",
    )
    validate.add_argument(
        "--check-shapes",
        action="store_true",
        help="first check the shapes against SHACL-for-SHACL (exit 2 if they are invalid)",
    )
    _add_data_option(validate)

    query = verb("query", "run a SPARQL query over the dataset", _cmd_query)
    query.add_argument(
        "query",
        metavar="NAME|FILE|-",
        help="a named query from queries/ (full name, unique prefix, or number: '1' is 01-…), "
        "a .rq file, or - for standard input",
    )
    query.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help='bind ?NAME to VALUE (Turtle term syntax: <iri>, kg:…, "text"@en, 42; '
        "bare text is a string); repeatable",
    )
    query.add_argument(
        "--format",
        choices=QUERY_FORMATS,
        metavar="FORMAT",
        help=f"table|{_names('results')} for SELECT/ASK (default table); {_names('graph')} "
        "for CONSTRUCT/DESCRIBE (default turtle); aliases such as nt, ttl, srj work too",
    )
    _add_data_option(query)

    export_cmd = verb("export", "serialize the dataset or one named graph", _cmd_export_any)
    export_cmd.add_argument(
        "--format",
        choices=(*EXPORT_FORMATS, *PROPERTY_GRAPH_FORMATS),
        metavar="FORMAT",
        help=f"{'|'.join(FORMATS)} (aliases such as nt, ttl, nq work too), or a property graph: "
        f"{'|'.join(PROPERTY_GRAPH_FORMATS)}; default: from the --output extension, else trig",
    )
    export_cmd.add_argument(
        "--graph",
        action="append",
        metavar="NAME",
        help="one named graph (file stem); property graphs: repeatable (default all)",
    )
    export_cmd.add_argument(
        "--union",
        action="store_true",
        help="with a one-graph format and no --graph: merge all graphs into one",
    )
    export_cmd.add_argument("--output", "-o", metavar="FILE", help="write here, not stdout")
    _add_data_option(export_cmd)
    _add_property_graph_options(export_cmd)

    stats = verb("stats", "count triples, subjects, classes and properties", _cmd_stats)
    stats.add_argument("--format", choices=("table", "json"), default="table")
    _add_data_option(stats)

    serve = verb("serve", "serve the dataset over HTTP (SPARQL endpoint, IRIs)", _cmd_serve)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--threads",
        type=int,
        default=4,
        metavar="N",
        help="requests the app works on at once (default 4)",
    )
    serve.add_argument(
        "--queue",
        type=int,
        default=32,
        metavar="N",
        help="requests that may wait for a thread; more are shed with 503 (default 32)",
    )
    serve.add_argument(
        "--query-processes",
        type=int,
        default=2,
        metavar="N",
        help="processes that run queries (default 2)",
    )
    serve.add_argument(
        "--query-memory",
        type=int,
        default=512,
        metavar="MIB",
        help="memory one query may use; more stops it with 422 (default 512 MiB)",
    )
    serve.add_argument(
        "--max-answer-bytes",
        type=int,
        default=16 * 1024 * 1024,
        metavar="BYTES",
        help="largest answer; more is refused with 422 (default 16 MiB)",
    )
    serve.add_argument(
        "--response-cache",
        type=int,
        default=32,
        metavar="MIB",
        help="memory for whole responses to repeated GETs, replayed by the front (the data "
        "never changes); 0: off (default 32)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=10000,
        metavar="N",
        help="connections open at once, idle ones included; more wait to be accepted "
        "(default 10000)",
    )
    serve.add_argument(
        "--answer-cache",
        type=int,
        default=64,
        metavar="MIB",
        help="memory for answers to repeated queries (the data never changes); 0: off (default 64)",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="time a client has to send its request headers (default 5)",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="time a client has to send its request body; then 408 (default 10)",
    )
    serve.add_argument(
        "--public-base",
        metavar="URL",
        help="the public URL the server is reached at, for every absolute URL it writes "
        "(default http://HOST:PORT/)",
    )
    serve.add_argument(
        "--trust-proxy",
        action="store_true",
        help="take scheme, host and prefix from X-Forwarded-Proto/-Host/-Prefix "
        "(only behind a proxy that sets them; --public-base wins)",
    )
    serve.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="query timeout: a query running longer is killed, 503 (default 10)",
    )
    serve.add_argument(
        "--max-rows",
        type=int,
        default=10000,
        metavar="N",
        help="most rows (triples) in an answer; more is refused with 422 (default 10000)",
    )
    serve.add_argument(
        "--max-body",
        type=int,
        default=1024 * 1024,
        metavar="BYTES",
        help="largest request body; more is refused with 413 (default 1 MiB)",
    )
    serve.add_argument(
        "--service-allow",
        action="append",
        metavar="HOST",
        help="a host SERVICE and FROM may name (repeatable; default none: no outbound request)",
    )
    _add_share_options(serve)
    _add_data_option(serve)
    serve.add_argument(
        "--quiet",
        action="store_true",
        help="no start-up progress on stderr (default: a live line on a terminal, else lines)",
    )
    _add_picture_and_links(verb)
    _add_push(verb)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see the module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    try:
        return int(args.run(args))
    except (CliError, DataFileError, ExportError, FileNotFoundError, NamedQueryError) as exc:
        _say(sys.stderr, f"dhs-ai-kg {args.command}: error: {exc}")
        return EXIT_ERROR
