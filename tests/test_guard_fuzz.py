"""Generated spellings of SERVICE, LOAD and FROM, judged by pyoxigraph itself.

Each variant (random case, glued keywords, comments and odd whitespace between tokens, prefixed
names, the empty prefix, BASE with relative IRIs, ``\\u`` escapes in IRIs, SILENT, NAMED, INTO
GRAPH) is run by pyoxigraph *without* the guard against a loopback listener. A variant that
reaches the listener must be one ``check_query`` refuses; a FROM that pyoxigraph resolves to the
listener's graph must be one the scan resolves to that IRI or cannot read (then it is refused).
The guard may over-refuse (a glued form pyoxigraph rejects, a prefix called ``service:``); the
summary line counts those.

Examples per test: 200 by default (a few seconds); more on demand, e.g.
``DHS_AI_KG_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_guard_fuzz.py -s
--hypothesis-show-statistics`` (``-s`` shows the summary line, the flag the events).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from listener import Listener

from dhs_ai_kg.engine import QueryError, check_dataset, check_query
from dhs_ai_kg.sparql_guard import scan

EXAMPLES = int(os.environ.get("DHS_AI_KG_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Between two tokens: mostly SPARQL whitespace and comments; sometimes nothing (glued) or
#: whitespace SPARQL does not have (form feed, vertical tab, no-break space).
SEPARATORS = st.sampled_from(
    [" ", "  ", "\t", "\n", "\r", "\r\n", "#c\n", " # SERVICE <x>\n"] * 3
    + ["", "", "", "\f", "\v", "\u00a0"]
)


@pytest.fixture(scope="module")
def server() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


@st.composite
def cased(draw: st.DrawFn, word: str) -> str:
    """``word`` in a random mix of cases."""
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.lower() if flip else c.upper() for c, flip in zip(word, flips, strict=True))


@st.composite
def target(draw: st.DrawFn, url: str) -> tuple[list[str], str, str]:
    """(prologue tokens, target token, the IRI it means) naming ``url`` + ``x``."""
    host = url.removeprefix("http://")
    escaped = "\\u0068ttp://" + host
    form = draw(st.integers(0, 9))
    prefix = draw(st.sampled_from(["p", "", "service", "load", "SERVICE", "from", "a1"]))
    prefix_kw = draw(cased("PREFIX"))
    base_kw = draw(cased("BASE"))
    iri = url + "x"
    if form == 0:
        return [], f"<{iri}>", iri
    if form == 1:
        return [prefix_kw, f"{prefix}:", f"<{url}>"], f"{prefix}:x", iri
    if form == 2:
        return [prefix_kw, f"{prefix}:", f"<{iri}>"], f"{prefix}:", iri
    if form == 3:
        return [base_kw, f"<{url}>"], "<x>", iri
    if form == 4:
        return [base_kw, f"<{url}a/b>"], "<../x>", iri
    if form == 5:
        return [], f"<{escaped}x>", iri
    if form == 6:
        return [], f"<{url}\\u0078>", iri
    if form == 7:
        return [prefix_kw, f"{prefix}:", f"<{escaped}>"], f"{prefix}:x", iri
    if form == 8:
        return [prefix_kw, f"{prefix}:", f"<{url}>"], f"{prefix}:%78"[:-3] + "x", iri
    return [base_kw, f"<{url}>", prefix_kw, f"{prefix}:", "<>"], f"{prefix}:x", iri


@st.composite
def variant(draw: st.DrawFn, url: str, kind: str) -> tuple[str, str]:
    """(text, intended IRI) of one generated SERVICE query, LOAD update or FROM query."""
    prologue, term, iri = draw(target(url))
    silent = [draw(cased("SILENT"))] if draw(st.booleans()) else []
    if kind == "service":
        body = [draw(cased("SERVICE")), *silent, term, "{", "}"]
        words = [draw(cased("SELECT")), "*", draw(cased("WHERE")), "{", *body, "}"]
    elif kind == "load":
        into = [draw(cased("INTO")), draw(cased("GRAPH")), "<urn:g>"] if draw(st.booleans()) else []
        words = [draw(cased("LOAD")), *silent, term, *into]
    else:
        named = [draw(cased("NAMED"))] if draw(st.booleans()) else []
        words = [draw(cased("SELECT")), "*", draw(cased("FROM")), *named, term]
        words += [draw(cased("WHERE")), "{", "{", "?s", "?p", "?o", "}", draw(cased("UNION"))]
        words += ["{", draw(cased("GRAPH")), "?g", "{", "?s", "?p", "?o", "}", "}", "}"]
    tokens = [*prologue, *words]
    text = tokens[0]
    for token in tokens[1:]:
        text += draw(SEPARATORS) + token
    return text, iri


SEEN: Counter[str] = Counter()


def unguarded(text: str, kind: str, server: Listener, store: ox.Store) -> tuple[bool, bool, bool]:
    """Run ``text`` in pyoxigraph without the guard: (a request reached the listener, it
    parsed, rows came back)."""
    before = len(server.requests)
    parsed, rows = True, False
    try:
        if kind == "load":
            ox.Store().update(text)
        else:
            result = (ox.Store() if kind == "service" else store).query(text)
            rows = bool(list(result))  # type: ignore[arg-type]
    except SyntaxError:
        parsed = False
    except Exception:  # the listener's 500
        pass
    return len(server.requests) > before, parsed, rows


def guard_refuses(text: str) -> bool:
    """Whether the server's checks refuse ``text`` (check_query, then the dataset check)."""
    try:
        found = check_query(text)
        check_dataset(found.from_targets, graphs=frozenset({"urn:ours"}))
    except QueryError:
        return True
    return False


def judge(text: str, kind: str, iri: str, server: Listener, store: ox.Store) -> None:
    sent, parsed, rows = unguarded(text, kind, server, store)
    refused = guard_refuses(text)
    oxigraph = "sent" if sent else "read the graph" if rows else "parsed" if parsed else "error"
    outcome = f"{kind}: {oxigraph}, {'refused' if refused else 'allowed'}"
    event(outcome)
    SEEN[outcome] += 1
    assert refused or not sent, f"reached the listener but allowed: {text!r}"
    if kind == "from" and rows:  # pyoxigraph read the FROM as the listener's graph
        assert set(scan(text).from_targets) <= {iri, ""}, text
        assert refused, text


@pytest.fixture(scope="module")
def graph_store(server: Listener) -> ox.Store:
    store = ox.Store()
    graph = ox.NamedNode(server.url + "x")
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("o"), graph))
    return store


@pytest.mark.parametrize("kind", ["service", "load", "from"])
def test_generated_spellings_never_slip_through(
    kind: str, server: Listener, graph_store: ox.Store
) -> None:
    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        text, iri = data.draw(variant(server.url, kind))
        judge(text, kind, iri, server, graph_store)

    check()
    ran = {k: v for k, v in SEEN.items() if k.startswith(kind)}
    print(f"\n{kind}: {sum(ran.values())} cases: " + ", ".join(f"{k} {v}" for k, v in ran.items()))
    # Controls: some variants really send (or, for FROM, really name the listener's graph).
    assert any(("sent" if kind != "from" else "read the graph") in k for k in ran)
