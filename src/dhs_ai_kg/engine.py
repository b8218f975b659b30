"""The query engine: SPARQL over an in-memory pyoxigraph store, with typed errors.

The project's adapters (CLI, server) call :meth:`Engine.query` and map the exceptions below to
exit codes and HTTP statuses; nothing here imports Flask.

Behaviour worth knowing (pyoxigraph 0.5.13, measured):

- **Default graph**: the union of all graphs (``use_default_graph_as_union``), unless the
  caller names ``default_graphs``. ``named_graphs`` restricts what ``GRAPH`` sees.
- **Bindings** go in as pyoxigraph ``substitutions`` (RDF-dev SEP-0007), never by string
  formatting. A bound SELECT variable stays in the results, with its value on every row.
  Oxigraph refuses to substitute a variable the query does not project (even for ASK and
  CONSTRUCT, a variable absent from the query); that surfaces as :class:`QueryBindingError`
  naming the variable, and :mod:`dhs_ai_kg.named_queries` checks each declared parameter at
  load time so a named query cannot hit it. A binding applies to the top-level scope only: a
  sub-SELECT that does not project the variable keeps its own.
- **Refused before parsing** (see :mod:`dhs_ai_kg.sparql_guard`): ``SERVICE`` (pyoxigraph
  really POSTs the sub-query to the URL), SPARQL Update (``LOAD`` fetches), and queries over
  :class:`Limits`: nesting, path length, and the count of each operator and keyword kind
  (pyoxigraph dies with SIGSEGV at 960 nested calls, 2,240 nested groups, 2,688 ``BIND``,
  6,656 ``UNION``, 9,472 ``!``…; every limit is 1/10 of its measured threshold or less).
- **Base IRI**: relative IRIs in a query resolve against ``BASE`` (a service-defined base, as
  the SPARQL 1.1 Protocol allows), so ``CONSTRUCT { <s> <p> 1 } WHERE {}`` parses.
- **FROM / FROM NAMED** fetch nothing: they select graphs of the store (measured with a
  listener on 127.0.0.1 — no request; a FROM IRI the store lacks gives no rows). They are
  allowed, and a query with a dataset clause runs without the union default graph, because
  pyoxigraph ignores FROM when ``use_default_graph_as_union`` is on (measured).
- **The statistics graph** (:data:`STATISTICS_GRAPH`, counted at load by
  :func:`dhs_ai_kg.stats.add_statistics`) is derived, not data: :class:`Engine` takes it out
  of the store it is given into a store of its own (:attr:`Engine.statistics`), so nothing
  that reads :attr:`Engine.store` (union default graph, ``GRAPH ?g``, dumps, counts, graph
  lists, the dataset version) sees it. A query naming it in its dataset (``FROM`` / ``FROM
  NAMED`` / the protocol's graph parameters) runs on that small store; naming it together with
  data graphs is refused (no query can join the two stores). Measured at 100k and 1M
  triples, hiding it by naming the data graphs on every query instead cost nothing
  measurable, but would leave every other reader of the store to hide it too.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from typing import Literal as TypingLiteral
from urllib.parse import urlsplit

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD
from rdflib.term import Identifier

from .formats import REGISTRY, Format, table
from .namespaces import BASE, GRAPH, KG, PREFIXES
from .query_explain import Explanation, explain
from .sparql_guard import Scan, scan, target_host

__all__ = [
    "CONSTRUCT_FORMATS",
    "FORMATS",
    "GRAPH_FORMATS",
    "RESULTS_FORMATS",
    "STATISTICS_GRAPH",
    "Engine",
    "Limits",
    "OutboundRefused",
    "OutputFormat",
    "QueryBindingError",
    "QueryError",
    "QueryRefused",
    "QueryResult",
    "QuerySyntaxError",
    "QueryTooComplex",
    "UpdateRefused",
    "check_dataset",
    "check_query",
    "from_ox",
    "to_ox",
]

ResultKind = TypingLiteral["select", "ask", "graph"]

#: The derived graph of class and property counts (:mod:`dhs_ai_kg.stats`); not data.
STATISTICS_GRAPH = GRAPH["statistics"]


# --- errors --------------------------------------------------------------------------------


class QueryError(Exception):
    """Base of every error a query can raise here; adapters map subclasses to statuses."""


class QuerySyntaxError(QueryError, ValueError):
    """A malformed query; ``message`` is the parser's, ``line``/``column`` where it says;
    ``explanation`` the same in words (:func:`dhs_ai_kg.query_explain.explain`), if made."""

    def __init__(self, message: str, explanation: Explanation | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.explanation = explanation
        found = re.match(r"error at (\d+):(\d+)", message)
        self.line: int | None = int(found.group(1)) if found else None
        self.column: int | None = int(found.group(2)) if found else None


class QueryRefused(QueryError):
    """A query this read-only, offline engine will not run (update, ``SERVICE``)."""

    def __init__(self, message: str, keywords: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.keywords = tuple(keywords)


class OutboundRefused(QueryRefused):
    """``SERVICE`` (or ``FROM``, a dataset IRI) naming something outside our dataset whose
    host is not on the operator's allowlist."""


