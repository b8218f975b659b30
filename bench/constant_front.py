"""A constant answer through our whole HTTP stack: granian (embedded) → our ASGI front →
a thread → a Flask app with no work to do. The bench's "constant response of the same stack".

Usage: python bench/constant_front.py --port PORT   (GET / answers "ok\\n", 3 bytes)
"""

from __future__ import annotations

import argparse

from dhs_ai_kg_server.front import Front, FrontConfig
from dhs_ai_kg_server.runner import Listen, serve
from flask import Flask, Response

app = Flask(__name__)


@app.get("/")
def constant() -> Response:
    return Response("ok\n", 200, content_type="text/plain; charset=utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(Front(app.wsgi_app, FrontConfig()), Listen(host=args.host, port=args.port))


if __name__ == "__main__":
    main()
