"""Source fidelity: every quote is in the release, once; every resource is grounded and derived."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, SKOS, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.grounding import (
    Quote,
    exempt_properties,
    grounded_statements,
    plain_text,
    quote_problems,
    quotes,
    release_texts,
    statement_iri,
    statement_nodes,
    ungrounded_statements,
)
from dhs_ai_kg.loading import load_dataset, parse_turtle, union_graph
from dhs_ai_kg.named_queries import load_named_queries
from dhs_ai_kg.namespaces import DAK, GRAPH, KG, OA, SCHEMA
from dhs_ai_kg.resources import resource_dir, source_text_file
from dhs_ai_kg.validation import validate

RELEASE = KG["doc/press-release-2023-12-05"]
REPO_ROOT = Path(__file__).resolve().parents[1]
#: ``sha256sum`` line of the release as received, recorded when it was added to the repository
#: (a maintainer checks a new copy with ``sha256sum -c tests/expected/release.txt.sha256``).
RECORDED_HASH = Path(__file__).parent / "expected" / "release.txt.sha256"


@pytest.fixture(scope="module")
def dataset():
    return load_dataset()


@pytest.fixture(scope="module")
def union(dataset) -> Graph:
    return union_graph(dataset)


@pytest.fixture(scope="module")
def texts(union):
    return release_texts(union, [resource_dir("data") / "source"])


def test_shipped_source_is_the_release_verbatim():
    digest, name = RECORDED_HASH.read_text(encoding="utf-8").split()
    assert (REPO_ROOT / name).resolve() == source_text_file().resolve()
    assert hashlib.sha256(source_text_file().read_bytes()).hexdigest() == digest


#: How a test could reach outside the repository: a named folder beside it, or an absolute path.
OUTSIDE = re.compile(r"\.\./shared|/w[o]rk/|[\"']/(?:tmp|home|root|srv|opt)/|[\"']shared[\"']")
PARENTS = re.compile(r"\bparents\[(\d+)\]")


def test_no_test_reads_outside_the_repository():
    sources = [p for p in (REPO_ROOT / "tests").rglob("*.py") if ".venv" not in p.parts]
    assert Path(__file__) in sources
    found = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {m[0]}" for m in OUTSIDE.finditer(text)]
        for match in PARENTS.finditer(text):  # tests/x.py: parents[1] is the root, [2] outside
            if not path.resolve().parents[int(match[1])].is_relative_to(REPO_ROOT):
                found.append(f"{path.name}: {match[0]} leaves the repository")
    assert found == []


def test_plain_text_removes_only_bold_markers():
    assert plain_text("call for the government to **abandon** it") == (
        "call for the government to abandon it"
    )


def test_the_release_text_is_found_by_its_source(texts):
    assert list(texts) == [RELEASE]
    assert "FOR IMMEDIATE RELEASE" in texts[RELEASE]
    assert "**" not in texts[RELEASE]


def test_every_quote_is_in_the_release_exactly_once(union, texts):
    assert len(quotes(union)) >= 30
    assert quote_problems(union, texts) == []


def test_an_absent_or_ambiguous_quote_is_reported():
    text = "the groups offer nine recommendations; the groups agree"
    g = Graph()
    for i, exact in enumerate(["nine", "the groups", "ten"]):
        target, selector = KG[f"t{i}"], KG[f"s{i}"]
        g.add((target, OA.hasSource, RELEASE))
        g.add((target, OA.hasSelector, selector))
        g.add((selector, OA.exact, Literal(exact)))
    problems = quote_problems(g, {RELEASE: text})
    assert len(problems) == 2
    assert any("'the groups' stands 2 times" in p for p in problems)
    assert any("'ten' is not in the text" in p for p in problems)


def test_prefix_and_suffix_disambiguate():
    quote = Quote(selector=KG.s, source=RELEASE, exact="the groups", prefix="; ", suffix=" agree")
    assert quote.occurrences("the groups offer; the groups agree") == 1


def _release_resources(dataset) -> set[URIRef]:
    graph = dataset.graph(GRAPH.release)
    schemes = set(graph.subjects(RDF.type, SKOS.ConceptScheme))
    return {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(KG)} - schemes


def test_every_release_resource_is_grounded_by_an_annotation(dataset):
    provenance = dataset.graph(GRAPH.provenance)
    grounded = set(provenance.objects(None, OA.hasBody))
    ungrounded = sorted(_release_resources(dataset) - grounded)
    assert ungrounded == []


def test_every_release_resource_is_derived_from_the_release(dataset):
    provenance = dataset.graph(GRAPH.provenance)
    derived = set(provenance.subjects(PROV.wasDerivedFrom, RELEASE))
    assert sorted(_release_resources(dataset) - {RELEASE} - derived) == []


def test_every_annotation_targets_the_release_with_a_quote(dataset):
    provenance = dataset.graph(GRAPH.provenance)
    annotations = set(provenance.subjects(RDF.type, OA.Annotation))
    assert annotations
    for annotation in annotations:
        target = provenance.value(annotation, OA.hasTarget)
        assert provenance.value(target, OA.hasSource) == RELEASE, annotation
        selector = provenance.value(target, OA.hasSelector)
        assert (selector, RDF.type, OA.TextQuoteSelector) in provenance, annotation
        assert provenance.value(selector, OA.exact), annotation


def test_annotation_bodies_exist_in_the_release_graph(dataset):
    """A body is a release resource, or a statement node whose statement the release makes."""
    release = dataset.graph(GRAPH.release)
    provenance = dataset.graph(GRAPH.provenance)
    statements = {statement_iri(t): t for t in grounded_statements(provenance)}
    bodies = set(provenance.objects(None, OA.hasBody))
    assert len(statements) >= 100
    assert sorted(b for b in bodies if b in statements and statements[b] not in release) == []
    assert sorted(b for b in bodies - set(statements) if (b, None, None) not in release) == []


# --- statement grounding (issue 8) ----------------------------------------------------------

SECOND = Path(__file__).parent / "fixtures" / "second-release"
ASSIGNMENTS = {
    "real": REPO_ROOT / "tools" / "statement-assignments.trig",
    "second": SECOND / "statement-assignments.trig",
}


def _exempt(dataset) -> set[URIRef]:
    return exempt_properties(dataset.graph(GRAPH.metadata))


def _release_only(folder: Path | None) -> tuple[Graph, Graph]:
    """(release graph, provenance graph) of one release's folder (None: the real data)."""
    if folder is None:
        data = load_dataset()
        return data.graph(GRAPH.release), data.graph(GRAPH.provenance)
    return (
        parse_turtle(folder / "graphs" / "release.ttl"),
        parse_turtle(folder / "graphs" / "provenance.ttl"),
    )


