"""A Flask app answering a constant "ok": the HTTP stack's own cost, for bench/serving.py."""

from flask import Flask, Response

app = Flask(__name__)


@app.get("/")
def constant() -> Response:
    """The constant small response (the same body as the server's /healthz)."""
    return Response("ok\n", 200, content_type="text/plain; charset=utf-8")
