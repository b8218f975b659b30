"""Push the dataset to any SPARQL 1.1 Graph Store HTTP Protocol store: one PUT per named graph.

``PUT <endpoint>?graph=<graph IRI>`` with the graph as N-Triples replaces that graph in the
store (Virtuoso's ``/sparql-graph-crud-auth``, Fuseki's ``/<dataset>/data``, GraphDB's
``/repositories/<id>/rdf-graphs/service``…). A graph whose N-Triples exceed
``PushTarget.max_bytes`` goes as a PUT of its first lines, then POSTs (which add to a graph) of
the rest: Virtuoso 7 resets the connection on a body of about 4 MB. Such a graph is then not
replaced atomically; one with blank nodes is always sent whole (a blank node is scoped to its
request). Each graph is read from a pyoxigraph store and serialized by pyoxigraph a chunk at a
time, so a push holds the store and one request body, never an rdflib copy. Credentials, when
given, answer the store's Basic or Digest challenge (urllib's handlers); they are never sent
unasked. A refusal raises
:class:`PushRefused` with the status and the store's own message.
"""

from __future__ import annotations

import itertools
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset

__all__ = ["PushRefused", "PushTarget", "push"]

#: Tries of one request the store dropped (reset, broken pipe): Virtuoso answers the first,
#: unauthenticated try of a large body with its Digest challenge and closes the connection
#: while the body is still being sent. A PUT or POST of the same triples again is harmless.
_ATTEMPTS = 3
#: The most characters of a store's error body repeated in a message.
_SHOWN = 500
#: Triples serialized at once (about 1.5 MB of N-Triples at 1M triples' mix).
_CHUNK = 10_000


class PushRefused(Exception):
    """The store refused a PUT (``status`` set) or could not be reached (``status`` None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PushTarget:
    """A Graph Store Protocol endpoint and the credentials to answer its challenge with."""

    endpoint: str
    user: str | None = None
    password: str | None = None
    timeout: float = 60.0
    #: The largest request body, in bytes, before a graph is sent in parts (0: never).
    max_bytes: int = 1_000_000

    def graph_url(self, graph: str) -> str:
        """The URL of ``graph`` on the store (indirect identification, ``?graph=``)."""
        joiner = "&" if "?" in self.endpoint else "?"
        return self.endpoint + joiner + urllib.parse.urlencode({"graph": graph})

    def opener(self) -> urllib.request.OpenerDirector:
        """An opener answering Basic and Digest challenges with the credentials, if any."""
        if self.user is None:
            return urllib.request.build_opener()
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, self.endpoint, self.user, self.password or "")
        return urllib.request.build_opener(
            urllib.request.HTTPBasicAuthHandler(passwords),
            _UpFrontDigest(passwords),
        )


class _UpFrontDigest(urllib.request.HTTPDigestAuthHandler):
    """Digest auth that, once challenged, answers every later request up front with the last
    challenge (nonce count incremented), so a large body is never sent unauthenticated:
    Virtuoso answers such a request with its challenge before reading the body and closes,
    and the client's send breaks. A stale nonce gets a new challenge, answered as usual."""

    challenge: dict[str, str] | None = None

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        """Add the Digest answer to the last challenge, if any."""
        if self.challenge is not None and not req.has_header(self.auth_header):
            answer = self.get_authorization(req, self.challenge)
            if answer:
                req.add_unredirected_header(self.auth_header, f"Digest {answer}")
        return req

    https_request = http_request

    def retry_http_digest_auth(self, req: urllib.request.Request, auth: str) -> Any:
        """Keep the challenge, then answer it as urllib does."""
        challenge = auth.split(" ", 1)[1]
        items = urllib.request.parse_http_list(challenge)
        self.challenge = urllib.request.parse_keqv_list([item for item in items if item])
        return super().retry_http_digest_auth(req, auth)


def _refusal(graph: str, error: urllib.error.HTTPError) -> PushRefused:
    with error:
        body = error.read(_SHOWN * 4).decode("utf-8", "replace")
    said = " ".join(body.split())[:_SHOWN]
    message = f"the store refused graph <{graph}>: {error.code} {error.reason}"
    return PushRefused(message + (f": {said}" if said else ""), error.code)


