"""The core's bounded execution: row counting in every results format, the row and byte caps,
the typed errors, and the answer cache (src/dhs_ai_kg/execution.py)."""

from __future__ import annotations

import pickle

import pyoxigraph as ox
import pytest

from dhs_ai_kg.engine import CONSTRUCT_FORMATS, RESULTS_FORMATS, Engine
from dhs_ai_kg.execution import (
    Answer,
    AnswerCache,
    AnswerTooLarge,
    Choice,
    FormatUnavailable,
    Job,
    QueryCrashed,
    QueryOutOfMemory,
    QueryTimeout,
    ServiceFailed,
    TooManyRows,
    _Bounded,
    count_rows,
    run_job,
)

#: Values chosen to break naive row counting: newlines, tabs, quotes, commas, markup.
AWKWARD = ["a\nb", "c\td", 'e"f', "g,h", "<result>", "</result>\r\n<result>", "plain"]


@pytest.fixture(scope="module")
def awkward_engine() -> Engine:
    """One triple per value of :data:`AWKWARD` (no named graphs)."""
    store = ox.Store()
    for i, value in enumerate(AWKWARD):
        store.add(ox.Quad(ox.NamedNode(f"urn:x:{i}"), ox.NamedNode("urn:x:p"), ox.Literal(value)))
    return Engine(store)


def choice(results: str = "json", graph: str = "turtle") -> Choice:
    return Choice(RESULTS_FORMATS[results], CONSTRUCT_FORMATS[graph])


ALL = "SELECT ?s ?o WHERE { ?s <urn:x:p> ?o }"


@pytest.mark.parametrize("fmt", sorted(RESULTS_FORMATS))
def test_rows_are_counted_exactly_in_every_format(awkward_engine: Engine, fmt: str):
    answer = run_job(awkward_engine, Job(ALL, choice(fmt)))
    assert answer.rows == len(AWKWARD)
    assert count_rows(RESULTS_FORMATS[fmt], answer.body) == len(AWKWARD)
    none = run_job(awkward_engine, Job("SELECT ?s WHERE { ?s <urn:x:nothing> ?o }", choice(fmt)))
    assert none.rows == 0


@pytest.mark.parametrize("fmt", sorted(RESULTS_FORMATS))
def test_the_row_cap_refuses_one_row_over(awkward_engine: Engine, fmt: str):
    assert run_job(awkward_engine, Job(ALL, choice(fmt), max_rows=len(AWKWARD))).rows == len(
        AWKWARD
    )
    with pytest.raises(TooManyRows, match=f"more than {len(AWKWARD) - 1} rows"):
        run_job(awkward_engine, Job(ALL, choice(fmt), max_rows=len(AWKWARD) - 1))


def test_the_row_cap_counts_triples(awkward_engine: Engine):
    construct = "CONSTRUCT WHERE { ?s <urn:x:p> ?o }"
    assert run_job(awkward_engine, Job(construct, choice(), max_rows=7)).rows == 7
    with pytest.raises(TooManyRows):
        run_job(awkward_engine, Job(construct, choice(), max_rows=6))


def test_the_byte_cap_stops_serialization(awkward_engine: Engine):
    body = run_job(awkward_engine, Job(ALL, choice("csv"))).body
    assert run_job(awkward_engine, Job(ALL, choice("csv"), max_bytes=len(body))).body == body
    with pytest.raises(AnswerTooLarge, match=f"larger than {len(body) - 1} bytes"):
        run_job(awkward_engine, Job(ALL, choice("csv"), max_bytes=len(body) - 1))
    # far past the cap, the work stops early: a cross product of 7**6 rows (~10 MB as TSV)
    huge = "SELECT * WHERE { " + " ".join(f"?s{i} <urn:x:p> ?o{i} ." for i in range(6)) + " }"
    with pytest.raises(AnswerTooLarge):
        run_job(awkward_engine, Job(huge, choice("tsv"), max_bytes=10_000))
    sink = _Bounded(10_000)
    with pytest.raises(AnswerTooLarge):
        awkward_engine.query(huge).serialize_to(sink, RESULTS_FORMATS["tsv"])
    assert sink.tell() < 100_000  # stopped within a buffer of the cap, not after 10 MB


