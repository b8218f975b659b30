"""The named queries give the same answers on any SPARQL 1.1 store as on the embedded engine.

``data/dataset.trig`` is loaded the plain way a user would: into Jena by
``arq.sparql --data dataset.trig`` (one JVM per query, run in parallel), and into a throwaway
Virtuoso 7 by its bulk loader, queried with no dataset parameters. Every named query runs twice
with its parameters bound in its text as a user of that store would bind them: the required
ones (the expected files' values) and ``?release`` bound to the real release; on Virtuoso
(cheap to ask) also with the required ones only. Answers are compared with the embedded
engine's (parameters bound by substitution, as the CLI and the server do) as result sets or
graphs (``answers.py``); a query with ``ORDER BY`` must also give its rows in the same order
(its ``ORDER BY`` is total, ordering labels by ``STR``: SPARQL 1.1 does not order
language-tagged literals).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import answers
import pytest
import stores

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.named_queries import NamedQuery, load_named_queries
from dhs_ai_kg.stats import peer_text

REPO_ROOT = Path(__file__).resolve().parents[1]
TRIG = REPO_ROOT / "data" / "dataset.trig"
EXPECTED = REPO_ROOT / "tests" / "expected" / "queries"
RELEASE = "https://w3id.org/dhs-ai-kg/id/doc/press-release-2023-12-05"
KG = "https://w3id.org/dhs-ai-kg/id/"
QUERIES = load_named_queries(REPO_ROOT / "queries")


@dataclass(frozen=True)
class Case:
    """One named query with the parameters it is run with."""

    query: NamedQuery
    bindings: dict[str, str]
    variant: str

    @property
    def id(self) -> str:
        return f"{self.query.name}-{self.variant}"

    @property
    def graph(self) -> bool:
        return self.query.name == "14-describe-organization"

    @property
    def ordered(self) -> bool:
        """Whether the query orders its rows (then every engine must give that order)."""
        return re.search(r"^ORDER BY\b", self.query.text, re.MULTILINE) is not None

    def text(self) -> str:
        """The query text with its parameters in its ``VALUES`` lines, as for any store (for
        query 13 its live form: no other store has our statistics graph)."""
        return peer_text(self.query.name, self.query.bound_text(self.bindings))


def cases() -> list[Case]:
    found = []
    for query in QUERIES.values():
        spec = json.loads((EXPECTED / f"{query.name}.json").read_text(encoding="utf-8"))
        required = {name: value[1:-1] for name, value in spec.get("bindings", {}).items()}
        found.append(Case(query, required, "default"))
        if any(p.name == "release" for p in query.parameters):
            found.append(Case(query, {**required, "release": RELEASE}, "release"))
        for variant, extra in LITERAL_OBJECTS.get(query.name, {}).items():
            found.append(Case(query, {**extra, "release": RELEASE}, f"release-{variant}"))
    return found


#: Statements with a literal object (plain, typed, language-tagged) for query 15, whose
#: ?object is a term: every store must match the literal as the release graph holds it.
LITERAL_OBJECTS = {
    "15-statement-source": {
        "string": {
            "subject": f"{KG}org/coalition-omb-ai-comments/count/body",
            "predicate": "https://w3id.org/dhs-ai-kg/ontology#statedAs",
            "object": '"35"',
        },
        "name": {
            "subject": f"{KG}org/mijente",
            "predicate": "https://schema.org/name",
            "object": '"Mijente"@en',
        },
        "integer": {
            "subject": f"{KG}org/coalition-omb-ai-comments",
            "predicate": "https://w3id.org/dhs-ai-kg/ontology#memberCount",
            "object": '"35"^^xsd:integer',
        },
        "language": {
            "subject": f"{KG}assessment/risk-assessment-framework",
            "predicate": "https://w3id.org/dhs-ai-kg/ontology#verdict",
            "object": '"fundamentally flawed"@en',
        },
    }
}


CASES = cases()
#: One case per query for Jena (a JVM each): ``?release`` bound where the query takes it.
JENA_CASES = [
    case
    for case in CASES
    if case.variant.startswith("release")
    or not any(p.name == "release" for p in case.query.parameters)
]


def test_every_named_query_is_checked() -> None:
    assert len(QUERIES) == 15
    assert {case.query.name for case in CASES} == set(QUERIES)


@dataclass(frozen=True)
class Answer:
    """An engine's answer: a result set (with its rows in order, if the query orders them),
    or a graph."""

    rows: answers.Counter[answers.Row] | None = None
    graph: answers.Graph | None = None
    order: list[answers.Row] | None = None

    def size(self) -> int:
        return sum(self.rows.values()) if self.rows is not None else len(self.graph or ())


def parse(case: Case, body: bytes | str) -> Answer:
    if case.graph:
        return Answer(graph=answers.graph_of(body))
    rows = answers.result_rows(body)
    return Answer(rows=answers.Counter(rows), order=rows if case.ordered else None)


@pytest.fixture(scope="module")
def embedded() -> dict[str, Answer]:
    """The embedded engine's answers, bound by substitution as the CLI and server bind."""
    engine = Engine.from_dataset(load_dataset())
    found = {}
    for case in CASES:
        result = engine.query(case.query.text, case.query.bind(case.bindings))
        found[case.id] = parse(case, result.serialize("ntriples" if case.graph else "json"))
    return found


