"""A small HTML reader for tests: the page's links, ids, text and the text of chosen elements."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_ELEMENTS = {"br", "hr", "img", "input", "link", "meta", "source", "wbr", "col", "area"}


@dataclass
class Element:
    """One element: tag, attributes, and the text inside it (descendants included)."""

    tag: str
    attrs: dict[str, str]
    text: str = ""
    links: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """Parse ``html`` once; then read :attr:`elements`, :attr:`links`, :attr:`text`."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag == "a" and "href" in element.attrs:
            for parent in self._open:
                parent.links.append(element.attrs["href"])
            element.links.append(element.attrs["href"])
        if tag not in VOID_ELEMENTS:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    @property
    def links(self) -> list[str]:
        """Every ``<a href>`` in document order."""
        return [e.attrs["href"] for e in self.elements if e.tag == "a" and "href" in e.attrs]

    @property
    def text(self) -> str:
        """All the text, whitespace collapsed."""
        return " ".join(" ".join(e.text for e in self.elements if e.tag == "html").split())

    def by_id(self, element_id: str) -> Element:
        """The element with ``id``; KeyError if none."""
        for element in self.elements:
            if element.attrs.get("id") == element_id:
                return element
        raise KeyError(element_id)

    def all(self, tag: str, cls: str | None = None) -> list[Element]:
        """Elements with ``tag`` (and class ``cls``)."""
        return [
            e
            for e in self.elements
            if e.tag == tag and (cls is None or cls in e.attrs.get("class", "").split())
        ]
