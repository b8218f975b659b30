"""Content negotiation for SPARQL results: the ``Accept`` header against the format tables."""

from __future__ import annotations

from dhs_ai_kg.engine import OutputFormat


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


def choose(header: str | None, formats: dict[str, OutputFormat]) -> OutputFormat | None:
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


def _quality(accepted: list[tuple[str, float]], media_type: str) -> float:
    """The q of the most specific range matching ``media_type`` (RFC 9110 §12.5.1)."""
    matching = [(media, q) for media, q in accepted if _matches(media, media_type)]
    if not matching:
        return 0.0
    matching.sort(key=lambda r: _specificity(r[0]))
    return matching[0][1]
