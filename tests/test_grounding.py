"""Source fidelity: every quote is in the release, once; every resource is grounded and derived."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from rdflib import RDF, SKOS, Graph, Literal, URIRef
from rdflib.namespace import PROV

from dhs_ai_kg.grounding import (
    Quote,
    grounded_statements,
    plain_text,
    quote_problems,
    quotes,
    release_texts,
    statement_iri,
)
from dhs_ai_kg.loading import load_dataset, union_graph
from dhs_ai_kg.namespaces import GRAPH, KG, OA
from dhs_ai_kg.resources import resource_dir, source_text_file

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
