"""Deterministic synthetic press releases shaped like ours, at any size, that pass our checks.

Each synthetic release is modelled as ``data/graphs/release.ttl`` and ``provenance.ttl`` model
the real one (docs/modelling.md): a press release with its headline, date and dateline; a
coalition (``org:OrganizationalCollaboration``) with its stated member counts (headline and
body), its lead organizations (``org:Membership`` with ``org:role <id/role/lead>``), their
descriptions and campaigns; the public comments, the draft policy and the agency; the primary
call and a counted set of further recommendations; a statistic. Every resource is the body of a
Web Annotation quoting one sentence of the release's own synthetic text (hash-IRI target and
``oa:TextQuoteSelector``), is ``prov:wasDerivedFrom`` the release, and every statement but the
grounding-exempt housekeeping is an ``rdf:Statement`` node that is a body of the annotation
whose sentence states it.

Output (``-o OUT``; the layout ``--data`` already reads, see bench/README.md):

- ``OUT/graphs/release.ttl`` and ``OUT/graphs/provenance.ttl``: N-Triples (valid Turtle),
  loaded into the ``release`` and ``provenance`` named graphs beside ours;
- ``OUT/source/synth-<seed>-<n>.txt``: release n's text, named by its
  ``dcterms:source <https://w3id.org/dhs-ai-kg/source/synth-<seed>-<n>.txt>``; the validator
  finds it in ``source/`` beside the graphs folder, as it finds ``data/source/release.txt``.

Minted IRIs all contain ``/synth-<seed>-`` (``id/org/synth-42-000001-coalition`` …), so they
never collide with the real release's. Synthetic releases only *refer* to the shared concepts
``id/role/lead``, ``id/release-part/headline|body``, ``id/status/draft`` and
``id/qualifier/estimated``, which the real release defines and grounds. Release n depends only
on (seed, n), so a smaller output is a prefix of a larger one but for its last release, which
is sized to land near the asked number of triples.

Usage: ``python bench/datagen.py --triples 100000 --seed 42 -o /tmp/synth-100k``
(``--data /tmp/synth-100k/graphs`` then loads it beside the real release).
"""

from __future__ import annotations

import argparse
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from dhs_ai_kg.grounding import SOURCE_SPACE, statement_iri
from dhs_ai_kg.namespaces import DAK, KG, OA, ORG, SCHEMA

#: Properties whose statements need no quote (the real metadata graph's
#: ``dak:groundingExemptProperty`` list; tests/test_bench_datagen.py keeps them in step).
EXEMPT = frozenset({RDF.type, RDFS.label, SKOS.prefLabel, SKOS.definition, SKOS.inScheme})