def push(
    data: ox.Store | Dataset,
    target: PushTarget,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """PUT every non-empty named graph of ``data`` to ``target`` (over ``max_bytes``: a PUT
    then POSTs), in IRI order; triples sent per graph IRI. A pyoxigraph store (what
    :func:`~dhs_ai_kg.loading.load_store` gives) is read in chunks, so no more than one request
    body is held besides the store; an rdflib dataset is first copied into one. ``progress``
    gets one line per graph, with the seconds it took (serializing and the PUT)."""
    store = data if isinstance(data, ox.Store) else _to_store(data)
    opener = target.opener()
    names = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    sent: dict[str, int] = {}
    for name in names:
        graph = ox.NamedNode(name)
        began = time.perf_counter()
        counted = [0]
        whole = target.max_bytes <= 0 or _has_blank(store, graph)
        parts = _parts(_lines(store, graph, counted), 0 if whole else target.max_bytes)
        requests, status = 0, 0
        for part in parts:
            status = _send(opener, target, name, "POST" if requests else "PUT", part)
            requests += 1
        if not requests:
            continue  # an empty graph is not sent
        sent[name] = counted[0]
        if progress is not None:
            took = time.perf_counter() - began
            more = f", {requests} requests" if requests > 1 else ""
            progress(f"<{name}>: {counted[0]} triples sent ({status}{more}) in {took:.2f} s")
    return sent


def _to_store(dataset: Dataset) -> ox.Store:
    """A pyoxigraph copy of ``dataset`` (as N-Quads)."""
    store = ox.Store()
    nquads = dataset.serialize(format="nquads", encoding="utf-8")
    if nquads.strip():
        store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    return store


def _has_blank(store: ox.Store, graph: ox.NamedNode) -> bool:
    """Whether ``graph`` holds a blank node (then it goes in one request: a blank node is
    scoped to its request)."""
    ask = "ASK { GRAPH ?g { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) } }"
    return bool(store.query(ask, substitutions={ox.Variable("g"): graph}))


def _lines(store: ox.Store, graph: ox.NamedNode, counted: list[int]) -> Iterator[bytes]:
    """The N-Triples of ``graph``, serialized by pyoxigraph in chunks of ``_CHUNK`` triples
    (``counted[0]``: the triples read so far)."""
    quads = store.quads_for_pattern(None, None, None, graph)
    while chunk := [quad.triple for quad in itertools.islice(quads, _CHUNK)]:
        counted[0] += len(chunk)
        yield ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES) or b""


def _parts(chunks: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    """N-Triples ``chunks`` joined and cut at line ends into pieces of at most ``max_bytes``
    (a longer line alone), one at a time; one piece when ``max_bytes`` is 0."""
    current: list[bytes] = []
    size = 0
    for chunk in chunks:
        if max_bytes <= 0:
            current.append(chunk)
            continue
        for line in chunk.splitlines(keepends=True):
            if current and size + len(line) > max_bytes:
                yield b"".join(current)
                current, size = [], 0
            current.append(line)
            size += len(line)
    if current:
        yield b"".join(current)


def _send(
    opener: urllib.request.OpenerDirector, target: PushTarget, graph: str, method: str, body: bytes
) -> int:
    """One PUT or POST of N-Triples to ``graph``; its status, or PushRefused."""
    request = urllib.request.Request(
        target.graph_url(graph),
        data=body,
        method=method,
        headers={"Content-Type": "application/n-triples"},
    )
    for attempt in range(_ATTEMPTS):
        try:
            with opener.open(request, timeout=target.timeout) as response:
                status: int = response.status
                return status
        except urllib.error.HTTPError as error:
            raise _refusal(graph, error) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            dropped = isinstance(reason, ConnectionResetError | BrokenPipeError)
            if not dropped or attempt == _ATTEMPTS - 1:
                raise PushRefused(f"cannot reach {target.endpoint}: {reason}") from None
    raise AssertionError("unreachable")
