"""The links graph holds exactly the verified external identifiers, each citing its source."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, XSD

from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.namespaces import GRAPH

ROOT = Path(__file__).resolve().parent.parent
VERIFIED = ROOT / "tests" / "expected" / "verified-identifiers.csv"
OURS = "https://w3id.org/dhs-ai-kg/"
ID = OURS + "id/"
PREFIXES = {
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "dak": "https://w3id.org/dhs-ai-kg/ontology#",
}
# Identifiers that identifiers.md marks unverified or "none found", or that name another thing.
FORBIDDEN = {
    "http://dbpedia.org/resource/Office_of_Management_and_Budget",
    "http://dbpedia.org/resource/United_States_Department_of_Homeland_Security",
    "http://dbpedia.org/resource/U.S._Immigration_and_Customs_Enforcement",
    "http://dbpedia.org/resource/Executive_Order_14110",
    "http://dbpedia.org/resource/MediaJustice",
    "http://dbpedia.org/resource/White_House",
    "http://www.wikidata.org/entity/Q35525",
}


def term(value: str) -> URIRef:
    """An IRI from a CSV cell: a path under id/, a prefixed name or a full IRI."""
    if value.startswith(("http://", "https://")):
        return URIRef(value)
    prefix, _, local = value.partition(":")
    if prefix in PREFIXES and "/" not in value:
        return URIRef(PREFIXES[prefix] + local)
    return URIRef(ID + value)


def obj(value: str, kind: str) -> URIRef | Literal:
    """The object of a CSV row, by its kind."""
    if kind == "iri":
        return term(value)
    if kind == "date":
        return Literal(value, datatype=XSD.date)
    if kind == "en":
        return Literal(value, lang="en")
    assert kind == "string", kind
    return Literal(value)


def verified_rows() -> list[dict[str, str]]:
    """The rows of the verified-identifiers table."""
    with VERIFIED.open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def source(value: str) -> URIRef | Literal:
    """A row's source: its address, or a description where the reference records none."""
    return URIRef(value) if value.startswith(("http://", "https://")) else Literal(value)


def expected() -> dict[tuple[URIRef, URIRef, URIRef | Literal], URIRef | Literal]:
    """Each verified statement, mapped to the source it was checked against."""
    return {
        (term(r["subject"]), term(r["property"]), obj(r["object"], r["kind"])): source(r["source"])
        for r in verified_rows()
    }


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset()


@pytest.fixture(scope="module")
def links(dataset: Dataset) -> Graph:
    return dataset.graph(GRAPH["links"])


def citations(links: Graph) -> set[URIRef]:
    return {s for s in links.subjects(RDF.type, RDF.Statement) if isinstance(s, URIRef)}


def test_the_table_names_its_source_file():
    assert "identifiers.md" in VERIFIED.read_text(encoding="utf-8").splitlines()[0]


def test_links_graph_holds_exactly_the_verified_statements(links):
    nodes = citations(links)
    asserted = {t for t in links if t[0] not in nodes}
    assert asserted == set(expected())


