"""Short links (issue 9): ``POST /q`` keeps a query's text, ``/q/<key>`` opens it.

The key is the SHA-256 of the text (checked here with hashlib, not with our function); the
named queries resolve with no store at all; the store keeps the text and nothing else, within
its per-query, total and rate limits, writes atomically, survives a restart and is shared
safely by several processes; every malformed key is a 404 page, never a 500.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from dhs_ai_kg_cli import main
from flask import Flask
from flask.testing import FlaskClient
from htmlpage import Page

from dhs_ai_kg import shared_queries
from dhs_ai_kg.named_queries import load_named_queries
from dhs_ai_kg.shared_queries import ShareRefused, ShareStore, WriteRate, share_key

REPO_ROOT = Path(__file__).resolve().parents[1]
QUERIES = load_named_queries(REPO_ROOT / "queries")
ORIGIN = {"Origin": "http://localhost"}  # the test client's own origin
HTML = {"Accept": "text/html"}
QUERY = 'SELECT ?s WHERE { ?s a <https://w3id.org/dhs-ai-kg/ontology#Organization> } # "é"\n'


def expected_key(text: str) -> str:
    """The first 100 bits of the text's SHA-256, lower-case base32 (independent of our code)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.b32encode(digest).decode().lower()[:20]


def shared_text(html: str) -> str:
    """The query the page's editor opens with."""
    return Page(html).by_id("query").text


def stored(folder: Path) -> list[str]:
    """The entries of a store folder (its lock file aside)."""
    return sorted(p.name for p in folder.iterdir() if p.name != ".lock")


@pytest.fixture
def share_app(make_app: Callable[..., Flask], tmp_path: Path) -> Callable[..., Flask]:
    """A factory of apps whose store is ``tmp_path / "share-store"`` (config overrides allowed)."""

    def make(**config: object) -> Flask:
        return make_app(SHARE_DIR=str(tmp_path / "share-store"), **config)

    return make


@pytest.fixture
def share_client(share_app: Callable[..., Flask]) -> FlaskClient:
    return share_app().test_client()


# --- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "ASK {}", QUERY, "x" * 100_000])
def test_key_is_a_prefix_of_the_sha256(text: str):
    assert share_key(text) == expected_key(text)
    assert shared_queries.is_key(share_key(text))


def test_keys_are_long_enough_for_the_store_cap():
    """100 bits: two of 2**17 texts share a key with chance < 2**-60; a guess finds one of
    them with chance < 2**-80."""
    bits = shared_queries.KEY_LENGTH * 5
    entries = shared_queries.MAX_ENTRIES
    assert bits >= 96
    assert entries**2 / 2 ** (bits + 1) < 2**-60
    assert entries / 2**bits < 2**-80


# --- the named queries need no store ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_named_query_link_resolves_without_a_store(client: FlaskClient, name: str):
    text = QUERIES[name].text
    response = client.get(f"/q/{expected_key(text)}", headers=HTML)
    assert response.status_code == 200
    assert shared_text(response.text) == text
    assert '"run": true' in response.text  # the page runs it on load


def test_named_query_is_shared_without_writing(share_client: FlaskClient, tmp_path: Path):
    text = QUERIES["01-lead-organizations"].text
    response = share_client.post("/q", data={"query": text}, headers=ORIGIN)
    assert response.status_code == 200
    assert response.get_json() == {
        "key": expected_key(text),
        "url": f"http://localhost/q/{expected_key(text)}",
        "stored": False,
    }
    assert stored(tmp_path / "share-store") == []


def test_sharing_is_off_by_default(client: FlaskClient):
    """No SHARE_DIR: any other query is refused (403, saying why), the named ones still work."""
    response = client.post("/q", data={"query": QUERY}, headers=ORIGIN)
    assert response.status_code == 403
    assert "--share-dir" in response.text
    named = QUERIES["13-dataset-statistics"].text
    assert client.post("/q", data={"query": named}, headers=ORIGIN).status_code == 200


# --- keeping and opening a query -------------------------------------------------------------


def test_share_then_open(share_client: FlaskClient, tmp_path: Path):
    key = expected_key(QUERY)
    first = share_client.post("/q", data={"query": QUERY}, headers=ORIGIN)
    assert first.status_code == 201
    assert first.get_json() == {"key": key, "url": f"http://localhost/q/{key}", "stored": True}
    assert first.headers["Location"] == f"http://localhost/q/{key}"
    assert first.headers["Cache-Control"] == "no-store"
    again = share_client.post("/q", data={"query": QUERY}, headers=ORIGIN)
    assert again.status_code == 200 and again.get_json()["key"] == key
    page = share_client.get(f"/q/{key}", headers=HTML)
    assert page.status_code == 200
    assert page.content_type.startswith("text/html")
    assert shared_text(page.text) == QUERY
    assert "share.js" in page.text