class UpdateRefused(QueryRefused):
    """SPARQL Update on a read-only engine (or without the operator's token)."""


class QueryTooComplex(QueryError):
    """A query over one of the engine's :class:`Limits` (nesting, path length, or the count
    of one operator or keyword); the message names the kind and the limit."""


class QueryBindingError(QueryError, ValueError):
    """A binding the engine cannot apply (e.g. a variable the query does not project)."""


# --- formats -------------------------------------------------------------------------------


#: The type of an answer format (an entry of :data:`dhs_ai_kg.formats.REGISTRY`, or one the
#: server adds, such as HTML).
OutputFormat = Format

#: SELECT/ASK result formats, by name (first entry is the default).
RESULTS_FORMATS: dict[str, OutputFormat] = table(f for f in REGISTRY if f.kind == "results")

#: CONSTRUCT/DESCRIBE formats that write one graph as such, by name (first is the default).
GRAPH_FORMATS: dict[str, OutputFormat] = table(
    f for f in REGISTRY if f.kind == "graph" and f.one_graph
)

#: CONSTRUCT/DESCRIBE answers of the SPARQL endpoint: every RDF format; the dataset-only ones
#: (TriG, N-Quads) write the answer's triples as the default graph of a dataset.
CONSTRUCT_FORMATS: dict[str, OutputFormat] = table(f for f in REGISTRY if f.kind == "graph")

#: Both tables, by result kind.
FORMATS: dict[str, dict[str, OutputFormat]] = {
    "results": RESULTS_FORMATS,
    "graph": GRAPH_FORMATS,
}


# --- terms ---------------------------------------------------------------------------------

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal


def to_ox(term: Identifier) -> OxTerm:
    """The pyoxigraph term for an rdflib IRI, blank node or literal."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot bind {term!r}: not an IRI, blank node or literal")


def from_ox(term: object) -> Identifier:
    """The rdflib term for a pyoxigraph term (``xsd:string`` literals come back plain)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == str(XSD.string) else datatype)
    raise TypeError(f"unsupported term in results: {term!r}")


def _graph_ref(term: Identifier) -> ox.NamedNode | ox.BlankNode | ox.DefaultGraph:
    if term == DATASET_DEFAULT_GRAPH_ID:
        return ox.DefaultGraph()
    converted = to_ox(term)
    if isinstance(converted, ox.Literal):
        raise QueryBindingError(f"a graph name cannot be a literal: {term!r}")
    return converted


# --- results -------------------------------------------------------------------------------

