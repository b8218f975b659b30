"""Where quotes and bold markers stand in a release's text, and how to mark them up as
properly nested spans (for the release page: quotes may overlap each other and bold runs).

Offsets are in the quoted text, :func:`~dhs_ai_kg.grounding.plain_text` of the raw file
(its ``**`` markers removed), which is what every ``oa:exact`` is checked against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .grounding import BOLD_MARKER, Quote

__all__ = ["Piece", "Span", "blocks", "locate", "nest", "unbold"]

_BLANK_LINES = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Span:
    """A run of the text ``[start, end)`` carrying ``key`` (``"strong"`` or a quote's key)."""

    start: int
    end: int
    key: str


@dataclass(frozen=True)
class Piece:
    """One step of nested markup: open or close ``key``, or a run of ``text``.

    ``first`` marks the first opening of a key (where its anchor goes); ``last`` the closing
    at its true end (not one forced by a crossing span, which is reopened right after)."""

    kind: Literal["open", "close", "text"]
    key: str = ""
    text: str = ""
    first: bool = False
    last: bool = False


def unbold(raw: str) -> tuple[str, list[Span]]:
    """The text without its ``**`` markers, and the bold runs as spans of that text."""
    parts = raw.split(BOLD_MARKER)
    text, bold, offset = "", [], 0
    for index, part in enumerate(parts):
        if index % 2 == 1 and part:
            bold.append(Span(offset, offset + len(part), "strong"))
        text += part
        offset += len(part)
    return text, bold


def locate(text: str, quote: Quote) -> tuple[int, int] | None:
    """Where ``quote.exact`` stands in ``text`` (its prefix and suffix around it), if it stands
    there exactly once; None otherwise (absent or ambiguous: tests/test_grounding.py)."""
    needle = quote.prefix + quote.exact + quote.suffix
    found = text.find(needle)
    if found == -1 or not quote.exact or text.find(needle, found + 1) != -1:
        return None
    start = found + len(quote.prefix)
    return start, start + len(quote.exact)


def blocks(text: str) -> list[tuple[int, int]]:
    """The paragraphs of ``text`` (separated by blank lines), as ``[start, end)`` offsets
    without their surrounding whitespace; empty ones left out."""
    found: list[tuple[int, int]] = []
    start = 0
    for separator in [*_BLANK_LINES.finditer(text), None]:
        end = separator.start() if separator else len(text)
        chunk = text[start:end]
        left = len(chunk) - len(chunk.lstrip())
        right = len(chunk.rstrip())
        if right > left:
            found.append((start + left, start + right))
        start = separator.end() if separator else len(text)
    return found


def nest(text: str, start: int, end: int, spans: list[Span]) -> list[Piece]:
    """``text[start:end]`` as pieces in which ``spans`` (clipped to it) nest properly.

    Spans open longest first, so a span inside another nests in it; where two spans cross,
    the inner one is closed at the outer one's end and reopened just after it: a span may so
    become several fragments, whose texts together are its text. ``first`` and ``last`` are
    relative to the whole text: a span that began in an earlier block is not ``first``.
    """
    clipped = [
        (Span(max(s.start, start), min(s.end, end), s.key), s)
        for s in spans
        if max(s.start, start) < min(s.end, end)
    ]
    order = {id(whole): n for n, (_, whole) in enumerate(clipped)}
    bounds = sorted({start, end, *(c.start for c, _ in clipped), *(c.end for c, _ in clipped)})
    stack: list[tuple[Span, Span]] = []
    opened: set[int] = set()
    pieces: list[Piece] = []
    for index, position in enumerate(bounds):
        reopen: list[tuple[Span, Span]] = []
        ending = [n for n, (c, _) in enumerate(stack) if c.end == position]
        if ending:
            lowest = min(ending)
            reopen = [entry for entry in stack[lowest:] if entry[0].end != position]
            for clip, whole in reversed(stack[lowest:]):
                closing = clip.end == position
                pieces.append(Piece("close", clip.key, last=closing and whole.end == clip.end))
            del stack[lowest:]
        starting = [entry for entry in clipped if entry[0].start == position]
        for entry in sorted(reopen + starting, key=lambda e: (-e[0].end, order[id(e[1])])):
            clip, whole = entry
            first = id(whole) not in opened and whole.start == clip.start
            opened.add(id(whole))
            pieces.append(Piece("open", clip.key, first=first))
            stack.append(entry)
        if index + 1 < len(bounds):
            pieces.append(Piece("text", text=text[position : bounds[index + 1]]))
    return pieces
