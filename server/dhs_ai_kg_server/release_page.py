"""A source text as a page (``/source/<stem>`` for ``data/source/<stem>.txt``): its paragraphs,
bold runs as ``<strong>``, every quoted passage highlighted (``<mark>``) and anchored
(``#annotation-<slug>``), each with a note linking what it grounds; and where a quote's
anchor is, for the pages that link to it (entity pages, annotation pages)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.grounding import Quote
from dhs_ai_kg.namespaces import BASE
from dhs_ai_kg.passages import Piece, Span, blocks, locate, nest, unbold

from .derived import internal_query, our_resources
from .terms import TermView, local_path, view

__all__ = ["Block", "Body", "Passage", "anchor", "anchor_href", "source_page", "statement_row"]

SOURCE_QUOTES = internal_query("source-quotes")

#: Our source texts' IRIs: ``SOURCE_SPACE + "release.txt"`` is ``data/source/release.txt``.
SOURCE_SPACE = f"{BASE}source/"
_ANNOTATIONS = f"{BASE}id/annotation/"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def anchor(annotation: str) -> str:
    """The id of ``annotation``'s passage on its text's page: ``annotation-<slug>``, the slug
    its IRI after ``/id/annotation/`` (else a hash of the IRI)."""
    if annotation.startswith(_ANNOTATIONS) and annotation != _ANNOTATIONS:
        return "annotation-" + _UNSAFE.sub("-", annotation[len(_ANNOTATIONS) :])
    return "annotation-" + hashlib.sha256(annotation.encode("utf-8")).hexdigest()[:12]


def page_path(source_file: str) -> str | None:
    """The page of a text of ours (``BASE/source/release.txt`` → ``/source/release``)."""
    if not (source_file.startswith(SOURCE_SPACE) and source_file.endswith(".txt")):
        return None
    return "/source/" + source_file[len(SOURCE_SPACE) : -len(".txt")]


def anchor_href(source_file: str | None, annotation: str) -> str | None:
    """Where ``annotation``'s quote is highlighted: its anchor on its text's page."""
    path = page_path(source_file) if source_file is not None else None
    return f"{path}#{anchor(annotation)}" if path is not None else None


def statement_row(statement: str) -> str:
    """The id of a statement's row on its subject's page: ``statement-<hash>``, the last
    segment of the statement node's IRI (``BASE/id/statement/<hash>``)."""
    return "statement-" + _UNSAFE.sub("-", statement.rstrip("/").rsplit("/", 1)[-1])


@dataclass
class Body:
    """What a quote grounds: a resource (its page) or a statement (its row on the subject's
    page), with words to show."""

    kind: str  # "resource" or "statement"
    href: str
    text: str


@dataclass
class Passage:
    """One annotation's quote: where it stands (None if not once in the text) and its bodies."""

    key: str
    annotation: TermView
    exact: str
    prefix: str
    suffix: str
    bodies: list[Body] = field(default_factory=list)
    start: int | None = None
    end: int | None = None
    number: int = 0

    @property
    def note(self) -> str:
        """The id of its note (what it grounds)."""
        return "grounds-" + self.key.removeprefix("annotation-")


@dataclass
class Block:
    """A paragraph (``kind`` "p") or a list (``kind`` "ul", one piece list per item), with the
    notes of the passages that begin in it."""

    kind: str
    items: list[list[Piece]]
    notes: list[Passage]


def _label(term: object, labels: dict[str, str]) -> str:
    if isinstance(term, URIRef):
        return labels.get(str(term)) or view(term).text
    if isinstance(term, Literal):
        return f"“{term}”"
    return str(term)


def _passages(engine: Engine, source_file: str) -> tuple[list[Passage], list[TermView]]:
    labels = {r.iri: r.label for r in our_resources() if r.label}
    found: dict[str, Passage] = {}
    releases: dict[str, TermView] = {}
    rows = engine.query(SOURCE_QUOTES.text, {"sourceFile": URIRef(source_file)})
    for _, release, annotation, exact, prefix, suffix, body, subject, predicate, obj in rows:
        if str(release) not in releases:
            label = labels.get(str(release))
            releases[str(release)] = view(release, Literal(label) if label else None)
        key = anchor(str(annotation))
        passage = found.setdefault(
            key,
            Passage(
                key,
                view(annotation),
                str(exact),
                str(prefix) if prefix is not None else "",
                str(suffix) if suffix is not None else "",
            ),
        )
        if body is None:
            continue
        if subject is not None and predicate is not None and obj is not None:
            where = local_path(str(subject)) or str(subject)
            words = " ".join((_label(subject, labels), view(predicate).text, _label(obj, labels)))
            passage.bodies.append(Body("statement", f"{where}#{statement_row(str(body))}", words))
        else:
            passage.bodies.append(
                Body("resource", view(body).href or str(body), _label(body, labels))
            )
    return list(found.values()), list(releases.values())


def source_page(engine: Engine, source_file: str, raw: str) -> dict[str, object]:
    """What the page of ``source_file`` (whose text is ``raw``) shows: blocks of nested
    pieces, the passages in text order, and those that could not be placed."""
    text, bold = unbold(raw)
    passages, releases = _passages(engine, source_file)
    for passage in passages:
        quote = Quote(
            URIRef(passage.annotation.value), None, passage.exact, passage.prefix, passage.suffix
        )
        where = locate(text, quote)
        if where is not None:
            passage.start, passage.end = where
    placed = sorted(
        (p for p in passages if p.start is not None), key=lambda p: (p.start, -(p.end or 0))
    )
    for number, passage in enumerate(placed, 1):
        passage.number = number
    spans = [*bold, *(Span(p.start or 0, p.end or 0, p.key) for p in placed)]
    shown: list[Block] = []
    for start, end in blocks(text):
        lines = text[start:end].split("\n")
        if all(line.startswith("- ") for line in lines):  # a Markdown list: one item per line
            items, offset = [], start
            for line in lines:
                items.append(nest(text, offset + 2, offset + len(line), spans))
                offset += len(line) + 1
            kind = "ul"
        else:
            items, kind = [nest(text, start, end, spans)], "p"
        notes = [p for p in placed if start <= (p.start or 0) < end]
        shown.append(Block(kind, items, notes))
    return {
        "blocks": shown,
        "passages": placed,
        "unplaced": [p for p in passages if p.start is None],
        "source_file": source_file,
        "releases": releases,
    }