Row = tuple[Identifier | None, ...]
_RawResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class QueryResult:
    """The answer to one query: SELECT rows, an ASK boolean, or CONSTRUCT/DESCRIBE triples.

    Iterating gives rows of rdflib terms: for ``select`` one tuple per solution aligned with
    :attr:`variables` (``None`` where unbound); for ``graph`` ``(s, p, o)`` triples; for
    ``ask`` nothing (read :attr:`boolean`). pyoxigraph results are single-pass, so rows are
    kept once read; serializing SELECT results after iterating them runs the query again
    (``rerun``) to feed pyoxigraph's native serializer.
    """

    def __init__(
        self,
        raw: _RawResult,
        rerun: Callable[[], _RawResult] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        self._raw: _RawResult | None = raw
        self._rerun = rerun
        self._prefixes = dict(prefixes or {})
        self._rows: list[Row] | None = None
        self._triples: list[ox.Triple] | None = None
        self.boolean: bool | None = None
        self.kind: ResultKind
        self.variables: list[str]
        if isinstance(raw, ox.QueryBoolean):
            self.kind, self.variables, self.boolean = "ask", [], bool(raw)
        elif isinstance(raw, ox.QuerySolutions):
            self.kind, self.variables = "select", [v.value for v in raw.variables]
        else:
            self.kind, self.variables = "graph", ["subject", "predicate", "object"]

    @property
    def formats(self) -> dict[str, OutputFormat]:
        """The formats this result can be serialized to (results or graph formats)."""
        return CONSTRUCT_FORMATS if self.kind == "graph" else RESULTS_FORMATS

    def _take_raw(self) -> _RawResult:
        """The unread pyoxigraph result, or a fresh one from running the query again."""
        raw = self._raw
        self._raw = None
        if raw is None:
            if self._rerun is None:
                raise RuntimeError("this result was already read and cannot be re-run")
            raw = self._rerun()
        return raw

    def _solutions(self) -> list[Row]:
        if self._rows is None:
            raw = self._take_raw()
            assert isinstance(raw, ox.QuerySolutions)
            names = self.variables
            self._rows = [
                tuple(None if (t := s[n]) is None else from_ox(t) for n in names) for s in raw
            ]
        return self._rows

    def _graph(self) -> list[ox.Triple]:
        if self._triples is None:
            raw = self._take_raw()
            assert isinstance(raw, ox.QueryTriples)
            self._triples = list(raw)
        return self._triples

    def __iter__(self) -> Iterator[Row]:
        """Rows of rdflib terms (see the class docstring)."""
        if self.kind == "select":
            yield from self._solutions()
        elif self.kind == "graph":
            for t in self._graph():
                yield (from_ox(t.subject), from_ox(t.predicate), from_ox(t.object))

    def count(self, stop: int | None = None) -> int:
        """How many rows (SELECT) or triples (graph) there are, counting no further than
        ``stop``; 1 for ASK. Counting a SELECT reads its solutions without keeping them, so
        a later :meth:`serialize` runs the query again."""
        if self.kind == "ask":
            return 1
        if self.kind == "graph":
            if stop is None or self._triples is not None:
                found = len(self._graph())
                return found if stop is None else min(found, stop)
            raw = self._take_raw()
            assert isinstance(raw, ox.QueryTriples)
            taken = list(itertools.islice(raw, stop))  # never more than ``stop`` in memory
            if len(taken) < stop:
                self._triples = taken  # all of them: serialize() can use them
            return len(taken)
        if self._rows is not None:
            return len(self._rows) if stop is None else min(len(self._rows), stop)
        raw = self._take_raw()
        assert isinstance(raw, ox.QuerySolutions)
        return sum(1 for _ in itertools.islice(raw, stop))

    def extend(self, other: QueryResult) -> None:
        """Add ``other``'s triples to this graph result (once each): one answer made of
        several CONSTRUCTs."""
        if self.kind != "graph" or other.kind != "graph":
            raise ValueError("only CONSTRUCT/DESCRIBE results can be merged")
        self._triples = list(dict.fromkeys([*self._graph(), *other._graph()]))

    def format(self, name: str | None = None) -> OutputFormat:
        """The output format called ``name`` for this result's kind (default: the first)."""
        name = name or next(iter(self.formats))
        if name not in self.formats:
            kind = "CONSTRUCT/DESCRIBE" if self.kind == "graph" else "SELECT/ASK"
            raise ValueError(
                f"{name!r} is not a format for {kind} results; use one of: "
                + ", ".join(self.formats)
            )
        return self.formats[name]

    def serialize_to(self, output: IO[bytes], fmt: str | OutputFormat | None = None) -> None:
        """Write the result to ``output`` in ``fmt``; an exception ``output.write`` raises
        (a size bound, say) stops the serialization and propagates."""
        out = self.format(fmt.name if isinstance(fmt, OutputFormat) else fmt)
        if self.kind == "graph":
            prefixes = _serialization_prefixes(self._prefixes)
            assert isinstance(out.oxigraph, ox.RdfFormat)
            ox.serialize(self._graph(), output, format=out.oxigraph, prefixes=prefixes)
            return
        raw = (
            ox.Store().query("ASK {}" if self.boolean else "ASK { FILTER(false) }")
            if self.kind == "ask"
            else self._take_raw()
        )
        assert not isinstance(raw, ox.QueryTriples)
        assert isinstance(out.oxigraph, ox.QueryResultsFormat)
        raw.serialize(output, format=out.oxigraph)

    def serialize(self, fmt: str | OutputFormat | None = None) -> bytes:
        """The result as bytes in ``fmt`` (a name of :attr:`formats`; default JSON or Turtle)."""
        buffer = io.BytesIO()
        self.serialize_to(buffer, fmt)
        return buffer.getvalue()


def _serialization_prefixes(prefixes: Mapping[str, str]) -> dict[str, str]:
    """The prefixes to write, less ``kg:``: its slash IRIs would need escaping
    (``kg:org\\/mijente``), so our resources are written as full IRIs."""
    return {p: ns for p, ns in prefixes.items() if ns != str(KG)}


# --- engine --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How complex a query may be before it is refused unparsed (see sparql_guard).

    Each limit sits at 1/10 or less of the count at which pyoxigraph 0.5.13 crashes (SIGSEGV)
    or plans for more than 10 s, measured by ``bench/crash_thresholds.py`` (figures quoted
    below; ``bench/results/2026-11-29-crash-thresholds.md``). Counts are totals per query."""

    #: Deepest nesting of ``{``, ``(`` and ``[``: nested calls crash at 960, ``{}`` at
    #: 2,240, sub-SELECTs at 2,560, ``()`` at 4,736; nested ``[]`` plan 10 s at 400.
    max_depth: int = 64
    #: Longest run of path operators (``/``, ``|``, ``^``): a ``/`` sequence plans 10 s at 296
    #: steps (64 steps: well under a second).
    max_path_steps: int = 64
    #: ``!``: a chain crashes at 9,472.
    max_not: int = 500
    #: ``||``: a chain crashes at 9,472.
    max_or: int = 500
    #: ``&&``: a chain crashes at 9,472.
    max_and: int = 500
    #: ``+``: a chain crashes at 6,912.
    max_plus: int = 500
    #: ``-`` (binary; unary ``-`` does not nest): a chain crashes at 6,912.
    max_minus: int = 500
    #: ``*``: a chain crashes at 6,912.
    max_times: int = 500
    #: ``/`` (path sequence or division; not the ``/`` of IRIs): a division chain is a ``*``
    #: chain to the parser (6,912); a path sequence is held by ``max_path_steps``.
    max_slash: int = 500
    #: ``|`` (path alternative): crashes at 11,264.
    max_bar: int = 1_000
    #: ``^`` (inverse path): crashes at 11,264.
    max_caret: int = 1_000
    #: ``UNION``: a chain crashes at 6,656.
    max_union: int = 500
    #: ``OPTIONAL``: 6,656 in one group crash.
    max_optional: int = 500
    #: ``MINUS``: 2,688 in one group crash.
    max_minus_groups: int = 250
    #: ``BIND``: 2,688 in one group crash.
    max_bind: int = 250
    #: ``FILTER``: 9,472 in one group crash.
    max_filter: int = 500
    #: ``SELECT`` (sub-queries): 2,560 nested crash.
    max_select: int = 250
    #: Triple patterns, counted as ``.``, ``;``, ``,`` and ``[``: the planner takes 10 s at
    #: 104 ``?s ?p ?o .`` (152 objects ``,``; 400 nested ``[]``) and 0.5 s at 64; growth is
    #: steep, so this one sits at 1/2, with the query timeout behind it. (Collection items,
    #: ``(1 1 …)``, 144 of them plan 10 s, are left to the timeout.)
    max_triples: int = 64

    def refusal(self, found: Scan) -> str | None:
        """Why ``found`` is over a limit (the first one), or None if it is within them all."""
        if found.depth > self.max_depth:
            return f"query nested {found.depth} levels deep; the limit is {self.max_depth}"
        if found.path_steps > self.max_path_steps:
            return (
                f"a run of {found.path_steps} '/', '|' or '^' (property path steps or "
                f"division); the limit is {self.max_path_steps}"
            )
        triples = sum(found.counts.get(k, 0) for k in ".;,[")
        if triples > self.max_triples:
            return (
                f"about {triples} triple patterns (counting '.', ';', ',' and '['); "
                f"the limit is {self.max_triples}"
            )
        for kind, name in _COUNTED_LIMITS.items():
            count, limit = found.counts.get(kind, 0), getattr(self, name)
            if count > limit:
                return f"{count} occurrences of {kind!r} in one query; the limit is {limit}"
        return None


#: Each counted kind of :attr:`Scan.counts` and the :class:`Limits` field that caps it.
_COUNTED_LIMITS = {
    "!": "max_not",
    "||": "max_or",
    "&&": "max_and",
    "+": "max_plus",
    "-": "max_minus",
    "*": "max_times",
    "/": "max_slash",
    "|": "max_bar",
    "^": "max_caret",
    "UNION": "max_union",
    "OPTIONAL": "max_optional",
    "MINUS": "max_minus_groups",
    "BIND": "max_bind",
    "FILTER": "max_filter",
    "SELECT": "max_select",
}


def host_allowed(iri: str, allow_hosts: Collection[str]) -> bool:
    """Whether ``iri``'s host (or ``host:port``) is on ``allow_hosts`` (case-insensitive)."""
    host = target_host(iri)
    if not host:
        return False
    allowed = {h.strip().lower() for h in allow_hosts}
    try:
        port = urlsplit(iri).port
    except ValueError:
        return False
    return host in allowed or (port is not None and f"{host}:{port}" in allowed)


def check_query(
    text: str,
    limits: Limits = Limits(),
    *,
    allow_hosts: Collection[str] = (),
    prefixes: Mapping[str, str] | None = None,
    update: bool = False,
) -> Scan:
    """The scan of ``text``; raise QueryRefused or QueryTooComplex if it must not run.

    ``SERVICE`` runs only when every SERVICE IRI's host is on ``allow_hosts`` (default: none);
    update keywords are refused unless ``update`` (the caller checked the operator's token).
    """
    found = scan(text, prefixes)
    if found.outbound:
        blocked = [t for t in found.service_targets if not host_allowed(t, allow_hosts)]
        if blocked or len(found.service_targets) < len(found.outbound):
            named = ", ".join(f"<{t}>" if t else "(unreadable)" for t in blocked)
            raise OutboundRefused(
                "SERVICE (federated query) is not allowed: this endpoint makes no outbound "
                "requests" + (f" to hosts off its allowlist ({named})" if allow_hosts else ""),
                found.outbound,
            )
    if found.update and not update:
        raise UpdateRefused(
            "SPARQL Update is not allowed: the dataset is read-only "
            f"(found {', '.join(found.update)})",
            found.update,
        )
    too_complex = limits.refusal(found)
    if too_complex:
        raise QueryTooComplex(too_complex)
    return found


def check_dataset(
    iris: Iterable[str], graphs: Collection[str], allow_hosts: Collection[str] = ()
) -> None:
    """Refuse (OutboundRefused) a dataset IRI — ``FROM``, ``FROM NAMED``, ``default-graph-uri``,
    ``named-graph-uri`` — that is not one of ``graphs`` and whose host is not allowlisted."""
    for iri in iris:
        if iri in graphs or host_allowed(iri, allow_hosts):
            continue
        shown = f"<{iri}>" if iri else "an IRI this endpoint cannot read"
        raise OutboundRefused(
            f"{shown} is not a graph of this dataset, and graphs are never fetched from "
            "elsewhere; the graphs are: " + ", ".join(f"<{g}>" for g in sorted(graphs))
        )


_NOT_PROJECTED = re.compile(r"does not contains? variable \?(\S+)")


def _take_statistics(store: ox.Store) -> ox.Store | None:
    """The statistics graph of ``store`` moved into a store of its own (None if absent)."""
    graph = ox.NamedNode(str(STATISTICS_GRAPH))
    if not store.contains_named_graph(graph):
        return None
    statistics = ox.Store()
    statistics.extend(store.quads_for_pattern(None, None, None, graph))
    store.remove_graph(graph)
    return statistics


class Engine:
    """SPARQL over an in-memory pyoxigraph store: the one copy of the data an engine keeps.

    The engine owns ``store``: a statistics graph in it moves to :attr:`statistics` (see the
    module docstring), so :attr:`store` holds the data and nothing else."""

    def __init__(
        self,
        store: ox.Store,
        *,
        prefixes: Mapping[str, str] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.store = store
        #: The statistics graph, apart from the data (None: the store had none).
        self.statistics: ox.Store | None = _take_statistics(store)
        self.prefixes: dict[str, str] = dict(PREFIXES if prefixes is None else prefixes)
        self.limits = limits or Limits()

    @classmethod
    def from_dataset(
        cls,
        ds: Dataset,
        *,
        prefixes: Mapping[str, str] | None = None,
        limits: Limits | None = None,
        statistics: bool = True,
    ) -> Engine:
        """An engine holding every quad of ``ds`` (loaded once, as N-Quads), and with
        ``statistics`` its counts (:func:`dhs_ai_kg.stats.add_statistics`: named query 13)."""
        store = ox.Store()
        data = ds.serialize(format="nquads").encode("utf-8")
        if data.strip():
            store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        if statistics:
            from .stats import add_statistics  # stats imports this module

            add_statistics(store)
        return cls(store, prefixes=prefixes, limits=limits)

    def to_rdflib(self) -> Dataset:
        """An rdflib copy of the store (for rdflib's exports), made now; the caller keeps it."""
        dataset = Dataset()
        data = self.store.dump(format=ox.RdfFormat.N_QUADS) or b""
        if data.strip():
            dataset.parse(data=data.decode("utf-8"), format="nquads")
        return dataset

    def graph_iris(self) -> frozenset[str]:
        """The IRIs of the store's named graphs (the data's: never the statistics graph)."""
        return frozenset(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def dataset_iris(self) -> frozenset[str]:
        """The graph IRIs a query may name (FROM, FROM NAMED, the protocol's graph
        parameters): the data's, and the statistics graph when the engine holds it."""
        kept = {str(STATISTICS_GRAPH)} if self.statistics is not None else set()
        return self.graph_iris() | kept

    def dump(self, output: Path) -> None:
        """Write every quad, statistics graph included, as N-Quads to ``output``: what an
        engine made from it (a query process's) loads and hides again."""
        self.store.dump(output, format=ox.RdfFormat.N_QUADS)
        if self.statistics is not None:
            with output.open("ab") as appended:
                self.statistics.dump(appended, format=ox.RdfFormat.N_QUADS)

    def _store_for(self, named: Iterable[str]) -> ox.Store:
        """The store a query whose dataset names ``named`` runs on: the statistics store if
        it names the statistics graph (and no data graph), else the data's."""
        named = set(named)
        if self.statistics is None or str(STATISTICS_GRAPH) not in named:
            return self.store
        if named & self.graph_iris():
            raise QueryRefused(
                f"<{STATISTICS_GRAPH}> (derived counts, kept apart from the data) is queried on "
                "its own: name no data graph with it"
            )
        return self.statistics

    def update(self, text: str) -> None:
        """Apply a SPARQL Update to the store (the caller checked it: see check_query)."""
        try:
            self.store.update(text, prefixes=self.prefixes)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        if self.statistics is not None:  # counted again: the data changed
            from .stats import add_statistics  # stats imports this module

            add_statistics(self.store)
            self.statistics = _take_statistics(self.store)

    def query(
        self,
        text: str,
        bindings: Mapping[str, Identifier] | None = None,
        *,
        default_graphs: Sequence[Identifier] | None = None,
        named_graphs: Sequence[Identifier] | None = None,
        allow_hosts: Collection[str] = (),
    ) -> QueryResult:
        """Run a SPARQL query; ``bindings`` (variable name → term) become substitutions.

        Raises:
            OutboundRefused: SERVICE off ``allow_hosts``. UpdateRefused: an update.
            QueryTooComplex: over :attr:`limits`.
            QuerySyntaxError: malformed (the parser's message). QueryBindingError: a binding
            the query cannot take.
        """
        found = check_query(text, self.limits, allow_hosts=allow_hosts, prefixes=self.prefixes)
        store = self._store_for(
            [*found.from_targets, *map(str, default_graphs or ()), *map(str, named_graphs or ())]
        )
        substitutions = {
            ox.Variable(name.lstrip("?$")): to_ox(term) for name, term in (bindings or {}).items()
        }
        options: dict[str, object] = {
            "prefixes": self.prefixes,
            "substitutions": substitutions or None,
            "base_iri": BASE,  # the service-defined base: relative IRIs resolve under ours
        }
        if default_graphs is not None:
            options["default_graph"] = [_graph_ref(g) for g in default_graphs]
        elif not found.has_from:  # with the union on, pyoxigraph would ignore FROM
            options["use_default_graph_as_union"] = True
        if named_graphs is not None:
            named = [_graph_ref(g) for g in named_graphs]
            if any(isinstance(g, ox.DefaultGraph) for g in named):
                raise QueryBindingError("the default graph cannot be a named graph")
            options["named_graphs"] = named

        def run() -> _RawResult:
            try:
                return store.query(text, **options)  # type: ignore[arg-type]
            except SyntaxError as exc:
                said = str(exc)
                raise QuerySyntaxError(said, explain(text, said, self.prefixes)) from None
            except RuntimeError as exc:
                missing = _NOT_PROJECTED.search(str(exc))
                if missing is None:
                    raise
                raise QueryBindingError(
                    f"cannot bind ?{missing.group(1)}: the query does not project it "
                    "(a SELECT must list every bound variable, or use SELECT *; other "
                    "queries must use it)"
                ) from None

        return QueryResult(run(), run, self.prefixes)