@pytest.fixture(scope="module")
def jena(jena_classpath: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Answer]:
    """Jena's answers: ``arq.sparql --data dataset.trig --query Q``, one JVM per case."""
    folder = tmp_path_factory.mktemp("jena-queries")

    def run(case: Case) -> Answer:
        path = folder / f"{case.id}.rq"
        path.write_text(case.text(), encoding="utf-8")
        results = "NT" if case.graph else "json"
        out = stores.jena(
            jena_classpath,
            "arq.sparql",
            *("--data", str(TRIG), "--query", str(path), "--results", results),
        )
        return parse(case, out)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip((c.id for c in JENA_CASES), pool.map(run, JENA_CASES), strict=True))


@pytest.fixture(scope="module")
def virtuoso(virtuoso_factory: Callable[[], stores.Virtuoso]) -> stores.Virtuoso:
    """A Virtuoso 7 loaded with ``dataset.trig`` by its bulk loader."""
    server = virtuoso_factory()
    server.load(TRIG)
    return server


def virtuoso_answer(server: stores.Virtuoso, case: Case) -> Answer:
    """Virtuoso's answer to ``case``, sent with no dataset parameters; a refusal fails the
    test with Virtuoso's message."""
    try:
        if case.graph:
            return parse(case, server.construct(case.text()))
        return parse(case, server.select(case.text()))
    except urllib.error.HTTPError as refused:
        with refused:
            message = refused.read().decode("utf-8", "replace")[:500]
        pytest.fail(f"virtuoso refused {case.id} ({refused.code}): {message}")


def assert_agrees(got: Answer, want: Answer) -> None:
    assert want.size() > 0, "the embedded engine answers"
    if want.graph is not None:
        assert got.graph is not None
        assert answers.same_graph(got.graph, want.graph), (
            f"{len(want.graph)} triples wanted, {len(got.graph)} got"
        )
    else:
        assert want.rows is not None and got.rows is not None
        assert got.rows == want.rows, answers.difference(want.rows, got.rows)
        assert got.order == want.order, "the same rows, in another order"


@pytest.mark.parametrize("case", JENA_CASES, ids=lambda c: c.id)
def test_jena_answers_as_the_embedded_engine(
    case: Case, jena: dict[str, Answer], embedded: dict[str, Answer]
) -> None:
    assert_agrees(jena[case.id], embedded[case.id])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_virtuoso_answers_as_the_embedded_engine(
    case: Case, virtuoso: stores.Virtuoso, embedded: dict[str, Answer]
) -> None:
    assert_agrees(virtuoso_answer(virtuoso, case), embedded[case.id])


def test_the_comparison_tells_different_answers_apart(embedded: dict[str, Answer]) -> None:
    rows = embedded["12-release-metadata-default"].rows
    assert rows is not None
    changed = answers.Counter(rows)
    row = next(iter(changed))
    changed[row] += 1
    assert changed != rows
    one = answers.result_set({"results": {"bindings": [{"n": {"type": "literal", "value": "5"}}]}})
    five = answers.result_set(
        {
            "results": {
                "bindings": [
                    {"n": {"type": "typed-literal", "value": "5", "datatype": answers.XSD + "int"}}
                ]
            }
        }
    )
    integer = answers.result_set(
        {
            "results": {
                "bindings": [
                    {"n": {"type": "literal", "value": "05", "datatype": answers.XSD + "integer"}}
                ]
            }
        }
    )
    assert five == integer and one != five
    ordered = embedded["06-recommendations-release"]
    assert ordered.order is not None and len(set(ordered.order)) > 1
    shuffled = Answer(rows=ordered.rows, order=ordered.order[::-1])
    with pytest.raises(AssertionError, match="another order"):
        assert_agrees(shuffled, ordered)
