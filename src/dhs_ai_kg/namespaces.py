"""The project's IRI spaces (see docs/decisions.md) and the standard ones it reuses."""

from __future__ import annotations

from rdflib import Namespace, URIRef

BASE = "https://w3id.org/dhs-ai-kg/"
#: Our resources: readable slash IRIs such as ``…/id/org/mijente``.
KG = Namespace(BASE + "id/")
#: Our ontology terms (hash namespace; the term IRIs dereference to the ontology document).
DAK = Namespace(BASE + "ontology#")
ONTOLOGY = URIRef(BASE + "ontology")
#: Named graphs: ``…/graph/<name>`` where ``<name>`` is the stem of ``data/graphs/<name>.ttl``.
GRAPH = Namespace(BASE + "graph/")
DATASET = URIRef(BASE + "dataset")

OA = Namespace("http://www.w3.org/ns/oa#")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
VANN = Namespace("http://purl.org/vocab/vann/")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

#: Prefixes bound when serializing and offered to queries.
PREFIXES: dict[str, str] = {
    "kg": str(KG),
    "dak": str(DAK),
    "oa": str(OA),
    "org": str(ORG),
    "schema": str(SCHEMA),
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "vann": str(VANN),
    "void": str(VOID),
    "dcat": "http://www.w3.org/ns/dcat#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def graph_iri(name: str) -> URIRef:
    """The IRI of the named graph stored in ``data/graphs/<name>.ttl``."""
    return GRAPH[name]