ROLE_LEAD = KG["role/lead"]
PART_HEADLINE = KG["release-part/headline"]
PART_BODY = KG["release-part/body"]
STATUS_DRAFT = KG["status/draft"]
QUALIFIER_ESTIMATED = KG["qualifier/estimated"]

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_CITIES = (
    "SPRINGFIELD", "RIVERTON", "LAKEWOOD", "FAIRVIEW", "GREENVILLE", "MADISON", "CLINTON",
    "ASHLAND", "OAKDALE", "MILLBROOK", "BAYPORT", "HILLCREST",
)  # fmt: skip
_FIELDS = (
    "data", "housing", "benefits", "licensing", "records", "permits", "transit",
    "health data", "school safety", "border technology", "procurement", "identity",
)  # fmt: skip
_AGENCY_HEADS = ("Bureau", "Office", "Department", "Agency", "Board", "Commission")
_AGENCY_TAILS = (
    "Examples", "Public Records", "Civic Systems", "Digital Services", "Data Standards",
    "Community Affairs", "Automated Decisions", "Records Management", "Public Benefits",
)  # fmt: skip
_KINDS = (
    "privacy", "consumer rights", "civil rights", "labor rights", "housing justice",
    "disability rights", "environmental justice", "digital rights", "immigrant rights",
    "racial justice", "tenant rights", "worker justice",
)  # fmt: skip
_ORG_FIRST = (
    "Example", "Sample", "Harbor", "Northern", "Open", "United", "Civic", "Common",
    "Bright", "Delta", "Prairie", "Summit", "Cedar", "Liberty", "Granite", "Meridian",
)  # fmt: skip
_ORG_MIDDLE = (
    "Data", "Justice", "Rights", "Futures", "Voices", "Tenants", "Workers", "Families",
    "Media", "Privacy", "Access", "Equity",
)  # fmt: skip
_ORG_LAST = ("Alliance", "Network", "Coalition", "Project", "Collective", "Lab", "Center", "Fund")
_ORG_KINDS = (
    "consumer rights", "legal advocacy", "grassroots", "research", "policy", "community",
    "movement", "tenant organizing",
)  # fmt: skip
_CALLS = (
    ("pause", "pausing"), ("withdraw", "withdrawing"), ("rewrite", "rewriting"),
    ("abandon", "abandoning"), ("suspend", "suspending"), ("delay", "delaying"),
)  # fmt: skip
_ACTIONS = (
    ("publish", "Publishing", "an annual audit"),
    ("limit", "Limiting", "the use of exemptions"),
    ("disclose", "Disclosing", "every vendor contract"),
    ("review", "Reviewing", "the risk assessments"),
    ("report", "Reporting", "each automated decision"),
    ("consult", "Consulting", "the affected communities"),
    ("end", "Ending", "the use of facial recognition"),
    ("fund", "Funding", "independent oversight"),
)
_NUMBER_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
_POPULATIONS = ("residents", "tenants", "workers", "students", "patients", "travelers")
_TARGETS = (
    "data brokers", "predictive policing vendors", "surveillance contractors",
    "license plate readers", "facial recognition vendors", "biometric databases",
)  # fmt: skip


@dataclass
class Release:
    """One synthetic release: its text, its graphs' triples and which sentence states what."""

    seed: int
    number: int
    text: str = ""
    release: Graph = field(default_factory=Graph)
    provenance: Graph = field(default_factory=Graph)

    @property
    def tag(self) -> str:
        """The part every minted IRI of this release has: ``synth-<seed>-<number>``."""
        return f"synth-{self.seed}-{self.number:06d}"

    @property
    def source_name(self) -> str:
        """The file name of the release's text under ``source/``."""
        return f"{self.tag}.txt"

    def __len__(self) -> int:
        return len(self.release) + len(self.provenance)


class _Builder:
    """Collects a release's sentences, statements and groundings, then writes its graphs."""

    def __init__(self, release: Release) -> None:
        self.r = release
        self.lines: list[str] = []
        self.sentences: dict[str, str] = {}
        self.bodies: dict[str, list[URIRef]] = {}
        self.stated: dict[str, list[tuple[Node, Node, Node]]] = {}
        self.doc = self.iri("doc", "release")

    def iri(self, kind: str, name: str) -> URIRef:
        """A minted IRI of this release: ``id/<kind>/synth-<seed>-<n>-<name>``."""
        return KG[f"{kind}/{self.r.tag}-{name}"]

    def sentence(self, key: str, quote: str, *bodies: URIRef) -> str:
        """Register the quote of the annotation ``key`` and the resources it grounds."""
        self.sentences[key] = quote
        self.bodies.setdefault(key, []).extend(bodies)
        self.stated.setdefault(key, [])
        return quote

    def state(self, key: str, s: URIRef, p: URIRef, o: Node) -> None:
        """A statement of the release graph that sentence ``key`` states."""
        self.r.release.add((s, p, o))
        self.stated[key].append((s, p, o))

    def house(self, s: URIRef, p: URIRef, o: Node) -> None:
        """A housekeeping statement (type, label, scheme): grounding-exempt."""
        assert p in EXEMPT, p
        self.r.release.add((s, p, o))

    def labelled(self, s: URIRef, label: str, *types: URIRef) -> None:
        """Types and an English label."""
        for t in types:
            self.house(s, RDF.type, t)
        self.house(s, RDFS.label, Literal(label, lang="en"))

    def finish(self) -> None:
        """Write the provenance graph: text source, annotations, derivations, statements."""
        prov = self.r.provenance
        prov.add((self.doc, DCTERMS.source, URIRef(SOURCE_SPACE + self.r.source_name)))
        grounded: set[URIRef] = set()
        for key, quote in self.sentences.items():
            annotation = self.iri("annotation", key)
            target, selector = URIRef(annotation + "#target"), URIRef(annotation + "#selector")
            prov.add((annotation, RDF.type, OA.Annotation))
            prov.add((annotation, OA.motivatedBy, OA.identifying))
            prov.add((annotation, OA.hasTarget, target))
            prov.add((target, RDF.type, OA.SpecificResource))
            prov.add((target, OA.hasSource, self.doc))
            prov.add((target, OA.hasSelector, selector))
            prov.add((selector, RDF.type, OA.TextQuoteSelector))
            prov.add((selector, OA.exact, Literal(quote)))
            for body in self.bodies[key]:
                prov.add((annotation, OA.hasBody, body))
                grounded.add(body)
            for triple in self.stated[key]:
                node = statement_iri(triple)
                prov.add((annotation, OA.hasBody, node))
                prov.add((node, RDF.type, RDF.Statement))
                prov.add((node, RDF.subject, triple[0]))
                prov.add((node, RDF.predicate, triple[1]))
                prov.add((node, RDF.object, triple[2]))
        for resource in grounded:
            prov.add((resource, PROV.wasDerivedFrom, self.doc))


