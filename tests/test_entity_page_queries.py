"""The entity page's rewritten queries answer as their plain forms did: for every resource of
the real release and of several synthetic ones (bench/datagen.py), bound the way the page
binds them, the server's ``resource-grounding.rq`` (written so ``?resource`` drives each join,
for speed at scale) gives the rows of ``tests/sparql/resource-grounding-plain.rq`` about the
resource's own statements, and ``resource-in-grounding.rq``, page by page, the rest (those of
the statements pointing to it), each page only its listed rows'; ``resource-summary.rq`` gives
the rows of ``tests/sparql/resource-summary-plain.rq``; ``resource-relations.rq`` gives the
rows of ``tests/sparql/resource-relations-plain.rq`` that its lead sentence can use (every row
but those of incoming properties ``data/lead-sentences.json`` does not summarize). Rows are
compared as multisets."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from bench_modules import bench_module
from dhs_ai_kg_server.linked_data import (
    GROUNDING,
    IN_GROUNDING,
    INCOMING,
    INCOMING_COUNT,
    RELATIONS,
    SUMMARY,
    paged,
)
from rdflib import Literal, URIRef

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_store
from dhs_ai_kg.namespaces import BASE, PREFIXES

ROOT = Path(__file__).resolve().parents[1]
PLAIN = (ROOT / "tests" / "sparql" / "resource-grounding-plain.rq").read_text(encoding="utf-8")
SUMMARY_PLAIN = (ROOT / "tests" / "sparql" / "resource-summary-plain.rq").read_text(
    encoding="utf-8"
)
RELATIONS_PLAIN = (ROOT / "tests" / "sparql" / "resource-relations-plain.rq").read_text(
    encoding="utf-8"
)
LEAD = ROOT / "server" / "dhs_ai_kg_server" / "data" / "lead-sentences.json"
SEED = 7
#: Rows a page lists in the comparisons: small, so that many resources have several pages.
LIMIT = 3


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The real release and about 3,000 triples of synthetic releases, as ``--data`` loads."""
    graphs = bench_module("datagen").write(tmp_path_factory.mktemp("synthetic"), 3000, seed=SEED)
    return Engine(load_store([graphs]))


def resources(engine: Engine) -> list[URIRef]:
    """Every IRI of ours that is the subject or object of a statement, hash parts included."""
    found = engine.query(
        "SELECT DISTINCT ?r WHERE { { ?r ?p ?o } UNION { ?s ?p ?r } "
        f'FILTER(isIRI(?r) && STRSTARTS(STR(?r), "{BASE}id/")) }}'
    )
    return sorted(URIRef(str(row[0])) for row in found)


def pages(engine: Engine, iri: URIRef) -> int:
    """How many pages of ``LIMIT`` the statements pointing to ``iri`` fill."""
    counted = next(iter(engine.query(INCOMING_COUNT.text, {"resource": iri})), None)
    return -(-int(str(counted[1])) // LIMIT) if counted is not None else 0


def test_grounding_answers_as_its_plain_form_for_every_resource(engine: Engine) -> None:
    every = resources(engine)
    assert len(every) > 1000
    grounded = ungrounded = sourced = paged_in = 0
    for iri in every:
        bound = {"resource": iri}
        old = collections.Counter(engine.query(PLAIN, bound))
        own = collections.Counter(engine.query(GROUNDING.text, bound))
        assert own == collections.Counter({r: n for r, n in old.items() if r[1] == iri}), iri
        pointing: collections.Counter[tuple[object, ...]] = collections.Counter()
        for number in range(pages(engine, iri)):
            window = paged(INCOMING.text, LIMIT, number * LIMIT)
            listed = {(r[1], r[2]) for r in engine.query(window, bound)}
            rows = list(engine.query(paged(IN_GROUNDING.text, LIMIT, number * LIMIT), bound))
            assert {(r[1], r[2]) for r in rows} <= listed, (iri, number)  # the page's only
            pointing.update(r for r in rows if r[1] != iri)  # a self-statement: with its own
            paged_in += number > 0 and bool(rows)
        assert pointing == collections.Counter(
            {r: n for r, n in old.items() if r[3] == iri and r[1] != iri}
        ), iri
        for row in old.elements():
            grounded += row[5] is not None
            ungrounded += row[5] is None
            sourced += row[7] is not None
    # both kinds of row, quotes with their file, and pages after the first are compared: no
    # vacuous comparison
    assert grounded > 500 and ungrounded > 100 and sourced > 500 and paged_in > 50


def test_summary_answers_as_its_plain_form_for_every_resource(engine: Engine) -> None:
    every = resources(engine)
    typed = 0
    for iri in every:
        bound = {"resource": iri}
        new = collections.Counter(engine.query(SUMMARY.text, bound))
        assert new == collections.Counter(engine.query(SUMMARY_PLAIN, bound)), iri
        assert new, iri  # every resource listed is in the graph
        typed += any(row[1] is not None for row in new)
    unknown = {"resource": URIRef(f"{BASE}id/no/such-resource")}
    assert not list(engine.query(SUMMARY.text, unknown))
    assert not list(engine.query(SUMMARY_PLAIN, unknown))
    assert typed > 1000


def summarized_in() -> set[str]:
    """The IRIs of the properties the lead sentences summarize as "in <property> …"."""
    keys = json.loads(LEAD.read_text(encoding="utf-8"))["relations"]
    curies = {k.split()[1] for k in keys if k.split()[0] == "in"}
    return {PREFIXES[c.split(":")[0]] + c.split(":")[1] for c in curies}


def test_relations_answer_as_the_plain_form_for_what_lead_sentences_use(engine: Engine) -> None:
    used = summarized_in()
    assert len(used) >= 5
    every = resources(engine)
    kept = dropped = 0
    for iri in every:
        bound = {"resource": iri}
        new = collections.Counter(engine.query(RELATIONS.text, bound))
        old = collections.Counter(engine.query(RELATIONS_PLAIN, bound))
        wanted = collections.Counter(
            {r: n for r, n in old.items() if r[1] != Literal("in") or str(r[2]) in used}
        )
        assert new == wanted, iri
        kept += sum(n for r, n in new.items() if r[1] == Literal("in"))
        dropped += sum(old.values()) - sum(wanted.values())
    # incoming rows both kept and left out: no vacuous comparison
    assert kept > 100 and dropped > 100
