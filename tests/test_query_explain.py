"""Malformed queries explained in words (dhs_ai_kg.query_explain): each file of
``fixtures/malformed-queries/`` says in its header what the explanation must be (``# expect:
KIND at LINE:COLUMN`` and ``# says: …``, a part of the words); the parser must refuse each one.
Valid queries (ours and the server's) must give no rule's finding, and the server's 400 carries
the explanation: as JSON problem details to a client that asks for them, else under the
parser's message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dhs_ai_kg.engine import Engine, QuerySyntaxError
from dhs_ai_kg.namespaces import PREFIXES
from dhs_ai_kg.query_explain import explain

ROOT = Path(__file__).resolve().parents[1]
MALFORMED = sorted((ROOT / "tests" / "fixtures" / "malformed-queries").glob("*.rq"))
VALID = sorted(
    [
        *(ROOT / "queries").glob("*.rq"),
        *(ROOT / "server" / "dhs_ai_kg_server" / "queries").glob("*.rq"),
    ]
)
EXPECT = re.compile(r"^# expect: ([\w-]+) at (\d+):(\d+)$", re.M)
SAYS = re.compile(r"^# says: (.+)$", re.M)


def refused(engine: Engine, text: str) -> QuerySyntaxError:
    """The syntax error the engine raises for ``text``."""
    with pytest.raises(QuerySyntaxError) as caught:
        engine.query(text)
    return caught.value


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.name)
def test_a_malformed_query_is_explained_in_words(path: Path, engine: Engine):
    text = path.read_text(encoding="utf-8")
    expect = EXPECT.search(text)
    says = SAYS.search(text)
    assert expect and says, f"{path.name}: header needs '# expect:' and '# says:'"
    error = refused(engine, text)
    found = error.explanation
    assert found is not None
    assert (found.kind, found.line, found.column) == (
        expect.group(1),
        int(expect.group(2)),
        int(expect.group(3)),
    )
    assert says.group(1) in found.message
    assert found.parser == error.message  # the parser's own message is kept
    assert found == explain(text, error.message, PREFIXES)


def test_every_rule_of_the_table_is_covered():
    kinds = {EXPECT.search(p.read_text(encoding="utf-8")).group(1) for p in MALFORMED}  # type: ignore[union-attr]
    assert kinds == {
        "empty",
        "unclosed-string",
        "unclosed-iri",
        "unclosed-bracket",
        "unmatched-close",
        "unknown-keyword",
        "prefix-colon",
        "unknown-prefix",
        "missing-separator",
        "incomplete-triple",
        "parser",
    }


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_a_valid_query_trips_no_rule(path: Path):
    """No false alarm: on a query the parser takes, only the parser's fallback answers."""
    assert explain(path.read_text(encoding="utf-8"), "", PREFIXES).kind == "parser"


def test_the_parser_fallback_makes_its_expectations_readable():
    said = 'error at 1:27: expected one of ",", ".", ";", "{", "{|", "}", "~", [_]'
    found = explain("SELECT * WHERE { ?s ?p ?o FILTER }", said, {})
    assert found.message == (
        "The query could not be read at line 1, column 27; it expected one of `,` `.` `;` `{` `}`."
    )


# --- the server's 400 ------------------------------------------------------------------------

BAD = "SELECT ?name WHERE {\n  ?org schma:name ?name .\n}"


def test_the_400_gives_json_problem_details_to_a_client_that_asks(client):
    response = client.get(
        "/sparql",
        query_string={"query": BAD},
        headers={"Accept": "application/sparql-results+json, application/problem+json;q=0.1"},
    )
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == 400 and body["kind"] == "unknown-prefix"
    assert (body["line"], body["column"], body["length"]) == (2, 8, len("schma:"))
    assert "`schma:` on line 2 is not declared (did you mean `schema:`?)" in body["detail"]
    assert body["parser"].startswith("error at 2:")


def test_the_400_text_keeps_the_parser_message_first_and_adds_the_words(client):
    response = client.get("/sparql", query_string={"query": BAD}, headers={"Accept": "*/*"})
    assert response.status_code == 400
    assert response.content_type == "text/plain; charset=utf-8"
    first, _, rest = response.text.partition("\n")
    assert first.startswith("error at 2:")
    assert "In words (line 2, column 8): The prefix `schma:` on line 2 is not declared" in rest