def test_the_metadata_graph_lists_a_small_explicit_exemption_list(dataset):
    exempt = _exempt(dataset)
    assert exempt == {RDF.type, RDFS.label, SKOS.prefLabel, SKOS.definition, SKOS.scopeNote,
                      SKOS.inScheme, SKOS.broader}  # fmt: skip
    release = dataset.graph(GRAPH.release)
    assert all((None, p, None) in release for p in exempt), "each exempt property is used"


@pytest.mark.parametrize("folder", [None, SECOND], ids=["real", "second-release"])
def test_every_non_exempt_statement_is_grounded(dataset, folder):
    """Coverage is 100%: every statement of the release graph but the exempt housekeeping is
    an rdf:Statement that an annotation quoting the release has as a body."""
    release, provenance = _release_only(folder)
    exempt = _exempt(dataset)
    statements = [t for t in release if t[1] not in exempt]
    grounded = grounded_statements(provenance)
    assert len(statements) >= (150 if folder is None else 40)
    assert ungrounded_statements(release, provenance, exempt) == []
    assert sum(t in grounded for t in statements) / len(statements) == 1.0
    annotations = set(provenance.subjects(RDF.type, OA.Annotation))
    assert {a for found in grounded.values() for a in found} <= annotations


@pytest.mark.parametrize("folder", [None, SECOND], ids=["real", "second-release"])
def test_exempt_statements_are_about_grounded_resources(dataset, folder):
    """The claim's other half: housekeeping needs no quote because its subject has one (or is
    one of our concept schemes, which the release does not name)."""
    release, provenance = _release_only(folder)
    bodies = set(provenance.objects(None, OA.hasBody))
    schemes = set(release.subjects(RDF.type, SKOS.ConceptScheme))
    exempt = _exempt(dataset)
    subjects = {s for s, p, _ in release if p in exempt}
    assert sorted(subjects - bodies - schemes) == []


