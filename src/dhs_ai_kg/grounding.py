"""Check the Web Annotation quotes that ground the graph against the release text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import DCTERMS, RDF, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from .namespaces import DAK, OA
from .resources import source_text_file

BOLD_MARKER = "**"


def plain_text(raw: str) -> str:
    """The release text as quoted: the Markdown bold markers removed, nothing else changed."""
    return raw.replace(BOLD_MARKER, "")


def source_text(path: Path | None = None) -> str:
    """The release text (de-bolded) from ``path``, by default the copy shipped under data/."""
    return plain_text((path or source_text_file()).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Quote:
    """One TextQuoteSelector: the exact words, and the context that makes them unambiguous."""

    selector: Node
    source: URIRef | None
    exact: str
    prefix: str = ""
    suffix: str = ""

    def occurrences(self, text: str) -> int:
        """How many times prefix + exact + suffix stands in ``text``, overlaps included."""
        needle = self.prefix + self.exact + self.suffix
        count, start = 0, text.find(needle)
        while start != -1:
            count += 1
            start = text.find(needle, start + 1)
        return count


def _pairs(data: Graph, predicate: URIRef) -> Iterator[tuple[Node, Node]]:
    """Subject and object of each ``predicate`` statement: in every graph of a dataset, read in
    place (one index lookup, no union copy), or in a plain graph."""
    if isinstance(data, Dataset):
        return ((s, o) for s, _, o, _ in data.quads((None, predicate, None, None)))
    return data.subject_objects(predicate)


def _first_objects(data: Graph, predicate: URIRef) -> dict[Node, Node]:
    """Each subject of ``predicate`` mapped to its first object, as ``Graph.value`` picks."""
    found: dict[Node, Node] = {}
    for subject, obj in _pairs(data, predicate):
        found.setdefault(subject, obj)
    return found


def quotes(graph: Graph) -> list[Quote]:
    """Every TextQuoteSelector in ``graph``: a plain graph, or a dataset read across all its
    graphs. One pass per property (five in all), so the cost is linear in the quotes."""
    exacts = _first_objects(graph, OA.exact)
    prefixes = _first_objects(graph, OA.prefix)
    suffixes = _first_objects(graph, OA.suffix)
    sources = _first_objects(graph, OA.hasSource)
    found = []
    for target, selector in dict.fromkeys(_pairs(graph, OA.hasSelector)):
        exact = exacts.get(selector)
        if not isinstance(exact, Literal):
            continue
        source = sources.get(target)
        found.append(
            Quote(
                selector=selector,
                source=source if isinstance(source, URIRef) else None,
                exact=str(exact),
                prefix=str(prefixes.get(selector) or ""),
                suffix=str(suffixes.get(selector) or ""),
            )
        )
    return found


def quote_problems(graph: Graph, texts: dict[URIRef, str]) -> list[str]:
    """Quotes that are not in their source's text exactly once, as readable messages; ``graph``
    is a plain graph or a dataset (read in place, across all its graphs).

    ``texts`` maps each release IRI to its de-bolded text; a quote whose source is not in it
    is a problem too.
    """
    problems = []
    for quote in quotes(graph):
        text = texts.get(quote.source) if quote.source is not None else None
        if text is None:
            problems.append(f"quote {quote.exact!r}: no text known for source {quote.source}")
            continue
        n = quote.occurrences(text)
        if n == 0:
            problems.append(f"quote {quote.exact!r} is not in the text of {quote.source}")
        elif n > 1:
            problems.append(
                f"quote {quote.exact!r} stands {n} times in {quote.source}: "
                "add oa:prefix/oa:suffix to make it unambiguous"
            )
    return problems


SOURCE_SPACE = "https://w3id.org/dhs-ai-kg/source/"


def release_texts(graph: Graph, source_dirs: list[Path]) -> dict[URIRef, str]:
    """Each release's de-bolded text, found by its ``dcterms:source`` in ``source_dirs``;
    ``graph`` is a plain graph or a dataset (read in place, across all its graphs).

    A release's text is ``<https://w3id.org/dhs-ai-kg/source/NAME>``, shipped as
    ``source/NAME`` next to the graphs (``data/source/release.txt`` for the real release).
    """
    texts: dict[URIRef, str] = {}
    for release, source in _pairs(graph, DCTERMS.source):
        if not (isinstance(release, URIRef) and str(source).startswith(SOURCE_SPACE)):
            continue
        name = str(source)[len(SOURCE_SPACE) :]
        for folder in source_dirs:
            if (folder / name).is_file():
                texts[release] = source_text(folder / name)
                break
    return texts


# Statement grounding (issue 8): each statement of the release graph is an ``rdf:Statement``
# node of the provenance graph, named by a hash of its N-Triples line, and a body of the
# annotation(s) whose quote states it. Properties the metadata graph lists with
# ``dak:groundingExemptProperty`` are housekeeping and need no quote (docs/modelling.md).

STATEMENT_SPACE = "https://w3id.org/dhs-ai-kg/id/statement/"

Triple = tuple[Node, Node, Node]


def statement_iri(triple: Triple) -> URIRef:
    """The IRI of the provenance node that reifies ``triple``: the first 12 hex digits of the
    SHA-256 of its N-Triples line (the rule of the links graph's citation nodes)."""
    line = " ".join(term.n3() for term in triple) + " ."
    return URIRef(STATEMENT_SPACE + hashlib.sha256(line.encode("utf-8")).hexdigest()[:12])


def exempt_properties(graph: Graph) -> set[URIRef]:
    """The properties whose statements need no grounding, as the metadata graph lists them."""
    return {p for p in graph.objects(None, DAK.groundingExemptProperty) if isinstance(p, URIRef)}


def grounded_statements(provenance: Graph) -> dict[Triple, set[URIRef]]:
    """Each statement the provenance graph reifies, mapped to the annotations that state it."""
    found: dict[Triple, set[URIRef]] = {}
    for node in provenance.subjects(RDF.type, RDF.Statement):
        triple = tuple(provenance.value(node, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        annotations = {a for a in provenance.subjects(OA.hasBody, node) if isinstance(a, URIRef)}
        if None not in triple and annotations:
            found.setdefault(triple, set()).update(annotations)  # type: ignore[arg-type]
    return found


def ungrounded_statements(release: Graph, provenance: Graph, exempt: set[URIRef]) -> list[Triple]:
    """The release graph's non-exempt statements that no annotation states, sorted."""
    grounded = grounded_statements(provenance)
    return sorted(t for t in release if t[1] not in exempt and t not in grounded)


def statement_nodes(assignments: Dataset, release: Graph, exempt: set[URIRef]) -> Graph:
    """The provenance triples that tie statements to annotations, from ``assignments``: a
    dataset with one named graph per annotation holding the release statements its quote
    states. ValueError naming every assigned statement not in ``release`` or exempt."""
    out = Graph()
    problems = []
    for context in assignments.graphs():
        annotation = context.identifier
        if not isinstance(annotation, URIRef) or annotation == DATASET_DEFAULT_GRAPH_ID:
            continue
        for triple in context:
            line = " ".join(term.n3() for term in triple)
            if triple not in release:
                problems.append(f"{annotation}: {line} is not in the release graph")
            elif triple[1] in exempt:
                problems.append(f"{annotation}: {line} has an exempt property")
            node = statement_iri(triple)
            out.add((annotation, OA.hasBody, node))
            out.add((node, RDF.type, RDF.Statement))
            out.add((node, RDF.subject, triple[0]))
            out.add((node, RDF.predicate, triple[1]))
            out.add((node, RDF.object, triple[2]))
    if problems:
        raise ValueError("\n".join(sorted(problems)))
    return out