def test_every_statement_cites_the_source_it_was_checked_against(links):
    cited: dict[tuple[object, object, object], set[object]] = {}
    for node in citations(links):
        assert str(node).startswith(ID + "link/")
        spo = tuple(links.value(node, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        sources = set(links.objects(node, DCTERMS.source))
        assert len(sources) == 1, node
        assert spo not in cited, f"two citations for {spo}"
        cited[spo] = sources
    assert cited == {spo: {source} for spo, source in expected().items()}


def test_a_citation_node_is_named_by_a_hash_of_its_statement(links):
    # Stable across exports and runs: the name depends on the statement alone (its N-Triples).
    for node in citations(links):
        spo = [links.value(node, p) for p in (RDF.subject, RDF.predicate, RDF.object)]
        line = " ".join(t.n3() for t in spo) + " ."
        assert str(node) == ID + "link/" + hashlib.sha256(line.encode()).hexdigest()[:12], line


def test_no_unverified_or_none_found_identifier_appears(dataset):
    terms = {str(t) for quad in dataset.quads() for t in quad[:3]}
    assert not terms & FORBIDDEN


def test_links_describe_only_resources_the_release_has_or_the_pages_they_cite(dataset, links):
    release = dataset.graph(GRAPH["release"])
    ours = {s for s, _, _ in links if str(s).startswith(ID) and s not in citations(links)}
    minted_here = {
        term("doc/executive-order-14148"),
        term("doc/omb-memorandum-m-24-10"),
        term("org/ucla"),
    }
    assert {s for s in ours if (s, None, None) not in release} == minted_here


def test_release_graph_holds_no_external_iri(dataset):
    release = dataset.graph(GRAPH["release"])
    external = {
        t
        for s, p, o in release
        for t in (s, o)
        if isinstance(t, URIRef) and not str(t).startswith(OURS) and p != RDF.type
    }
    assert external == set()


#: The link properties query 11 lists (queries/11-external-links.rq).
LINK_PROPERTIES = {
    term(p)
    for p in (
        "owl:sameAs",
        "skos:exactMatch",
        "skos:closeMatch",
        "foaf:isPrimaryTopicOf",
        "schema:sameAs",
        "rdfs:seeAlso",
    )
}


def test_query_11_expects_exactly_the_verified_links_of_release_resources(dataset: Dataset):
    # The expected answer of query 11 is held to the verified table, not to the query's output.
    import json

    release_graph = dataset.graph(URIRef(GRAPH["release"]))
    ours = {s for s in release_graph.subjects() if isinstance(s, URIRef)}
    from_table = {
        (str(s), str(p), str(o))
        for (s, p, o) in expected()
        if p in LINK_PROPERTIES
        and isinstance(o, URIRef)
        and not str(o).startswith(OURS)
        and s in ours
    }
    spec = json.loads((ROOT / "tests/expected/queries/11-external-links.json").read_text())
    from_json = {
        (r["resource"].strip("<>"), r["property"].strip("<>"), r["target"].strip("<>"))
        for r in spec["rows"]
    }
    assert from_json == from_table and from_table


def test_stats_count_graphs_and_linksets_apart(dataset: Dataset, links: Graph):
    # `dhs-ai-kg stats` once listed VoID linksets among the named graphs.
    import re

    from dhs_ai_kg.stats import compute_stats

    stats = compute_stats(dataset)
    assert set(stats.graphs) == {"release", "provenance", "links", "metadata"}
    by_host: dict[str, int] = {}
    for s, p, o in links:
        if p in LINK_PROPERTIES and isinstance(o, URIRef) and not str(o).startswith(OURS):
            if s in citations(links):
                continue
            host = re.sub(r"^https?://(www\.)?([^/:?#]+).*$", r"\2", str(o))
            by_host[host] = by_host.get(host, 0) + 1
    assert stats.linksets == by_host and by_host["wikidata.org"] == 6


#: How the links graph's description names each external dataset it links to (by host).
DATASET_NAMES = {
    "wikidata.org": "Wikidata",
    "dbpedia.org": "DBpedia",
    "en.wikipedia.org": "Wikipedia",
    "ror.org": "ROR",
    "isni.org": "ISNI",
    "viaf.org": "VIAF",
    "id.loc.gov": "Library of Congress",
    "federalregister.gov": "Federal Register",
    "regulations.gov": "regulations.gov",
    "dhs.gov": "DHS AI Use Case Inventory",
}


def test_the_dataset_description_says_what_the_links_graph_holds(dataset: Dataset):
    from dhs_ai_kg.stats import compute_stats

    metadata = dataset.graph(GRAPH["metadata"])
    said = str(metadata.value(URIRef(GRAPH["links"]), DCTERMS.description))
    linked = set(compute_stats(dataset).linksets)
    assert linked <= set(DATASET_NAMES), linked - set(DATASET_NAMES)
    assert [DATASET_NAMES[h] for h in sorted(linked) if DATASET_NAMES[h] not in said] == []
    whole = str(metadata.value(URIRef(OURS + "dataset"), DCTERMS.description))
    assert "Every statement is grounded" not in whole  # the links graph's facts are not
