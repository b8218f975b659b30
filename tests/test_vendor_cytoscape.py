"""The vendored Cytoscape.js is the audited file and can make no request by itself.

The audit is in ``static/vendor/README.md`` ("Cytoscape.js"); a new version of the file fails
here until it is audited again.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

VENDOR = Path(__file__).resolve().parents[1] / "server" / "dhs_ai_kg_server" / "static" / "vendor"
JS = VENDOR / "cytoscape" / "cytoscape.min.js"
README = VENDOR / "README.md"

#: Hosts named in the file: all in comments (licence and credits), never fetched.
AUDITED_HOSTS = {"en.wikipedia.org", "opensource.org", "engelschall.com", "github.com"}
#: How often each request-making API occurs in the code.
AUDITED_CALLS = {
    "fetch(": 0,
    "XMLHttpRequest": 0,
    "sendBeacon": 0,
    "WebSocket": 0,
    "EventSource": 0,
    "importScripts": 0,
    "Worker(": 0,
    "localStorage": 0,
    "navigator.": 0,
    "new Image": 1,  # a node's background-image, only when a style names one
}


@pytest.fixture(scope="module")
def code() -> str:
    return JS.read_text(encoding="utf-8")


def test_the_vendored_file_is_the_audited_one(code):
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
    readme = README.read_text(encoding="utf-8")
    assert f"{digest}  cytoscape/cytoscape.min.js" in readme
    version = re.search(r"\| `cytoscape/` \|[^|]*\| ([0-9.]+) \|", readme)
    assert version is not None
    assert f"cytoscape.min.js` {version.group(1)}" in readme  # the audit names the same version
    assert (VENDOR / "cytoscape" / "LICENSE").read_text(encoding="utf-8").startswith("Copyright")


def test_hosts_named_are_the_audited_ones(code):
    hosts = set(re.findall(r"https?://([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)", code))
    assert hosts == AUDITED_HOSTS


@pytest.mark.parametrize(("call", "count"), sorted(AUDITED_CALLS.items()))
def test_request_making_calls_are_the_audited_ones(code, call, count):
    assert code.count(call) == count
