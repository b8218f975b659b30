"""Static files compressed and cached by version, the favicon (server/dhs_ai_kg_server/assets.py),
and the front's response cache keeping gzip and identity answers apart."""

from __future__ import annotations

import gzip
import hashlib
import re
import struct
from pathlib import Path

from dhs_ai_kg_server.response_cache import ResponseCache

STATIC = Path(__file__).resolve().parents[1] / "server" / "dhs_ai_kg_server" / "static"
EDITOR = "vendor/yasqe/yasqe.min.js"


def editor_url(client) -> str:
    """The editor bundle's URL as the query page writes it."""
    page = client.get("/query", headers={"Accept": "text/html"}).get_data(as_text=True)
    found = re.search(r'src="(/static/vendor/yasqe/yasqe\.min\.js\?v=[0-9a-f]+)"', page)
    assert found, "the query page does not load a versioned editor bundle"
    return found.group(1)


def test_editor_bundle_url_names_its_content(client):
    data = (STATIC / EDITOR).read_bytes()
    assert editor_url(client).endswith("?v=" + hashlib.sha256(data).hexdigest()[:16])


def test_versioned_bundle_is_gzipped_and_immutable(client):
    url = editor_url(client)
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    body = response.get_data()
    assert gzip.decompress(body) == (STATIC / EDITOR).read_bytes()
    assert len(body) < len((STATIC / EDITOR).read_bytes()) / 3
    assert int(response.headers["Content-Length"]) == len(body)
    again = client.get(
        url, headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_identity_for_clients_without_gzip_and_revalidation_without_version(client):
    url = editor_url(client)
    for header in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0"}):
        response = client.get(url, headers=header, buffered=True)
        assert "Content-Encoding" not in response.headers, header
        assert response.get_data() == (STATIC / EDITOR).read_bytes()
    bare = client.get("/static/" + EDITOR, headers={"Accept-Encoding": "gzip"}, buffered=True)
    assert bare.headers["Cache-Control"] == "no-cache"
    assert bare.headers["Content-Encoding"] == "gzip"


def test_favicon_is_an_icon_cached_for_a_day(client):
    response = client.get("/favicon.ico", buffered=True)
    assert response.status_code == 200
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    body = response.get_data()
    reserved, kind, count = struct.unpack("<HHH", body[:6])
    assert (reserved, kind, count) == (0, 1, 2)  # an icon with two images (16 and 32 px)
    svg = client.get("/static/favicon.svg", buffered=True)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


def test_response_cache_keys_differ_by_accept_encoding():
    cache = ResponseCache(1 << 20)

    def scope(encoding: bytes) -> dict[str, object]:
        return {
            "method": "GET",
            "path": "/static/query.js",
            "headers": [(b"host", b"h"), (b"accept-encoding", encoding)],
        }

    assert cache.key(scope(b"gzip"), False, False) != cache.key(scope(b""), False, False)
