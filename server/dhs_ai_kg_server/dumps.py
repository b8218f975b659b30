"""Dumps of the dataset at stable URLs: ``/dumps/dataset.{trig,nq,jsonld}`` and
``/dumps/<graph>.{ttl,nt,jsonld,rdf}``, serialized once per app (the dataset is read-only).

Bytes come from :func:`dhs_ai_kg.export.export`, stable from run to run (RDF/XML excepted;
within one server, whose workers fork from one loaded app, they are fixed). Each dump is
served with its length, ``ETag`` = its SHA-256 and ``Content-Disposition: attachment``; the
dataset description (:mod:`.void`) lists the same bytes' size and checksum.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, jsonify, request
from rdflib import Dataset
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as BaseResponse

from dhs_ai_kg.export import FORMATS, RdfFormat, export, graph_names
from dhs_ai_kg.formats import REGISTRY

from .state import state

bp = Blueprint("dumps", __name__)

#: Formats of the whole dataset (named graphs kept) and of each graph.
DATASET_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if f.datasets)
GRAPH_FORMATS: tuple[str, ...] = tuple(
    f.name for f in REGISTRY if f.kind == "graph" and f.one_graph
)
#: The file stem of the whole dataset's dumps.
DATASET_STEM = "dataset"

_KEY = "dhs_ai_kg.dumps"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Dump:
    """One dump file: its name, the graph it holds (None: the whole dataset), format, bytes."""

    filename: str
    graph: str | None
    format: RdfFormat
    body: bytes
    sha256: str

    @property
    def size(self) -> int:
        """Its length in bytes."""
        return len(self.body)

    @property
    def path(self) -> str:
        """Its local download path."""
        return f"/dumps/{self.filename}"

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` it is served with."""
        return f"{self.format.media_type}; charset=utf-8"


def _dump(dataset: Dataset, fmt: RdfFormat, graph: str | None) -> Dump:
    body = export(dataset, fmt.name, graph=graph).encode("utf-8")
    stem = graph if graph is not None else DATASET_STEM
    return Dump(f"{stem}{fmt.extension}", graph, fmt, body, hashlib.sha256(body).hexdigest())


def build_dumps(dataset: Dataset) -> dict[str, Dump]:
    """Every dump of ``dataset``, by file name: the dataset's, then each non-empty graph's."""
    dumps = [_dump(dataset, FORMATS[name], None) for name in DATASET_FORMATS]
    for graph in graph_names(dataset):
        dumps += [_dump(dataset, FORMATS[name], graph) for name in GRAPH_FORMATS]
    return {d.filename: d for d in dumps}


def current_dumps() -> dict[str, Dump]:
    """This app's dumps, serialized on first use and kept (the dataset is read-only)."""
    dumps: dict[str, Dump] | None = state().derived.get(_KEY)
    if dumps is None:
        with _LOCK:
            dumps = state().derived.get(_KEY)
            if dumps is None:
                dumps = build_dumps(state().rdf())
                state().derived[_KEY] = dumps
    return dumps


def warm(app: Flask) -> None:
    """Serialize ``app``'s dumps now (e.g. in gunicorn's master, before workers fork)."""
    with app.app_context():
        current_dumps()


@bp.get("/dumps/")
def listing() -> Response:
    """The dumps as JSON: file name, graph, media type, size, SHA-256 and URL."""
    return jsonify(
        [
            {
                "filename": d.filename,
                "graph": d.graph,
                "mediaType": d.format.media_type,
                "byteSize": d.size,
                "sha256": d.sha256,
                "url": d.path,
            }
            for d in current_dumps().values()
        ]
    )


@bp.get("/dumps/<filename>")
def download(filename: str) -> BaseResponse:
    """One dump, as an attachment with its length and SHA-256 ETag."""
    dumps = current_dumps()
    dump = dumps.get(filename)
    if dump is None:
        raise NotFound(f"no dump {filename!r}; the dumps are: {', '.join(dumps)}")
    response = Response(dump.body, 200, content_type=dump.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{dump.filename}"'
    response.set_etag(dump.sha256)
    return response.make_conditional(request)
