"""The audit of the vendored editor (static/vendor/README.md, "Outbound requests") still holds.

Reads ``yasqe.min.js``: the hosts it names outside its bundled prefix table, the calls that can
make a request, and that the prefix table is data only, must be what the README audited (a new
version of the file fails here until it is audited again). The last test checks in the browser
that the query page took out what the audit says it takes out.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from helpers import only_loopback
from playwright.sync_api import expect

VENDOR = Path(__file__).resolve().parents[2] / "server" / "dhs_ai_kg_server" / "static" / "vendor"
JS = VENDOR / "yasqe" / "yasqe.min.js"
README = VENDOR / "README.md"

#: Hosts named in the code outside the prefix table, and why each is harmless here.
AUDITED_HOSTS = {
    "www.w3.org": "XML namespace names (SVG, XHTML, MathML) and the default text's PREFIX lines",
    "dbpedia.org": "the default endpoint of Yasqe.query(); query.js sets ours",
    "lov.linkeddata.es": "the property and class completers; query.js removes them",
}
#: How often each request-making API occurs in the code.
AUDITED_CALLS = {
    "fetch(": 3,  # Yasqe.query(), the prefix.cc download (prefixCcApi), the LOV completers
    "XMLHttpRequest": 0,
    "sendBeacon": 0,
    "WebSocket": 0,
    "EventSource": 0,
    "importScripts": 0,
    "Worker(": 0,
    "window.open": 0,
    "import(": 0,
    ".src=": 1,  # CodeMirror's drag image, a data: GIF
    "ActiveXObject": 1,  # store.js's old-IE storage (only where ActiveXObject exists)
}
#: The text around each ``fetch(``: what it fetches.
AUDITED_FETCHES = [
    "let c=await fetch(s)",  # s = new Request(requestConfig.endpoint …): Yasqe.query()
    "e.config.prefixCcApi?fetch(e.config.prefixCcApi)",  # prefixCcApi null by default
    "lov.linkeddata.es/dataset/lov/api/v2/autocomplete/terms?${a.toString()}`;return fetch(o)",
]
HOST = r"([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"


def split_prefix_table(code: str) -> tuple[str, str]:
    """The bundled prefix.cc table (``madsrdf=`…` … prefixes_default={…}``) and the rest."""
    start = code.index("madsrdf=`")
    end = code.index(",tokenTypes=", start)
    return code[start:end], code[:start] + code[end:]


@pytest.fixture(scope="module")
def code() -> str:
    return JS.read_text(encoding="utf-8")


def test_the_audited_file_is_the_vendored_file(code):
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
    assert f"{digest}  yasqe/yasqe.min.js" in README.read_text(encoding="utf-8")


def test_hosts_named_outside_the_prefix_table_are_the_audited_ones(code):
    _, rest = split_prefix_table(code)
    hosts = set(re.findall(r"(?:https?:)?//" + HOST, rest))
    hosts |= set(re.findall(r"\$\{\w+\}" + HOST + "/", rest))  # `${scheme}host/…` templates
    assert hosts == set(AUDITED_HOSTS)
    readme = README.read_text(encoding="utf-8")
    assert all(f"`{host}`" in readme for host in AUDITED_HOSTS)


def test_the_prefix_table_is_data_only(code):
    table, _ = split_prefix_table(code)
    entries = re.findall(r"\w+=`https?://[^`]*`,", table)
    assert len(entries) >= 400
    rest = re.sub(r"\w+=`https?://[^`]*`,", "", table)
    # What is left is the object literal naming the entries: no call, no code.
    assert re.fullmatch(r"prefixes_default=\{[\w,]*(?:\w+:`https?://[^`]*`[\w,]*)*\}", rest)


def test_request_making_calls_are_the_audited_ones(code):
    found = {api: code.count(api) for api in AUDITED_CALLS}
    assert found == AUDITED_CALLS
    fetches = [m.start() for m in re.finditer(re.escape("fetch("), code)]
    for start, context in zip(fetches, AUDITED_FETCHES, strict=True):
        assert context in code[start - 120 : start + 120]


def test_the_page_keeps_only_local_completers(page, server):
    page.goto(server + "query")
    expect(page.locator("#editor .CodeMirror")).to_be_visible()
    state = page.evaluate(
        """() => ({
            registered: Object.keys(Yasqe.Autocompleters).sort(),
            defaults: Yasqe.defaults.autocompleters,
            prefixCcApi: Yasqe.defaults.prefixCcApi,
            endpoint: Yasqe.defaults.requestConfig.endpoint,
        })"""
    )
    assert state == {
        "registered": ["kg-prefixes", "kg-terms", "variables"],  # kg-terms: editor-help.js
        "defaults": [],
        "prefixCcApi": None,
        "endpoint": server + "sparql",
    }
    only_loopback(page, server)