def test_the_format_of_the_other_kind_does_not_matter(awkward_engine: Engine):
    refused = FormatUnavailable("no graph format", ["text/turtle"])
    answer = run_job(awkward_engine, Job(ALL, Choice(RESULTS_FORMATS["csv"], refused)))
    assert answer.format.name == "csv"
    with pytest.raises(FormatUnavailable):
        run_job(
            awkward_engine,
            Job("CONSTRUCT WHERE { ?s ?p ?o }", Choice(RESULTS_FORMATS["csv"], refused)),
        )


def test_a_failing_service_is_service_failed(awkward_engine: Engine):
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    with pytest.raises(ServiceFailed, match="SERVICE endpoint failed"):
        run_job(awkward_engine, Job(query, choice(), allow_hosts=("127.0.0.1",)))


@pytest.mark.parametrize(
    "error",
    [
        QueryTimeout(2.5),
        QueryOutOfMemory(256 * 1024 * 1024),
        TooManyRows(3),
        AnswerTooLarge(10),
        QueryCrashed(-11),
        FormatUnavailable("none", ["a/b"]),
    ],
)
def test_errors_cross_process_boundaries_intact(error: Exception):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


def answer(size: int) -> Answer:
    return Answer("select", RESULTS_FORMATS["json"], b"x" * size, 1)


def test_the_cache_keeps_answers_within_its_bytes():
    cache = AnswerCache(max_bytes=3 * (1000 + 256), max_entry=2000)
    jobs = [Job(f"ASK {{ <urn:{i}> ?p ?o }}", choice()) for i in range(4)]
    for job in jobs[:3]:
        cache.put(cache.key(job), answer(1000))
    assert cache.get(cache.key(jobs[0])) is not None  # now the most recently used
    cache.put(cache.key(jobs[3]), answer(1000))  # evicts jobs[1], the least recently used
    assert cache.get(cache.key(jobs[1])) is None
    assert all(cache.get(cache.key(j)) is not None for j in (jobs[0], jobs[2], jobs[3]))
    assert cache.size <= cache.max_bytes
    cache.put(cache.key(Job("ASK {}", choice())), answer(5000))  # over max_entry: not kept
    assert cache.get(cache.key(Job("ASK {}", choice()))) is None


def test_the_cache_key_tells_every_input_apart():
    base = Job(ALL, choice())
    variants = [
        Job(ALL + " ", choice()),
        Job(ALL, choice("csv")),
        Job(ALL, choice(graph="ntriples")),
        Job(ALL, choice(), bindings={"s": ox_free_iri("urn:x:1")}),
        Job(ALL, choice(), default_graphs=("urn:g",)),
        Job(ALL, choice(), named_graphs=("urn:g",)),
        Job(ALL, choice(), max_rows=5),
        Job(ALL, choice(), max_bytes=5),
    ]
    keys = {AnswerCache.key(base), *(AnswerCache.key(v) for v in variants)}
    assert len(keys) == len(variants) + 1
    assert AnswerCache.key(Job(ALL, choice(), allow_hosts=("a.example",))) is None
    refused = Choice(RESULTS_FORMATS["json"], FormatUnavailable("x", []))
    other = Choice(RESULTS_FORMATS["json"], FormatUnavailable("y", []))
    assert AnswerCache.key(Job(ALL, refused)) == AnswerCache.key(Job(ALL, refused))
    assert AnswerCache.key(Job(ALL, refused)) != AnswerCache.key(Job(ALL, other))


def ox_free_iri(value: str):
    from rdflib import URIRef

    return URIRef(value)


def test_the_triple_cap_stops_before_the_triples_are_all_made():
    # 10**6 triples from 1 KB: the cap must stop at max_rows + 1, not build them all first
    digits = " ".join(str(i) for i in range(10))
    values = " ".join(f"VALUES ?v{i} {{ {digits} }}" for i in range(6))
    query = (
        "CONSTRUCT { ?s <urn:x:p> ?o } WHERE { "
        + values
        + " BIND(IRI(CONCAT('urn:x:', STR(?v0), STR(?v1), STR(?v2), STR(?v3), STR(?v4), "
        "STR(?v5))) AS ?s) BIND(?v0 AS ?o) }"
    )
    engine = Engine(ox.Store())
    result = engine.query(query)
    assert result.count(11) == 11
    assert result._triples is None  # only the 11 counted were ever held
    with pytest.raises(TooManyRows):
        run_job(engine, Job(query, choice(), max_rows=10))
