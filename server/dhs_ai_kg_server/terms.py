"""RDF terms as templates show them, and our IRIs as local paths (no request needed)."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from dhs_ai_kg.namespaces import BASE, PREFIXES

__all__ = ["TermView", "curie", "href", "iri_path", "local_path", "view"]


def local_path(iri: str) -> str | None:
    """The path of one of our IRIs on this server (``BASE/id/x`` → ``/id/x``); else None."""
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else None


def href(iri: str) -> str:
    """Where a link to ``iri`` goes: our IRIs to their local page, others to themselves."""
    return local_path(iri) or iri


def curie(iri: str) -> str:
    """``iri`` shortened with the project prefixes (``dak:leads``), or whole."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    if best:
        local = iri[len(PREFIXES[best]) :]
        if local and "/" not in local and "#" not in local:
            return f"{best}:{local}"
    return iri


#: What an IRI path may hold unescaped (RFC 3987 ``ipchar`` and ``/``) besides ``ucschar``.
_IPATH_ASCII = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"
)
#: RFC 3987 ``ucschar``: the non-ASCII code points an IRI may hold unescaped.
_UCSCHAR = (
    (0xA0, 0xD7FF),
    (0xF900, 0xFDCF),
    (0xFDF0, 0xFFEF),
    *((plane + 0x0000, plane + 0xFFFD) for plane in range(0x10000, 0xE0000, 0x10000)),
    (0xE1000, 0xEFFFD),
)


def _ipath_char(char: str) -> bool:
    if char in _IPATH_ASCII:
        return True
    point = ord(char)
    return point >= 0xA0 and any(low <= point <= high for low, high in _UCSCHAR)


def iri_path(path: str) -> str:
    """``path`` (as decoded from the URL) as an IRI path: other characters percent-encoded.

    ``/id/a%20b`` asks for ``BASE/id/a%20b``, a legal IRI; a ``%`` from ``%25``, a control
    character or bytes that were not UTF-8 (decoded as U+FFFD) are escaped the same way.
    """
    return "".join(
        char if _ipath_char(char) else "".join(f"%{b:02X}" for b in char.encode("utf-8"))
        for char in path
    )


@dataclass(frozen=True)
class TermView:
    """An RDF term ready for a template: its text, link, and literal language or datatype."""

    kind: str  # "iri", "bnode" or "literal"
    value: str
    text: str
    href: str | None = None
    local: bool = False
    lang: str | None = None
    datatype: str | None = None
    datatype_href: str | None = None


def view(term: Node | None, label: Node | None = None) -> TermView:
    """The template view of ``term``; ``label`` (a literal) is shown instead of an IRI."""
    if term is None:  # a query column its WHERE clause always binds
        raise ValueError("cannot show an unbound term")
    if isinstance(term, URIRef):
        iri = str(term)
        path = local_path(iri)
        short = "kg:" + iri[len(BASE) + 3 :] if path and path.startswith("/id/") else curie(iri)
        text = str(label) if label is not None else short
        return TermView("iri", iri, text, href(iri), local_path(iri) is not None)
    if isinstance(term, BNode):
        return TermView("bnode", str(term), "_:" + str(term))
    assert isinstance(term, Literal)
    datatype = str(term.datatype) if term.datatype is not None else None
    return TermView(
        "literal",
        str(term),
        str(term),
        lang=term.language,
        datatype=curie(datatype) if datatype else None,
        datatype_href=href(datatype) if datatype else None,
    )
