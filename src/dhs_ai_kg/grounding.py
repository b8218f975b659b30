"""Check the Web Annotation quotes that ground the graph against the release text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import DCTERMS, Graph, Literal, URIRef
from rdflib.term import Node

from .namespaces import OA
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


def quotes(graph: Graph) -> list[Quote]:
    """Every TextQuoteSelector in ``graph`` (a graph or the union of a dataset's graphs)."""
    found = []
    for target, selector in graph.subject_objects(OA.hasSelector):
        exact = graph.value(selector, OA.exact)
        if not isinstance(exact, Literal):
            continue
        source = graph.value(target, OA.hasSource)
        found.append(
            Quote(
                selector=selector,
                source=source if isinstance(source, URIRef) else None,
                exact=str(exact),
                prefix=str(graph.value(selector, OA.prefix) or ""),
                suffix=str(graph.value(selector, OA.suffix) or ""),
            )
        )
    return found


def quote_problems(graph: Graph, texts: dict[URIRef, str]) -> list[str]:
    """Quotes that are not in their source's text exactly once, as readable messages.

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
    """Each release's de-bolded text, found by its ``dcterms:source`` in ``source_dirs``.

    A release's text is ``<https://w3id.org/dhs-ai-kg/source/NAME>``, shipped as
    ``source/NAME`` next to the graphs (``data/source/release.txt`` for the real release).
    """
    texts: dict[URIRef, str] = {}
    for release, source in graph.subject_objects(DCTERMS.source):
        if not (isinstance(release, URIRef) and str(source).startswith(SOURCE_SPACE)):
            continue
        name = str(source)[len(SOURCE_SPACE) :]
        for folder in source_dirs:
            if (folder / name).is_file():
                texts[release] = source_text(folder / name)
                break
    return texts
