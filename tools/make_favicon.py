"""Draw the site's icon: a small graph (three nodes, two edges) in white on the accent blue.

Writes ``server/dhs_ai_kg_server/static/favicon.svg`` and ``favicon.ico`` (16 and 32 px PNGs
in an ICO container, encoded with zlib and struct: no imaging library needed). Run it again
only to change the icon: ``python tools/make_favicon.py``.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "server" / "dhs_ai_kg_server" / "static"
BLUE = (11, 92, 173)  # site.css --accent
WHITE = (255, 255, 255)
#: Nodes and edges on a 0..1 square.
NODES = [(0.28, 0.30), (0.72, 0.36), (0.42, 0.74)]
EDGES = [(0, 1), (0, 2), (1, 2)]


def svg() -> str:
    """The icon as SVG (32-unit square)."""
    lines = "".join(
        f'<line x1="{NODES[a][0] * 32:g}" y1="{NODES[a][1] * 32:g}" '
        f'x2="{NODES[b][0] * 32:g}" y2="{NODES[b][1] * 32:g}"/>'
        for a, b in EDGES
    )
    dots = "".join(f'<circle cx="{x * 32:g}" cy="{y * 32:g}" r="4.2"/>' for x, y in NODES)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        '<rect width="32" height="32" rx="6" fill="#0b5cad"/>'
        f'<g stroke="#fff" stroke-width="2.2">{lines}</g><g fill="#fff">{dots}</g></svg>\n'
    )


def _segment_distance(
    p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]
) -> float:
    """Distance from ``p`` to the segment from ``a`` to ``b``."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    t = max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / (dx * dx + dy * dy)))
    return float(((p[0] - ax - t * dx) ** 2 + (p[1] - ay - t * dy) ** 2) ** 0.5)


def png(size: int) -> bytes:
    """The icon as a ``size`` px PNG."""
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            p = ((x + 0.5) / size, (y + 0.5) / size)
            node = min(((p[0] - nx) ** 2 + (p[1] - ny) ** 2) ** 0.5 for nx, ny in NODES)
            edge = min(_segment_distance(p, NODES[a], NODES[b]) for a, b in EDGES)
            white = node < 0.13 or edge < 0.035
            row += bytes(WHITE if white else BLUE) + b"\xff"
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def ico(sizes: tuple[int, ...] = (16, 32)) -> bytes:
    """An ICO holding one PNG per size."""
    images = [png(size) for size in sizes]
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, image in zip(sizes, images, strict=True):
        out += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return out + b"".join(images)


if __name__ == "__main__":
    (STATIC / "favicon.svg").write_text(svg(), encoding="utf-8")
    (STATIC / "favicon.ico").write_bytes(ico())
