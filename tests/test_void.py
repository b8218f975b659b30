"""The dataset description at /.well-known/void (VoID + DCAT) and the dumps it lists."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from dhs_ai_kg_server import create_app
from htmlpage import Page
from rdflib import RDF, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, XSD

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.namespaces import DATASET, GRAPH, KG, VOID
from dhs_ai_kg.stats import compute_stats

SPDX = Namespace("http://spdx.org/rdf/terms#")
LINKS_FIXTURE = Path(__file__).parent / "fixtures" / "void"
#: The property-graph downloads (tests/test_property_graph.py checks their contents).
PROPERTY_GRAPH_DUMPS = {
    f"dataset{ext}" for ext in (".graphml", ".gexf", ".neo4j.zip", ".node-link.json", ".cyjs")
}
LINKING = {
    URIRef("http://www.w3.org/2002/07/owl#sameAs"),
    URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"),
    URIRef("http://www.w3.org/2004/02/skos/core#closeMatch"),
    URIRef("http://xmlns.com/foaf/0.1/isPrimaryTopicOf"),
    URIRef("https://schema.org/sameAs"),
    URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset()


@pytest.fixture(scope="module")
def void(client) -> Graph:
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.content_type == "text/turtle; charset=utf-8"
    return Graph().parse(data=response.data, format="turtle")


def quads(dataset: Dataset):
    """Every (s, p, o, graph) of the named graphs, computed by rdflib alone."""
    for graph in dataset.graphs():
        for s, p, o in graph:
            yield s, p, o, graph.identifier


def count(void: Graph, subject, predicate) -> int:
    value = void.value(subject, predicate)
    assert value is not None, f"no {predicate} on {subject}"
    return int(value)


def test_totals_are_the_datasets_own_counts(void, dataset):
    rows = list(quads(dataset))
    assert count(void, DATASET, VOID.triples) == len(rows)
    entities = {s for s, *_ in rows if isinstance(s, URIRef) and str(s).startswith(str(KG))}
    assert count(void, DATASET, VOID.entities) == len(entities)
    assert count(void, DATASET, VOID.distinctSubjects) == len({s for s, *_ in rows})
    assert count(void, DATASET, VOID.distinctObjects) == len({o for _, _, o, _ in rows})
    assert count(void, DATASET, VOID.properties) == len({p for _, p, _, _ in rows})
    assert count(void, DATASET, VOID.classes) == len({o for _, p, o, _ in rows if p == RDF.type})


def test_dhs_ai_kg_stats_reads_the_same_counts(dataset):
    """``dhs-ai-kg stats`` is read from the same description: check it against rdflib too."""
    rows = list(quads(dataset))
    stats = compute_stats(dataset)
    assert stats.triples == len(rows)
    assert stats.distinct_subjects == len({s for s, *_ in rows})
    entities = {s for s, *_ in rows if isinstance(s, URIRef) and str(s).startswith(str(KG))}
    assert stats.entities == len(entities)
    assert stats.properties == {str(p): n for p, n in Counter(p for _, p, _, _ in rows).items()}
    names = ("release", "provenance", "links", "metadata")
    assert {name: stats.graphs[name] for name in names} == {
        name: len(dataset.graph(GRAPH[name])) for name in names
    }
    # stats.graphs also lists the linksets (void:subset too): nothing else
    assert all(k.startswith(str(DATASET) + "#linkset-") for k in set(stats.graphs) - set(names))


def test_class_and_property_partitions_count_instances_and_uses(void, dataset):
    rows = list(quads(dataset))
    instances: dict[URIRef, set] = {}
    for s, p, o, _ in rows:
        if p == RDF.type:
            instances.setdefault(o, set()).add(s)
    uses = Counter(p for _, p, _, _ in rows)
    classes = {
        void.value(part, VOID["class"]): int(void.value(part, VOID.entities))
        for part in void.objects(DATASET, VOID.classPartition)
    }
    properties = {
        void.value(part, VOID.property): int(void.value(part, VOID.triples))
        for part in void.objects(DATASET, VOID.propertyPartition)
    }
    assert classes == {cls: len(members) for cls, members in instances.items()}
    assert properties == dict(uses)
    assert {str(c): n for c, n in classes.items()} == compute_stats(dataset).classes


def test_each_named_graph_is_a_subset_with_its_triples(void, dataset):
    subsets = set(void.objects(DATASET, VOID.subset))
    for name in ("release", "provenance", "links", "metadata"):
        graph = GRAPH[name]
        assert graph in subsets
        assert count(void, graph, VOID.triples) == len(dataset.graph(graph)) > 0


def test_the_static_metadata_and_the_endpoint_are_there(void):
    assert (DATASET, RDF.type, VOID.Dataset) in void
    assert (DATASET, RDF.type, DCAT.Dataset) in void
    assert void.value(DATASET, URIRef("http://purl.org/dc/terms/license")) is not None
    assert void.value(DATASET, VOID.uriSpace) == Literal(str(KG))
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef("http://localhost/sparql")
    wikidata = DATASET + "#linkset-wikidata.org"  # OMB, EOP, DHS, Biden, the US, Washington
    assert (wikidata, RDF.type, VOID.Linkset) in void
    assert count(void, wikidata, VOID.triples) == 6


def distributions(void: Graph):
    for dist in void.subjects(RDF.type, DCAT.Distribution):
        checksum = void.value(dist, SPDX.checksum)
        yield {
            "dist": dist,
            "url": str(void.value(dist, DCAT.downloadURL)),
            # IANA's type, or (a type IANA has not registered: GraphML, GEXF) dcterms:format
            "media_type": str(void.value(dist, DCAT.mediaType) or void.value(dist, DCTERMS.format)),
            "size": void.value(dist, DCAT.byteSize),
            "algorithm": void.value(checksum, SPDX.algorithm),
            "sha256": void.value(checksum, SPDX.checksumValue),
        }


def test_every_dump_is_a_distribution_whose_size_and_checksum_match_the_bytes(client, void):
    listed = {d["filename"] for d in client.get("/dumps/").get_json()}
    described = list(distributions(void))
    expected_names = {"dataset.trig", "dataset.nq", "dataset.jsonld", "union.ttl", "union.nt"} | {
        f"{g}{ext}"
        for g in ("release", "provenance", "links", "metadata")
        for ext in (".ttl", ".nt", ".jsonld", ".rdf")
    }
    expected_names |= PROPERTY_GRAPH_DUMPS
    assert {urlsplit(d["url"]).path.rsplit("/", 1)[1] for d in described} == expected_names
    assert listed == expected_names
    for d in described:
        response = client.get(urlsplit(d["url"]).path)
        assert response.status_code == 200
        body = response.data
        assert d["size"] == Literal(len(body), datatype=XSD.nonNegativeInteger)
        assert d["algorithm"] == SPDX.checksumAlgorithm_sha256
        assert d["sha256"] == Literal(hashlib.sha256(body).hexdigest(), datatype=XSD.hexBinary)
        assert d["media_type"].endswith(response.mimetype)
        assert response.headers["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'
        assert response.headers["Content-Length"] == str(len(body))
        assert response.headers["Content-Disposition"].startswith("attachment;")


def test_the_dataset_dumps_hold_every_quad(client, dataset):
    trig = Dataset().parse(data=client.get("/dumps/dataset.trig").data, format="trig")
    nquads = Dataset().parse(data=client.get("/dumps/dataset.nq").data, format="nquads")
    expected = len(list(quads(dataset)))
    assert len(list(trig.quads())) == len(list(nquads.quads())) == expected


@pytest.mark.parametrize(("filename", "parser"), [("union.ttl", "turtle"), ("union.nt", "nt")])
def test_the_union_dumps_merge_every_named_graph_and_say_so(
    client, void, dataset, filename, parser
):
    response = client.get(f"/dumps/{filename}")
    assert response.status_code == 200
    union = Graph().parse(data=response.data, format=parser)
    expected = {(s, p, o) for s, p, o, _ in quads(dataset)}
    assert set(union) == expected  # no blank nodes: equal as sets of triples
    dist = URIRef(f"{DATASET}#dump-{filename}")
    assert (DATASET, DCAT.distribution, dist) in void
    description = str(void.value(dist, URIRef("http://purl.org/dc/terms/description")))
    merged = expected_graphs(dataset)
    assert len(merged) == 4 and all(name in description for name in merged)
    assert "provenance" in description and "lost" in description


def expected_graphs(dataset: Dataset) -> set[str]:
    return {
        str(g)[len(str(GRAPH)) :] for _, _, _, g in quads(dataset) if str(g).startswith(str(GRAPH))
    }


def test_a_dump_is_stable_and_answers_304_to_its_etag(client):
    first = client.get("/dumps/release.ttl")
    again = client.get("/dumps/release.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/dumps/release.ttl").data == first.data
    missing = client.get("/dumps/nope.ttl")
    assert missing.status_code == 404 and "release.ttl" in missing.get_data(as_text=True)


@pytest.mark.parametrize(
    ("accept", "parser"),
    [("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")],
)
def test_the_description_in_other_formats_says_the_same(client, void, accept, parser):
    response = client.get("/.well-known/void", headers={"Accept": accept})
    assert response.mimetype == accept
    assert response.headers["Vary"] == "Accept"
    other = Graph().parse(data=response.data, format=parser)
    assert len(other) == len(void)
    assert ground(other) == ground(void)  # blank-node partitions: compared by count above


def ground(graph: Graph) -> set:
    return {t for t in graph if not any(isinstance(term, BNode) for term in t)}


def test_the_dataset_iri_redirects_to_its_description(client):
    response = client.get("/dataset")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/.well-known/void")


def test_a_linkset_per_external_dataset_with_its_link_count():
    dataset = load_dataset([LINKS_FIXTURE])
    client = create_app(engine=Engine.from_dataset(dataset)).test_client()
    void = Graph().parse(data=client.get("/.well-known/void").data, format="turtle")
    expected: Counter[str] = Counter()
    predicates: dict[str, set] = {}
    ours = "https://w3id.org/dhs-ai-kg/"
    for _, p, o, _ in quads(dataset):
        if p in LINKING and isinstance(o, URIRef) and not str(o).startswith(ours):
            host = urlsplit(str(o)).hostname or ""
            host = host.removeprefix("www.")
            expected[host] += 1
            predicates.setdefault(host, set()).add(p)
    fixture_hosts = {"wikidata.org", "dbpedia.org", "federalregister.gov", "regulations.gov"}
    data_hosts = {"en.wikipedia.org", "isni.org", "viaf.org", "id.loc.gov", "ror.org", "dhs.gov"}
    assert set(expected) == fixture_hosts | data_hosts
    found = {}
    for linkset in void.subjects(RDF.type, VOID.Linkset):
        target = void.value(linkset, VOID.objectsTarget)
        host = urlsplit(str(target)).hostname
        found[host] = int(void.value(linkset, VOID.triples))
        assert set(void.objects(linkset, VOID.linkPredicate)) == predicates[host]
        assert void.value(linkset, VOID.subjectsTarget) == DATASET
        assert (DATASET, VOID.subset, linkset) in void
    assert found == dict(expected)
    fixture_links = len(Graph().parse(LINKS_FIXTURE / "links.ttl"))
    assert fixture_links == 7
    assert count(void, GRAPH.links, VOID.triples) == len(load_dataset().graph(GRAPH.links)) + 7


def test_a_browser_gets_the_description_as_a_page_with_every_download(client, void):
    response = client.get("/.well-known/void", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.mimetype == "text/html"
    html = Page(response.get_data(as_text=True))
    urls = {urlsplit(d["url"]).path for d in distributions(void)}
    assert urls <= set(html.by_id("dumps").links)
    assert str(count(void, DATASET, VOID.triples)) in html.by_id("totals").text
    assert '<http://localhost/.well-known/void.ttl>; rel="alternate"' in response.headers["Link"]
    turtle = client.get("/.well-known/void.ttl")
    assert turtle.mimetype == "text/turtle"
    assert len(Graph().parse(data=turtle.data, format="turtle")) == len(void)
