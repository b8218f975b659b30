"""The project's IRI spaces (see docs/decisions.md) and the standard ones it reuses."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

BASE = "https://w3id.org/dhs-ai-kg/"
#: Our resources: readable slash IRIs such as ``…/id/org/mijente``.
KG = Namespace(BASE + "id/")
ONTOLOGY = URIRef(BASE + "ontology")


class DAK(DefinedNamespace):
    """Our ontology terms; an unknown name raises AttributeError (a test keeps it in sync)."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    AIUse: URIRef
    Assessment: URIRef
    Campaign: URIRef
    Concern: URIRef
    EnforcementMechanism: URIRef
    ExecutiveOrder: URIRef
    Framework: URIRef
    GovernanceFramework: URIRef
    Guidance: URIRef
    Population: URIRef
    PracticeStandard: URIRef
    PressRelease: URIRef
    ProtectionDisparity: URIRef
    PublicComment: URIRef
    Recommendation: URIRef
    RecommendationSet: URIRef
    RecommendedAction: URIRef
    RiskAssessmentFramework: URIRef
    Statistic: URIRef
    Strategy: URIRef
    Technology: URIRef

    addressee: URIRef
    affects: URIRef
    alternativeTo: URIRef
    announces: URIRef
    area: URIRef
    commentsDue: URIRef
    comparisonPopulation: URIRef
    concernsAgency: URIRef
    condition: URIRef
    counts: URIRef
    defends: URIRef
    details: URIRef
    engagesIn: URIRef
    focusArea: URIRef
    groundingExemptProperty: URIRef
    hasAction: URIRef
    includesPopulation: URIRef
    inContextOf: URIRef
    informs: URIRef
    itemCount: URIRef
    kind: URIRef
    leads: URIRef
    lessProtectedPopulation: URIRef
    mechanism: URIRef
    memberCount: URIRef
    memberKind: URIRef
    membersExperiencedIn: URIRef
    opposes: URIRef
    organizationKind: URIRef
    organizesAgainst: URIRef
    proposes: URIRef
    qualifier: URIRef
    rationale: URIRef
    recommendedAction: URIRef
    releaseInstruction: URIRef
    respondsTo: URIRef
    serves: URIRef
    stance: URIRef
    statedAim: URIRef
    statedAs: URIRef
    statedInPart: URIRef
    statedMemberCount: URIRef
    submittedTo: URIRef
    subPopulationOf: URIRef
    suppliedBy: URIRef
    supports: URIRef
    threatens: URIRef
    triggeredByFailureToMeet: URIRef
    usedFor: URIRef
    verb: URIRef
    verdict: URIRef


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
    "dak": str(DAK._NS),
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