@pytest.mark.parametrize("folder", [None, SECOND], ids=["real", "second-release"])
def test_only_release_statements_are_reified_and_each_by_its_hash(dataset, folder):
    release, provenance = _release_only(folder)
    for node in provenance.subjects(RDF.type, RDF.Statement):
        spo = tuple(provenance.value(node, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        assert spo in release, spo
        assert node == statement_iri(spo)  # type: ignore[arg-type]
        line = " ".join(t.n3() for t in spo) + " ."  # type: ignore[union-attr]
        assert str(node).endswith("/statement/" + hashlib.sha256(line.encode()).hexdigest()[:12])


@pytest.mark.parametrize("name", ["real", "second"])
def test_the_provenance_graph_holds_exactly_the_assignments(dataset, name):
    """The statement nodes are what tools/ground_statements.py writes from the assignments
    (rerun it after changing either)."""
    folder = None if name == "real" else SECOND
    release, provenance = _release_only(folder)
    assignments = Dataset()
    assignments.parse(ASSIGNMENTS[name], format="trig")
    expected = statement_nodes(assignments, release, _exempt(dataset))
    nodes = set(provenance.subjects(RDF.type, RDF.Statement))
    written = {t for t in provenance if t[0] in nodes or (t[1] == OA.hasBody and t[2] in nodes)}
    assert written == set(expected)


def test_assignments_naming_an_absent_or_exempt_statement_are_refused(dataset):
    release = dataset.graph(GRAPH.release)
    assignments = Dataset()
    mijente = KG["org/mijente"]
    graph = assignments.graph(KG["annotation/mijente-identity"])
    graph.add((mijente, SCHEMA.name, Literal("Mijente")))
    graph.add((mijente, SCHEMA.name, Literal("Not Mijente")))
    graph.add((mijente, RDFS.label, Literal("Mijente", lang="en")))
    with pytest.raises(ValueError) as caught:
        statement_nodes(assignments, release, _exempt(dataset))
    assert "Not Mijente" in str(caught.value) and "not in the release graph" in str(caught.value)
    assert "has an exempt property" in str(caught.value)


def test_query_15_finds_the_quotes_of_every_statement(dataset):
    """For each grounded statement, the named query returns exactly the annotations the
    provenance graph ties to it, with their quotes (objects given in Turtle syntax)."""
    engine = Engine.from_dataset(dataset)
    query = load_named_queries()["15-statement-source"]
    provenance = dataset.graph(GRAPH.provenance)
    grounded = grounded_statements(provenance)
    assert any(isinstance(o, Literal) and o.language for _, _, o in grounded)
    assert any(isinstance(o, Literal) and o.datatype for _, _, o in grounded)
    for (s, p, o), stating in grounded.items():
        raw = {"subject": str(s), "predicate": str(p), "object": o.n3()}
        result = engine.query(query.text, query.bind(raw))
        rows = {(row[4], str(row[5])) for row in result}  # (annotation, exact)
        quoted = {(a, str(provenance.value(KG[str(a)[len(KG) :] + "#selector"], OA.exact)))
                  for a in stating}  # fmt: skip
        assert rows == quoted, (s, p, o)


def test_validate_names_a_statement_no_quote_states(dataset):
    """An invented statement about a grounded resource fails the shapes, naming the triple."""
    invented = (KG["org/mijente"], DAK.leads, KG["campaign/not-in-the-release"])
    dataset.graph(GRAPH.release).add(invented)
    try:
        outcome = validate(dataset)
    finally:
        dataset.graph(GRAPH.release).remove(invented)
    assert not outcome.conforms
    (result,) = outcome.results
    assert result.focus_node == GRAPH.release
    assert result.result_path == DAK.leads and result.value == invented[2]
    assert all(str(term) in result.message for term in invented)


def test_the_metadata_graph_claims_what_the_data_shows(dataset):
    """The dataset's description says how statements are grounded; the tests above prove it."""
    metadata = dataset.graph(GRAPH.metadata)
    release_description = str(metadata.value(GRAPH.release, DCTERMS.description))
    assert "Every statement is tied to the annotation whose quote states it" in release_description
    assert "grounding-exempt" in release_description
    provenance_description = str(metadata.value(GRAPH.provenance, DCTERMS.description))
    assert "rdf:Statement" in provenance_description
    assert set(metadata.subjects(DAK.groundingExemptProperty, None)) == {GRAPH.release}
    release, provenance = dataset.graph(GRAPH.release), dataset.graph(GRAPH.provenance)
    assert ungrounded_statements(release, provenance, _exempt(dataset)) == []
