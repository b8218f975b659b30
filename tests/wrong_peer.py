"""A fake SPARQL server that answers fast and wrongly, for tests/test_bench_peers.py.

Usage: python tests/wrong_peer.py PORT. Every GET gets 200 with a well-formed answer that is
not the right one: one row binding ``?x`` to "wrong" (SPARQL JSON), or one triple
(N-Triples) when the client asks for N-Triples.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROW = {
    "head": {"vars": ["x"]},
    "results": {"bindings": [{"x": {"type": "literal", "value": "wrong"}}]},
}
TRIPLE = '<urn:x-wrong:s> <urn:x-wrong:p> "wrong" .\n'


class Handler(BaseHTTPRequestHandler):
    """Answers every GET with a wrong answer in the format asked for."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if "n-triples" in self.headers.get("Accept", ""):
            body, ctype = TRIPLE.encode(), "application/n-triples"
        else:
            body, ctype = json.dumps(ROW).encode(), "application/sparql-results+json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