def _agency(rng: random.Random) -> tuple[str, str]:
    name = f"{rng.choice(_AGENCY_HEADS)} of {rng.choice(_AGENCY_TAILS)}"
    abbr = "".join("o" if w == "of" else w[0] for w in name.split())
    return name, abbr


def release(seed: int, number: int, leads: int | None = None) -> Release:
    """Synthetic release ``number`` of ``seed`` (``leads`` lead organizations, else 1-5)."""
    rng = random.Random(f"{seed}-{number}")
    r = Release(seed, number)
    b = _Builder(r)
    doc = b.doc
    drawn = rng.randint(1, 5)
    n_leads = leads if leads is not None else drawn
    n_members = n_leads + rng.randint(3, 40)
    agency_name, abbr = _agency(rng)
    policy_field = rng.choice(_FIELDS)
    kind1, kind2 = rng.sample(_KINDS, 2)
    city = rng.choice(_CITIES)
    year, month, day = rng.randint(2030, 2049), rng.randint(1, 12), rng.randint(1, 28)
    call, calling = rng.choice(_CALLS)
    actions = rng.sample(_ACTIONS, rng.randint(1, 3))
    item_count = len(actions) + rng.randint(0, 9 - len(actions))
    population = rng.choice(_POPULATIONS)
    tenths = rng.randint(11, 499)
    stated_number = f"{tenths // 10}.{tenths % 10} million"
    names = [" ".join(t) for t in _sample_names(rng, 40)][:n_leads]  # lead i's name is fixed

    coalition, comments = b.iri("org", "coalition"), b.iri("doc", "comments")
    agency, policy = b.iri("org", "agency"), b.iri("doc", "policy")
    count_h, count_b = (
        b.iri("org", "coalition/count/headline"),
        b.iri("org", "coalition/count/body"),
    )
    place, scheme = b.iri("place", "city"), b.iri("scheme", "topics")
    topic1, topic2 = b.iri("topic", "kind-1"), b.iri("topic", "kind-2")
    call_rec, rec_set = b.iri("recommendation", "call"), b.iri("recommendation-set", "further")
    statistic, people = b.iri("statistic", "affected"), b.iri("population", "affected")

    # The press release: instruction, date, headline, dateline.
    headline = (
        f"{n_members}+ Groups Ask the {agency_name} to Rethink Its {policy_field.title()} Policy"
    )
    b.labelled(doc, headline, DAK.PressRelease)
    b.sentence("instruction", "FOR IMMEDIATE RELEASE")
    b.state("instruction", doc, DAK.releaseInstruction, Literal("FOR IMMEDIATE RELEASE"))
    date_text = b.sentence("date", f"{_MONTHS[month - 1]} {day}, {year}", doc)
    b.state(
        "date", doc, DCTERMS.issued, Literal(f"{year}-{month:02d}-{day:02d}", datatype=XSD.date)
    )
    b.sentence("headline", headline, doc, count_h)
    b.state("headline", doc, SCHEMA.headline, Literal(headline, lang="en"))
    b.state("headline", doc, DAK.announces, comments)
    b.state("headline", coalition, DAK.statedMemberCount, count_h)
    b.labelled(count_h, f"group count in the headline: {n_members}+", SCHEMA.QuantitativeValue)
    b.state("headline", count_h, SCHEMA.minValue, Literal(n_members))
    b.state("headline", count_h, DAK.statedAs, Literal(f"{n_members}+"))
    b.state("headline", count_h, DAK.statedInPart, PART_HEADLINE)
    b.state("headline", count_h, SCHEMA.unitText, Literal("groups"))
    b.sentence("dateline", city, doc, place)
    b.state("dateline", doc, SCHEMA.dateline, Literal(city))
    b.state("dateline", doc, DCTERMS.spatial, place)
    b.labelled(place, city.title(), SCHEMA.Place)

    # The submission: coalition, its body count and kinds, the comments, the agency, the policy.
    submission = b.sentence(
        "submission",
        f"{n_members} {kind1} and {kind2} groups submitted public comments to the "
        f"{agency_name} ({abbr}) draft {policy_field} policy",
        coalition, count_b, topic1, topic2, comments, agency, policy,
    )  # fmt: skip
    b.labelled(coalition, f"{kind1} and {kind2} groups", ORG.OrganizationalCollaboration,
               ORG.Organization, SCHEMA.Organization, FOAF.Group)  # fmt: skip
    b.state("submission", coalition, DAK.memberCount, Literal(n_members))
    b.state("submission", coalition, DAK.statedMemberCount, count_b)
    b.labelled(count_b, f"group count in the body: {n_members}", SCHEMA.QuantitativeValue)
    b.state("submission", count_b, SCHEMA.value, Literal(n_members))
    b.state("submission", count_b, DAK.statedAs, Literal(str(n_members)))
    b.state("submission", count_b, DAK.statedInPart, PART_BODY)
    b.state("submission", count_b, SCHEMA.unitText, Literal("groups"))
    b.labelled(scheme, "topics of a synthetic release", SKOS.ConceptScheme)
    for topic, kind in ((topic1, kind1), (topic2, kind2)):
        b.state("submission", coalition, DAK.memberKind, topic)
        b.labelled(topic, kind, SKOS.Concept)
        b.house(topic, SKOS.prefLabel, Literal(kind, lang="en"))
        b.house(topic, SKOS.inScheme, scheme)
    b.labelled(comments, f"public comments on the {abbr} draft {policy_field} policy",
               DAK.PublicComment)  # fmt: skip
    b.state("submission", comments, DCTERMS.creator, coalition)
    b.state("submission", comments, DAK.submittedTo, agency)
    b.state("submission", comments, SCHEMA.about, policy)
    b.labelled(agency, agency_name, ORG.Organization, SCHEMA.GovernmentOrganization)
    b.state("submission", agency, SCHEMA.name, Literal(agency_name, lang="en"))
    b.state("submission", agency, SCHEMA.alternateName, Literal(abbr, lang="en"))
    b.labelled(policy, f"{abbr} draft {policy_field} policy", DAK.Guidance)
    b.state("submission", policy, SCHEMA.creativeWorkStatus, STATUS_DRAFT)
    b.state("submission", policy, DCTERMS.creator, agency)

    # The lead organizations, their descriptions and campaigns.
    orgs = [b.iri("org", f"lead-{i}") for i in range(1, n_leads + 1)]
    memberships = [b.iri("membership", f"lead-{i}") for i in range(1, n_leads + 1)]
    listed = names[0] if n_leads == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    leaders = b.sentence("leaders", f"The groups led by {listed}", *memberships, *orgs)
    descriptions, campaigns = [], []
    for i, (org, membership, name) in enumerate(zip(orgs, memberships, names, strict=True), 1):
        b.labelled(membership, f"{name} led the coalition", ORG.Membership)
        b.state("leaders", membership, ORG.member, org)
        b.state("leaders", membership, ORG.organization, coalition)
        b.state("leaders", membership, ORG.role, ROLE_LEAD)
        b.labelled(org, name, ORG.Organization, SCHEMA.Organization, FOAF.Organization)
        b.state("leaders", org, SCHEMA.name, Literal(name, lang="en"))
        described = f"{name} is a {rng.choice(_ORG_KINDS)} organization."
        descriptions.append(b.sentence(f"lead-{i}", described, org))
        b.state(f"lead-{i}", org, SCHEMA.description, Literal(described, lang="en"))
        if i % 2 == 0:
            target = rng.choice(_TARGETS)
            tag = "#No" + "".join(w.title() for w in target.split()) + (str(i) if i > 2 else "")
            campaign, agent = b.iri("campaign", f"lead-{i}"), b.iri("agent", f"target-{i}")
            key = f"campaign-{i}"
            campaigns.append(
                b.sentence(
                    key,
                    f"{name} leads the {tag} campaign, organizing against {target}.",
                    org,
                    campaign,
                    agent,
                )
            )
            b.state(key, org, DAK.leads, campaign)
            b.labelled(campaign, tag, DAK.Campaign)
            b.state(key, campaign, SCHEMA.name, Literal(tag, lang="en"))
            b.state(key, campaign, DAK.organizesAgainst, agent)
            b.labelled(agent, target, PROV.Agent)

    # The primary call and the further recommendations.
    call_text = b.sentence(
        "call", f"call for the {agency_name} to {call} the policy", call_rec, agency
    )
    b.labelled(call_rec, f"{call} the policy", DAK.Recommendation)
    b.state("call", call_rec, DAK.recommendedAction, Literal(call, lang="en"))
    b.state("call", call_rec, DCTERMS.subject, policy)
    b.state("call", call_rec, DAK.addressee, agency)
    b.state("call", call_rec, DCTERMS.isPartOf, comments)
    offer = b.sentence(
        "offer",
        f"Short of {calling} it, the groups offer {_NUMBER_WORDS[item_count - 1]} "
        "recommendations including:",
        rec_set,
    )
    b.labelled(rec_set, f"{_NUMBER_WORDS[item_count - 1]} recommendations", DAK.RecommendationSet)
    b.state("offer", rec_set, DAK.itemCount, Literal(item_count))
    b.state("offer", rec_set, DAK.alternativeTo, call_rec)
    b.state("offer", rec_set, DCTERMS.isPartOf, comments)
    bullets = []
    for j, (verb, gerund, obj) in enumerate(actions, 1):
        rec, topic = b.iri("recommendation", f"item-{j}"), b.iri("topic", f"item-{j}")
        bullet = f"{gerund} {obj} of the {abbr}'s {policy_field} systems."
        bullets.append(b.sentence(f"item-{j}", bullet, rec, topic))
        b.state(f"item-{j}", rec_set, PROV.hadMember, rec)
        b.labelled(rec, f"{verb} {obj}", DAK.Recommendation)
        b.state(f"item-{j}", rec, SCHEMA.position, Literal(j))
        b.state(f"item-{j}", rec, SCHEMA.description, Literal(bullet, lang="en"))
        b.state(f"item-{j}", rec, DAK.recommendedAction, Literal(verb, lang="en"))
        b.state(f"item-{j}", rec, DCTERMS.subject, topic)
        b.state(f"item-{j}", rec, DAK.concernsAgency, agency)
        b.state(f"item-{j}", rec, DCTERMS.isPartOf, comments)
        b.labelled(topic, obj, SKOS.Concept)
        b.house(topic, SKOS.prefLabel, Literal(obj, lang="en"))
        b.house(topic, SKOS.inScheme, scheme)

    # The statistic.
    stat_text = b.sentence(
        "statistic", f"an estimated {stated_number} {population}", statistic, people
    )
    b.labelled(statistic, stat_text, DAK.Statistic)
    b.state("statistic", statistic, SCHEMA.value, Literal(tenths * 100_000))
    b.state("statistic", statistic, SCHEMA.unitText, Literal("people"))
    b.state("statistic", statistic, DAK.statedAs, Literal(stated_number))
    b.state("statistic", statistic, DAK.qualifier, QUALIFIER_ESTIMATED)
    b.state("statistic", statistic, DAK.counts, people)
    b.labelled(people, population, DAK.Population)

    b.finish()
    bullet_lines = "\n".join(f"- **{line}**" for line in bullets)
    bolded_call = call_text.replace(f" to {call} ", f" to **{call}** ")
    r.text = (
        f"FOR IMMEDIATE RELEASE\n{date_text}\n\n{headline}\n\n{city}-- {submission}.\n\n"
        f"{leaders} {bolded_call}. {offer}\n\n{bullet_lines}\n\n"
        f"The policy affects {stat_text}.\n\n###\n\n" + "\n\n".join(descriptions + campaigns) + "\n"
    )
    return r


