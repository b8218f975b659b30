"""Static files served compressed and cached by version, and the favicon.

At start (``install``) every file under ``static/`` is hashed and, when it is text, gzipped
once. ``url_for('static', filename=…)`` then writes ``?v=<hash>``: a request naming the current
hash is cacheable for a year (``immutable``), one without it must revalidate. A client that
accepts gzip gets the precomputed body (``Content-Encoding: gzip``, ``Vary: Accept-Encoding``),
with an ETag of its own. ``/favicon.ico`` is the project's icon, cached for a day.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, request

#: Seconds a versioned static URL may be kept: a year (its content never changes).
IMMUTABLE = "public, max-age=31536000, immutable"
#: Seconds the favicon (a fixed URL) may be kept.
FAVICON_MAX_AGE = 86400
COMPRESSIBLE = frozenset({".js", ".css", ".svg", ".md", ".json", ".txt", ".html", ".ico"})
KEY = "dhs_ai_kg_assets"

bp = Blueprint("assets", __name__)


@dataclass(frozen=True)
class Asset:
    """One static file: its version (a hash of its bytes) and its gzipped bytes, if smaller."""

    version: str
    gzipped: bytes | None


def scan(folder: Path) -> dict[str, Asset]:
    """Every file under ``folder`` by its path relative to it (``/``-separated)."""
    found: dict[str, Asset] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        keep = path.suffix in COMPRESSIBLE and len(packed) < len(data)
        found[path.relative_to(folder).as_posix()] = Asset(
            hashlib.sha256(data).hexdigest()[:16], packed if keep else None
        )
    return found


def install(app: Flask) -> None:
    """Hash and compress ``app``'s static files now; version their URLs; serve /favicon.ico."""
    assert app.static_folder is not None
    app.extensions[KEY] = scan(Path(app.static_folder))
    app.url_defaults(_version)
    app.after_request(_static_response)
    app.register_blueprint(bp)


def _version(endpoint: str, values: dict[str, object]) -> None:
    if endpoint == "static" and "v" not in values:
        asset = current_app.extensions[KEY].get(str(values.get("filename", "")))
        if asset is not None:
            values["v"] = asset.version


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header accepts gzip (``q=0`` refuses it)."""
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return not params.strip() or float(q) > 0
            except ValueError:
                return False
    return False


def _static_response(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code != 200:
        return response
    asset = current_app.extensions[KEY].get(str((request.view_args or {}).get("filename", "")))
    if asset is None:
        return response
    versioned = request.args.get("v") == asset.version
    response.headers["Cache-Control"] = IMMUTABLE if versioned else "no-cache"
    response.vary.add("Accept-Encoding")
    etag = asset.version
    if (
        asset.gzipped is not None
        and "Range" not in request.headers
        and accepts_gzip(request.headers.get("Accept-Encoding"))
    ):
        close = getattr(response.response, "close", None)
        if close is not None:  # the file send_from_directory opened
            close()
        response.direct_passthrough = False
        response.set_data(asset.gzipped)
        response.headers["Content-Encoding"] = "gzip"
        response.headers.pop("Accept-Ranges", None)
        etag += "-gzip"
    response.set_etag(etag)
    response.make_conditional(request)
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon (static/favicon.ico), cached for a day."""
    assert current_app.static_folder is not None
    # Read whole (a few hundred bytes), not streamed from an open file: a HEAD or a 304 left
    # send_from_directory's file unclosed (a ResourceWarning the HTTP fuzz test found).
    body = (Path(current_app.static_folder) / "favicon.ico").read_bytes()
    response = Response(body, mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = f"public, max-age={FAVICON_MAX_AGE}"
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.make_conditional(request)
    return response
