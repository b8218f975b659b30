"""Short links to queries: ``POST /q`` keeps a query's text and answers its ``/q/<key>`` link;
``GET /q/<key>`` is the query page with that query loaded and run.

The key is the text's own hash (:func:`dhs_ai_kg.shared_queries.share_key`), so the named
queries' links resolve from the queries themselves and are never stored. Any other text is
kept only when the operator gave a folder (``SHARE_DIR``, ``serve --share-dir``): off by
default, a read-only server writes nothing (decision "Short links"). The store keeps the text
and nothing else, within ``MAX_CONTENT_LENGTH`` bytes a text (the endpoint's own limit),
``SHARE_MAX_ENTRIES`` texts, ``SHARE_MAX_BYTES`` bytes and ``SHARE_RATE`` new texts a minute.

``POST /q`` is for this site's own pages: a request whose ``Origin`` is another site's (or that
names no origin at all) is refused, so no other page can fill the store through its visitors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request

from dhs_ai_kg.shared_queries import ShareRefused, ShareStore, WriteRate, is_key, share_key

from .errors import text_response
from .state import state
from .web import public_base, query_page

bp = Blueprint("share", __name__)

#: Defaults of the share settings (``create_app(config=...)`` or ``serve`` flags override them).
DEFAULTS: dict[str, object] = {
    "SHARE_DIR": None,  # a folder for shared queries; None: only the named queries' links
    "SHARE_MAX_ENTRIES": 10000,  # most queries kept; one more → 507
    "SHARE_MAX_BYTES": 64 * 1024 * 1024,  # most bytes kept; more → 507
    "SHARE_RATE": 30,  # new queries kept a minute (10 at once); more → 429
}
#: The HTTP status of each refusal of the store.
REFUSALS = {"too-large": 413, "full": 507, "collision": 409, "rate": 429}
_CACHE_NAME = "share"


@dataclass(frozen=True)
class Sharing:
    """The store (None when sharing is off), its write rate, and the named queries by key."""

    store: ShareStore | None
    rate: WriteRate
    named: dict[str, str]


def install(app: Flask) -> None:
    """Register ``/q`` on ``app`` and open its store now (a bad ``SHARE_DIR`` stops start-up)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)
    with app.app_context():
        sharing()


def sharing() -> Sharing:
    """The running app's :class:`Sharing`, made on first use."""
    return state().cached(_CACHE_NAME, _build)


def _build() -> Sharing:
    config = current_app.config
    folder = config.get("SHARE_DIR")
    store = (
        ShareStore(
            Path(str(folder)),
            max_query_bytes=int(config["MAX_CONTENT_LENGTH"]),
            max_entries=int(config["SHARE_MAX_ENTRIES"]),
            max_bytes=int(config["SHARE_MAX_BYTES"]),
        )
        if folder
        else None
    )
    rate = WriteRate(per_minute=float(config["SHARE_RATE"]))
    named = {share_key(q.text): q.text for q in state().queries.values()}
    return Sharing(store, rate, named)


def short_link(key: str) -> str:
    """The absolute ``/q/<key>`` URL."""
    return public_base() + "q/" + key


def _same_origin() -> bool:
    """Whether this request comes from one of our own pages (``Origin`` is ours, or the
    browser says ``Sec-Fetch-Site: same-origin``)."""
    if request.headers.get("Sec-Fetch-Site") == "same-origin":
        return True
    origin = request.headers.get("Origin")
    ours = urlsplit(public_base())
    return origin is not None and origin.rstrip("/") == f"{ours.scheme}://{ours.netloc}"


def _refuse(message: str, status: int) -> Response:
    response = text_response(f"{status} {message}", status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/q")
def create() -> Response:
    """Keep the form field ``query`` and answer ``{"key", "url", "stored"}``: 201 when it was
    kept now, 200 when it already was (or is a named query)."""
    if not _same_origin():
        return _refuse("Forbidden: short links are made from this site's own pages only", 403)
    values = request.form.getlist("query")
    if len(values) != 1 or not values[0].strip():
        return _refuse("Bad Request: send exactly one non-empty 'query' form field", 400)
    text = values[0]
    current = sharing()
    key = share_key(text)
    status = 200
    if key not in current.named:
        if current.store is None:
            return _refuse(
                "Forbidden: this server keeps no shared queries (its operator did not give "
                "--share-dir); the long link to the query works everywhere",
                403,
            )
        try:
            key, new = current.store.put(text, current.rate)
        except ShareRefused as refused:
            response = _refuse(str(refused), REFUSALS[refused.reason])
            if refused.reason == "rate":
                response.headers["Retry-After"] = str(current.rate.retry_after())
            return response
        status = 201 if new else 200
    response = jsonify({"key": key, "url": short_link(key), "stored": key not in current.named})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 201:
        response.headers["Location"] = short_link(key)
    return response


@bp.get("/q/<path:key>")
def resolve(key: str) -> Response:
    """The query page with the query kept under ``key``, run on load; else a 404 page."""
    current = sharing()
    text = current.named.get(key) if is_key(key) else None
    if text is None and is_key(key) and current.store is not None:
        text = current.store.get(key)
    if text is None:
        abort(404, description=f"no shared query has the key {key[:40]!r} on this server")
    return query_page(text)
