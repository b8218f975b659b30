"""Security headers on every response: pages, data, errors, static files, redirects, 304s.

- ``Content-Security-Policy``: on HTML, scripts, styles, images and fonts from this host
  only, no inline script or ``style=`` attribute, no ``eval``, ``fetch`` to this host only,
  forms posted to this host only, no plugins, no ``<base>``, never framed. Anything else (RDF,
  SPARQL results, text, JSON, static files) gets ``default-src 'none'``: opened in a browser
  it can load and run nothing.
- ``X-Frame-Options: DENY`` (older browsers; ``frame-ancestors 'none'`` for the others),
  ``X-Content-Type-Options: nosniff``, ``Cross-Origin-Opener-Policy: same-origin``.
- ``Referrer-Policy: no-referrer``: page URLs hold the user's query text (``/?query=``) and
  this server reads no ``Referer``, so no request carries one, same-origin or not.

They replace whatever a view set: the policy lives here only. The CSP is chosen by the
response's content type before edge.py may turn it into a 304 (which has none). CORS
(``Access-Control-Allow-Origin: *``) is edge.py's and stays: the endpoint is for any origin.
"""

from __future__ import annotations

from flask import Flask, Response

#: The policy of every HTML page. ``img-src data:``: the editor's drag image is a data: GIF.
HTML_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    )
)

#: The policy of everything else: nothing may load or run, nothing may frame it.
DATA_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def install(app: Flask) -> None:
    """Add the security headers to every response of ``app``."""
    app.after_request(secure)


def secure(response: Response) -> Response:
    """``response`` with the security headers set (replacing any a view set)."""
    for name, value in COMMON.items():
        response.headers[name] = value
    html = response.mimetype == "text/html"
    response.headers["Content-Security-Policy"] = HTML_POLICY if html else DATA_POLICY
    return response