def _sample_names(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """``count`` distinct three-word organization names."""
    combos = [(a, m, z) for a in _ORG_FIRST for m in _ORG_MIDDLE for z in _ORG_LAST]
    return rng.sample(combos, count)


def releases(triples: int, seed: int = 42) -> Iterator[Release]:
    """Releases of ``seed`` whose triples add up to about ``triples`` (at least one release).

    Releases 1, 2, … are drawn as they are; the last one's number of lead organizations is
    chosen so the total lands as close to ``triples`` as it can.
    """
    total, number = 0, 0
    while True:
        number += 1
        drawn = release(seed, number)
        if total + len(drawn) <= triples - len(drawn) // 2:
            total += len(drawn)
            yield drawn
            continue
        remaining = triples - total
        candidates = [release(seed, number, leads) for leads in range(1, 41)]  # 40 names drawn
        best = min(candidates, key=lambda c: abs(len(c) - remaining))
        yield best
        return


def _ntriples(graph: Graph) -> str:
    """The graph as sorted N-Triples lines (rdflib's writer; sorted so the bytes are stable)."""
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "\n".join(sorted(line for line in lines if line.strip())) + "\n"


_HEADER = (
    "# Synthetic releases (bench/datagen.py, seed {seed}, about {triples} triples): the {graph}\n"
    "# graph of invented press releases shaped like data/graphs; every quote is in ../source/.\n"
    "# N-Triples, which is Turtle. Never published; load beside the real release with --data.\n"
)


def write(out: Path, triples: int, seed: int = 42) -> Path:
    """Write ``out/graphs/{release,provenance}.ttl`` and ``out/source/*.txt``; return the
    graphs folder (the one to pass as ``--data``). Same seed and size, same bytes."""
    graphs, sources = out / "graphs", out / "source"
    for folder in (graphs, sources):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    with (
        (graphs / "release.ttl").open("w", encoding="utf-8") as rel,
        (graphs / "provenance.ttl").open("w", encoding="utf-8") as prov,
    ):
        rel.write(_HEADER.format(seed=seed, triples=triples, graph="release"))
        prov.write(_HEADER.format(seed=seed, triples=triples, graph="provenance"))
        for r in releases(triples, seed):
            rel.write(_ntriples(r.release))
            prov.write(_ntriples(r.provenance))
            (sources / r.source_name).write_text(r.text, encoding="utf-8")
    return graphs


# --- The engine comparison's workload (bench/engines.py), kept as it was -------------------

PREFIXES = """\
@prefix kgo: <https://w3id.org/dhs-ai-kg/id/org/> .
@prefix kgd: <https://w3id.org/dhs-ai-kg/id/doc/> .
@prefix kga: <https://w3id.org/dhs-ai-kg/id/annotation/> .
@prefix dak: <https://w3id.org/dhs-ai-kg/ontology#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

"""

# Vocabulary of the release text, so regex filters have realistic selectivity.
_VOCABULARY = (
    "civil rights immigrant racial justice groups public comments office management budget "
    "draft guidance executive order artificial intelligence protection liberties limiting "
    "discrimination advancing equity governance framework risk assessment flawed abandon "
    "mitigation recommendations exemptions waivers exceptions policy loopholes purposes "
    "rights-impacting agencies evaluate assess technologies inventory enforcement mechanisms "
    "contract termination failure minimum practices homeland security deployment border "
    "asylum process interior work permits noncitizens citizens protections advocating "
    "families organizing hub campaign accountability data technology power community"
)
WORDS = _VOCABULARY.split()
RARE_WORDS = ("surveillance", "Surveillance", "biometric", "facial recognition")

ANNOTATIONS_PER_DOC = 8
TRIPLES_PER_ORG = 3  # type, name, url
TRIPLES_PER_ANNOTATION = 12  # approximate; comments are optional


def _quote(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    if rng.random() < 0.05:  # ~5% of the quotes mention surveillance & co.
        words.insert(rng.randrange(len(words)), rng.choice(RARE_WORDS))
    return " ".join(words)


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate_documents(triples: int, seed: int = 42) -> Iterator[str]:
    """Yield Turtle chunks (after the prefixes) for about ``triples`` triples; same seed, same text.

    Always has at least ``org-00001`` .. ``org-00010`` and ``doc-000001``, which the benchmark
    queries name.
    """
    rng = random.Random(seed)
    per_doc = 6 + ANNOTATIONS_PER_DOC * TRIPLES_PER_ANNOTATION
    n_docs = max(1, triples // per_doc)
    n_orgs = max(10, n_docs // 10)
    for i in range(1, n_orgs + 1):
        yield (
            f"kgo:org-{i:05d} a org:Organization ;\n"
            f"    schema:name {_lit(f'Organization {i}')} ;\n"
            f"    schema:url <https://example.org/org/{i}> .\n"
        )
    ann = 0
    for d in range(1, n_docs + 1):
        creators = sorted({rng.randint(1, n_orgs) for _ in range(rng.randint(1, 3))})
        creator_list = ", ".join(f"kgo:org-{c:05d}" for c in creators)
        yield (
            f"kgd:doc-{d:06d} a foaf:Document ;\n"
            f"    dcterms:identifier {_lit(f'doc-{d:06d}')} ;\n"
            f"    dcterms:title {_lit(f'Document {d}')} ;\n"
            f'    dcterms:date "2023-{1 + d % 12:02d}-{1 + d % 28:02d}"^^xsd:date ;\n'
            f"    dcterms:creator {creator_list} .\n"
        )
        for _ in range(ANNOTATIONS_PER_DOC):
            ann += 1
            a = f"kga:ann-{ann:07d}"
            creator = rng.choice(creators)
            comment = (
                f"    rdfs:comment {_lit('Grounds statement ' + str(ann))} ;\n"
                if rng.random() < 0.5
                else ""
            )
            yield (
                f"{a} a oa:Annotation ;\n"
                f"    oa:motivatedBy oa:describing ;\n"
                f"{comment}"
                f"    oa:hasBody kgo:org-{creator:05d} ;\n"
                f"    oa:hasTarget [\n"
                f"        a oa:SpecificResource ;\n"
                f"        oa:hasSource kgd:doc-{d:06d} ;\n"
                f"        oa:hasSelector [ a oa:TextQuoteSelector ;\n"
                f"            oa:exact {_lit(_quote(rng))} ;\n"
                f"            oa:prefix {_lit(rng.choice(WORDS))} ;\n"
                f"            oa:suffix {_lit(rng.choice(WORDS))} ]\n"
                f"    ] .\n"
            )


def write_documents(path: Path, triples: int, seed: int = 42) -> Path:
    """Write the synthetic Turtle file to ``path`` (through a temporary name) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(PREFIXES)
        for chunk in generate_documents(triples, seed):
            out.write(chunk)
    tmp.replace(path)
    return path


def main() -> None:
    """Command line: write synthetic releases (default) or engines.py's document workload."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--documents",
        action="store_true",
        help="write engines.py's single-file document workload to OUTPUT instead",
    )
    args = parser.parse_args()
    if args.documents:
        print(write_documents(args.output, args.triples, args.seed))
    else:
        print(write(args.output, args.triples, args.seed))


if __name__ == "__main__":
    main()
