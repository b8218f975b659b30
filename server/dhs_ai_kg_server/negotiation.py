"""Content negotiation: the ``Accept`` header and the ``format=`` parameter against format tables.

An ``Accept`` header is matched the RFC 9110 way (§12.5.1): each media type of a format gets the
q of the most specific range that matches it; the highest q wins, ties go to the format's
canonical media type, then to the table's order (so ``*/*`` gives the table's first format).
``format=`` takes a short name (``json``, ``ttl``, ``rdfxml``…, see :data:`FORMAT_ALIASES`) or
a media type, and wins over ``Accept``.
"""

from __future__ import annotations

from collections.abc import Mapping

from dhs_ai_kg.engine import OutputFormat
from dhs_ai_kg.formats import REGISTRY

__all__ = [
    "FORMAT_ALIASES",
    "choose",
    "format_name",
    "parse_accept",
    "prefers_html",
    "quality",
]

#: ``format=`` spellings besides the tables' own names and media types (the registry's aliases),
#: each mapped to the media type it means (not a table name: ``rdfxml`` must not pick SPARQL XML).
FORMAT_ALIASES: dict[str, str] = {a: f.media_type for f in REGISTRY for a in f.aliases}


def format_name(value: str | None) -> str | None:
    """The table name or bare media type a ``format=`` value stands for (None if absent)."""
    if value is None or not value.strip():
        return None
    wanted = value.split(";", 1)[0].strip().lower()
    return FORMAT_ALIASES.get(wanted, wanted)


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """``(media range, q)`` pairs of an ``Accept`` header, best first; none → ``*/*``."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges: list[tuple[str, float, int]] = []
    for index, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        if media == "*":  # some clients send a bare "*"
            media = "*/*"
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media, q, index))
    ranges.sort(key=lambda r: (-r[1], _specificity(r[0]), r[2]))
    return [(media, q) for media, q, _ in ranges]


def _specificity(media: str) -> int:
    if media == "*/*":
        return 2
    return 1 if media.endswith("/*") else 0


def _matches(media_range: str, media_type: str) -> bool:
    if media_range == "*/*":
        return True
    if media_range.endswith("/*"):
        return media_type.startswith(media_range[:-1])
    return media_range == media_type


def choose(header: str | None, formats: Mapping[str, OutputFormat]) -> OutputFormat | None:
    """The format to answer with: highest q, then the table's order; None if nothing fits."""
    best: tuple[float, int, int] | None = None
    chosen: OutputFormat | None = None
    accepted = parse_accept(header)
    for order, fmt in enumerate(formats.values()):
        for media_type in fmt.media_types:
            q = _quality(accepted, media_type)
            if q <= 0:
                continue
            exact = 0 if media_type == fmt.media_type else 1
            key = (-q, exact, order)
            if best is None or key < best:
                best, chosen = key, fmt
    return chosen


def quality(header: str | None, media_type: str) -> tuple[float, int]:
    """The q ``header`` gives ``media_type`` and how specific the range that gave it was
    (0 exact, 1 ``type/*``, 2 ``*/*``; 3 when nothing matched)."""
    matching = [(m, q) for m, q in parse_accept(header) if _matches(m, media_type)]
    if not matching:
        return 0.0, 3
    matching.sort(key=lambda r: _specificity(r[0]))
    return matching[0][1], _specificity(matching[0][0])


def _quality(accepted: list[tuple[str, float]], media_type: str) -> float:
    """The q of the most specific range matching ``media_type`` (RFC 9110 §12.5.1)."""
    matching = [(media, q) for media, q in accepted if _matches(media, media_type)]
    if not matching:
        return 0.0
    matching.sort(key=lambda r: _specificity(r[0]))
    return matching[0][1]


def prefers_html(header: str | None, formats: Mapping[str, OutputFormat]) -> bool:
    """Whether ``header`` asks for an HTML page rather than any of ``formats``.

    HTML wins on a higher q, or on an equal q when the client named ``text/html`` more
    specifically than the best RDF type (a browser's ``text/html,…,*/*;q=0.8``), never on
    ``*/*`` alone (curl, most RDF clients).
    """
    html_q, html_spec = quality(header, "text/html")
    if html_q <= 0 or html_spec == 2:
        return False
    best = max(
        (quality(header, media_type) for fmt in formats.values() for media_type in fmt.media_types),
        key=lambda found: (found[0], -found[1]),
    )
    return html_q > best[0] or (html_q == best[0] and html_spec < best[1])