def test_store_keeps_the_text_and_nothing_else(share_client: FlaskClient, tmp_path: Path):
    """No address, agent, cookie or time: one file, named by the key, holding the text; its
    times set to the epoch; no cookie set."""
    response = share_client.post(
        "/q",
        data={"query": QUERY},
        headers={**ORIGIN, "User-Agent": "agent-7f3a", "Cookie": "session=cookie-91b2"},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    folder = tmp_path / "share-store"
    assert stored(folder) == [expected_key(QUERY)]
    entry = folder / expected_key(QUERY)
    assert entry.read_bytes() == QUERY.encode("utf-8")
    assert entry.stat().st_mtime == 0  # (reading it sets its atime, as any read does)
    everything = b"".join(p.read_bytes() for p in folder.iterdir())
    for trace in (b"agent-7f3a", b"cookie-91b2", b"198.51.100.23"):
        assert trace not in everything


def test_a_restart_keeps_the_links(share_app: Callable[..., Flask]):
    key = share_app().test_client().post("/q", data={"query": QUERY}, headers=ORIGIN).get_json()
    restarted = share_app().test_client()
    page = restarted.get(f"/q/{key['key']}", headers=HTML)
    assert page.status_code == 200 and shared_text(page.text) == QUERY


# --- who may store ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no origin at all: not one of our pages
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "null"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_other_sites_cannot_store(share_client: FlaskClient, tmp_path: Path, headers: dict):
    response = share_client.post("/q", data={"query": QUERY}, headers=headers)
    assert response.status_code == 403
    assert not (tmp_path / "share-store").exists() or stored(tmp_path / "share-store") == []


def test_the_browsers_same_origin_mark_is_enough(share_client: FlaskClient):
    response = share_client.post(
        "/q", data={"query": QUERY}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "data", [{}, {"query": ""}, {"query": "   \n"}, {"query": ["ASK {}", "ASK {}"]}]
)
def test_bad_requests_are_400(share_client: FlaskClient, tmp_path: Path, data: dict):
    response = share_client.post("/q", data=data, headers=ORIGIN)
    assert response.status_code == 400
    assert stored(tmp_path / "share-store") == []


# --- limits, attacked ------------------------------------------------------------------------


def test_a_query_over_the_endpoints_limit_is_refused(
    share_app: Callable[..., Flask], tmp_path: Path
):
    """The per-query limit is the endpoint's own (MAX_CONTENT_LENGTH): a larger body is 413
    before anything is read into the store; so is a text over the store's byte limit."""
    client = share_app(MAX_CONTENT_LENGTH=4096, MAX_FORM_MEMORY_SIZE=4096).test_client()
    response = client.post("/q", data={"query": "ASK {} #" + "x" * 5000}, headers=ORIGIN)
    assert response.status_code == 413
    assert stored(tmp_path / "share-store") == []


def test_store_refuses_a_text_over_its_byte_limit(tmp_path: Path):
    store = ShareStore(tmp_path, max_query_bytes=10)
    assert store.put("0123456789")[1] is True
    with pytest.raises(ShareRefused) as refused:
        store.put("é" * 6)  # 6 characters, 12 bytes
    assert refused.value.reason == "too-large"
    assert stored(tmp_path) == [expected_key("0123456789")]


def test_a_full_store_refuses_clearly(share_app: Callable[..., Flask], tmp_path: Path):
    client = share_app(SHARE_MAX_ENTRIES=3).test_client()
    texts = [f"ASK {{}} # {n}" for n in range(4)]
    assert [client.post("/q", data={"query": t}, headers=ORIGIN).status_code for t in texts] == [
        201,
        201,
        201,
        507,
    ]
    refused = client.post("/q", data={"query": texts[3]}, headers=ORIGIN)
    assert refused.status_code == 507 and "full" in refused.text
    assert len(stored(tmp_path / "share-store")) == 3
    # What was kept still opens, and sharing it again is no new write: never refused.
    assert client.post("/q", data={"query": texts[0]}, headers=ORIGIN).status_code == 200
    assert client.get(f"/q/{expected_key(texts[0])}", headers=HTML).status_code == 200


def test_the_byte_cap_counts_every_text(share_app: Callable[..., Flask], tmp_path: Path):
    client = share_app(SHARE_MAX_BYTES=100).test_client()
    first = "ASK {} #" + "a" * 52  # 60 bytes
    second = "ASK {} #" + "b" * 52
    assert client.post("/q", data={"query": first}, headers=ORIGIN).status_code == 201
    assert client.post("/q", data={"query": second}, headers=ORIGIN).status_code == 507
    assert client.post("/q", data={"query": "ASK {} #c"}, headers=ORIGIN).status_code == 201


def test_the_write_rate_is_bounded(share_app: Callable[..., Flask], tmp_path: Path):
    """A burst of 10 new texts, then one a minute (SHARE_RATE=1): the 11th is 429 with a
    Retry-After; a text already kept is still answered."""
    client = share_app(SHARE_RATE=1).test_client()
    statuses = [
        client.post("/q", data={"query": f"ASK {{}} # {n}"}, headers=ORIGIN).status_code
        for n in range(12)
    ]
    assert statuses == [201] * 10 + [429, 429]
    limited = client.post("/q", data={"query": "ASK {} # 99"}, headers=ORIGIN)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert len(stored(tmp_path / "share-store")) == 10
    assert client.post("/q", data={"query": "ASK {} # 0"}, headers=ORIGIN).status_code == 200


def test_write_rate_refills_over_time():
    rate = WriteRate(per_minute=60, burst=1)
    assert rate.take() is True
    assert rate.take() is False
    rate._updated -= 1.5  # as if 1.5 s passed: one more write (60 a minute)
    assert rate.take() is True


# --- atomic writes, crashes, tampering, several processes -------------------------------------


def test_a_crash_while_writing_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = ShareStore(tmp_path)

    def crash(*args: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(shared_queries.os, "replace", crash)
    with pytest.raises(OSError):
        store.put(QUERY)
    assert stored(tmp_path) == []
    assert store.get(share_key(QUERY)) is None


def test_leftovers_of_a_killed_writer_are_cleared_at_start(tmp_path: Path):
    (tmp_path / ".tmp-abc123").write_bytes(b"SELECT half a qu")
    store = ShareStore(tmp_path)
    assert stored(tmp_path) == []
    assert store.totals() == (0, 0)


def test_a_changed_file_is_never_served(share_client: FlaskClient, tmp_path: Path):
    key = share_client.post("/q", data={"query": QUERY}, headers=ORIGIN).get_json()["key"]
    (tmp_path / "share-store" / key).write_text("DELETE WHERE { ?s ?p ?o }", encoding="utf-8")
    assert share_client.get(f"/q/{key}", headers=HTML).status_code == 404
    # Sharing the real text again mends it.
    assert share_client.post("/q", data={"query": QUERY}, headers=ORIGIN).status_code == 201
    assert shared_text(share_client.get(f"/q/{key}", headers=HTML).text) == QUERY


def test_a_key_collision_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = ShareStore(tmp_path)
    store.put("ASK {}")
    monkeypatch.setattr(shared_queries, "share_key", lambda text: expected_key("ASK {}"))
    with pytest.raises(ShareRefused) as refused:
        store.put("ASK { ?s ?p ?o }")
    assert refused.value.reason == "collision"
    monkeypatch.undo()
    assert store.get(expected_key("ASK {}")) == "ASK {}"


def _fill(folder: str, first: int) -> list[bool]:
    """In another process: try to keep 20 texts in ``folder`` (cap 15); which were kept."""
    store = ShareStore(Path(folder), max_entries=15)
    kept = []
    for n in range(first, first + 20):
        try:
            kept.append(store.put(f"ASK {{}} # {n}")[1])
        except ShareRefused as refused:
            assert refused.reason == "full"
            kept.append(False)
    return kept


def test_processes_sharing_a_folder_keep_its_cap(tmp_path: Path):
    with ProcessPoolExecutor(4) as pool:
        results = list(pool.map(_fill, [str(tmp_path)] * 4, [0, 100, 200, 300]))
    assert sum(sum(r) for r in results) == 15
    assert len(stored(tmp_path)) == 15
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]


# --- what any key gets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/q/" + "a" * 20,  # well-formed, unknown
        "/q/" + expected_key(QUERY).upper(),
        "/q/" + expected_key(QUERY)[:-1],
        "/q/" + expected_key(QUERY) + "a",
        "/q/../../etc/passwd",
        "/q/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/q/.lock",
        "/q/.tmp-x",
        "/q/%00",
        "/q/" + "%ff" * 10,
        "/q/é" * 5,
        "/q/" + "a" * 5000,
        "/q/a/b/c",
    ],
)
def test_unknown_or_malformed_keys_are_a_404_page(share_client: FlaskClient, path: str):
    response = share_client.get(path, headers=HTML)
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Not found" in Page(response.text).text


def test_a_program_gets_a_plain_404(share_client: FlaskClient):
    response = share_client.get("/q/" + "a" * 20, headers={"Accept": "*/*"})
    assert response.status_code == 404
    assert response.content_type.startswith("text/plain")


def test_get_on_q_is_not_allowed(share_client: FlaskClient):
    assert share_client.get("/q", headers=HTML).status_code == 405


# --- start-up --------------------------------------------------------------------------------


def test_a_share_dir_that_is_a_file_stops_start_up(make_app: Callable[..., Flask], tmp_path: Path):
    taken = tmp_path / "file"
    taken.write_text("x", encoding="utf-8")
    with pytest.raises(OSError):
        make_app(SHARE_DIR=str(taken))


@pytest.mark.parametrize(
    "flags",
    [["--share-max-queries", "0"], ["--share-max-queries", "1000000"], ["--share-rate", "0"]],
)
def test_serve_refuses_bad_share_limits(flags: list[str], capsys: pytest.CaptureFixture[str]):
    assert main(["serve", "--port", "1", *flags]) == 2
    assert "--share" in capsys.readouterr().err
