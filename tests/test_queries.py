"""Every named query in queries/ answers what the release says.

One parametrized test runs each ``queries/NN-slug.rq`` (id = file name) and compares its answer
with ``tests/expected/queries/NN-slug.json``. The expected answers are data, and they are
themselves checked against the release (``test_expected_answers_are_in_the_release``), so a
golden file cannot simply repeat a wrong answer of the graph:

- a string must stand verbatim in the release text (Markdown ``**`` removed), unless its
  column is listed under ``labels``, where it may instead be one of our own labels
  (``rdfs:label``, ``skos:prefLabel``, ``schema:name`` of a resource in the graph);
- a number must be one the release states, in digits or words (``35`` <- "35", ``9`` <-
  "nine", ``46000000`` <- "46 million"), unless its column is under ``derived``, which names
  the check that ties it to the text instead (e.g. ``bullets``: the number of bullet points);
- an ``xsd:date`` (column under ``datatypes``) must be in the release as "Month D, YYYY";
- an IRI must be a term of the dataset.

Expected file format (JSON)::

    {
      "bindings": {"resource": "<iri>"},     # required parameters (IRIs in <>)
      "match": "exact" | "contains",         # all rows, or rows that must be among the answers
      "labels": ["documentLabel"],           # columns holding our labels rather than quotes
      "languages": {"kindLabel": "en"},      # language tag every value of a column carries
      "derived": {"position": "bullet-position"},
      "fixed": {"kind": ["class", "property"]},
      "datatypes": {"issued": "xsd:date"},
      "rows": [{"var": "<iri>" | "literal" | 35 | ["a", "b"] | null}],
      "triples": [["<s>", "<p>", "<o>" | "literal" | 35]]   # CONSTRUCT queries instead of rows
    }

Rows are compared in order when the query has ORDER BY, as multisets otherwise; a null or
missing variable means unbound. Graphs are compared as sets of triples (no blank nodes).
A multi-valued answer is rows, one per value, never a joined string: no named query uses
``GROUP_CONCAT``, whose part order SPARQL 1.1 leaves to the engine
(``test_no_named_query_joins_values``).

The other tests: every query has the header the loader parses; binding ``?release`` to an IRI
that is not a press release gives no answer; with a synthetic second release loaded beside the
real one (the shared ``tests/fixtures/second-release`` and this module's
``tests/fixtures/queries/third-release``), ``?release`` = the real release gives the same
answers, each synthetic release gets answers of its own, and unbound ``?release`` answers for
every release: exactly the sum of the answers for each.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rdflib import RDF, RDFS, SKOS, BNode, Dataset, Literal, URIRef

from dhs_ai_kg.engine import Engine, QueryResult
from dhs_ai_kg.grounding import source_text
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.named_queries import parse_named_query
from dhs_ai_kg.namespaces import SCHEMA

TESTS = Path(__file__).resolve().parent
QUERIES_DIR = TESTS.parent / "queries"
EXPECTED_DIR = TESTS / "expected" / "queries"

KG = "https://w3id.org/dhs-ai-kg/id/"
RELEASE = f"<{KG}doc/press-release-2023-12-05>"


@dataclass(frozen=True)
class OtherRelease:
    """A synthetic release loaded beside the real one: its graphs, and what to ask it."""

    iri: str
    graphs: Path
    #: Required parameters per query (the expected files hold the real release's).
    bindings: dict[str, dict[str, str]]
    #: Queries it has no answer for, with the reason (its data lacks what they ask about).
    unanswered: dict[str, str]


OTHER_RELEASES = (
    # The project's shared fixture (tests/fixtures/second-release): a release of 2031.
    OtherRelease(
        iri=f"<{KG}doc/fixture-release-2031-03-03>",
        graphs=TESTS / "fixtures" / "second-release" / "graphs",
        bindings={
            "10-grounding": {"resource": f"<{KG}org/fixture-coalition>"},
            "14-describe-organization": {"org": f"<{KG}org/fixture-sample-network>"},
            "15-statement-source": {
                "subject": f"<{KG}org/fixture-sample-network>",
                "predicate": "<https://w3id.org/dhs-ai-kg/ontology#leads>",
                "object": f"<{KG}campaign/fixture-nodatagrab>",
            },
        },
        unanswered={
            "04-executive-order-and-aims": "it names no executive order",
            "05-assessment-and-call": "it makes no assessment (dak:Assessment)",
            "07-dhs-ai-uses": "it names no AI use",
            "11-external-links": "it has no links",
        },
    ),
    # This module's fixture: one of everything the queries ask about, sharing some resources
    # (OMB, DHS, Washington D.C., the lead role, a topic) with the real release.
    OtherRelease(
        iri=f"<{KG}doc/test-release-2024-01-15>",
        graphs=TESTS / "fixtures" / "queries" / "third-release" / "graphs",
        bindings={
            "10-grounding": {"resource": f"<{KG}org/test-coalition>"},
            "14-describe-organization": {"org": f"<{KG}org/test-lead>"},
            "15-statement-source": {
                "subject": f"<{KG}org/test-lead>",
                "predicate": "<https://w3id.org/dhs-ai-kg/ontology#leads>",
                "object": f"<{KG}campaign/test-campaign>",
            },
        },
        unanswered={
            "15-statement-source": "it grounds its resources only, not each statement",
        },
    ),
)
NOT_RELEASES = (f"<{KG}org/mijente>", "<https://example.org/not-a-release>")

XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
INTEGER_TYPES = {
    XSD + t
    for t in (
        *("integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger"),
        *("negativeInteger", "long", "int", "short", "byte"),
        *("unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"),
    )
}
DECIMAL_TYPES = {XSD + "decimal", XSD + "double", XSD + "float"}
LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, SCHEMA.name)
NUMBER_WORDS = {
    word: number
    for number, word in enumerate(
        ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"), start=1
    )
}

HEADER_PARAM = re.compile(
    r"^# param \?(?P<name>[A-Za-z_]\w*) (?P<type>iri|string|integer|decimal|date|boolean|term) "
    r"(?P<use>required|optional): (?P<description>\S.*)$"
)

QUERY_FILES = sorted(QUERIES_DIR.glob("*.rq"))
EXPECTED_FILES = sorted(EXPECTED_DIR.glob("*.json"))


# --- reading queries and expected answers ---------------------------------------------------


def header(path: Path) -> tuple[str, dict[str, tuple[str, bool]]]:
    """The question (first comment line) and the params: name -> (type, required)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    question = lines[0].removeprefix("# ").strip() if lines and lines[0].startswith("# ") else ""
    params = {}
    for line in lines:
        if not line.startswith("#"):
            break
        if line.startswith("# param"):
            match = HEADER_PARAM.match(line)
            assert match, f"{path.name}: malformed param line {line!r}"
            params[match["name"]] = (match["type"], match["use"] == "required")
    return question, params


def body(path: Path) -> str:
    """The query without its comment lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def is_ordered(path: Path) -> bool:
    return re.search(r"\bORDER\s+BY\b", body(path), re.IGNORECASE) is not None


def expected(name: str) -> dict[str, Any]:
    with (EXPECTED_DIR / f"{name}.json").open(encoding="utf-8") as f:
        return json.load(f, parse_float=Decimal)


# --- running queries --------------------------------------------------------------------


def run(engine: Engine, path: Path, bindings: dict[str, str]) -> QueryResult:
    """Run the named query in ``path`` through the project's engine, as the CLI and the server
    do, with ``bindings`` (var -> "<iri>") converted by the query's declared parameters."""
    named = parse_named_query(path)
    return engine.query(named.text, named.bind({k: v[1:-1] for k, v in bindings.items()}))


def plain(node: Any) -> Any:
    """A result term as expected files write it: "<iri>", a string, an int, a Decimal, a bool."""
    if node is None:
        return None
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, BNode):
        return f"_:{node}"
    datatype = str(node.datatype or XSD + "string")
    if datatype in INTEGER_TYPES:
        return int(str(node))
    if datatype in DECIMAL_TYPES:
        return Decimal(str(node)).normalize()
    if datatype == XSD + "boolean":
        return str(node) == "true"
    return str(node)


def answer_rows(result: Any) -> list[dict[str, Any]]:
    """The solutions as dicts of bound variables."""
    rows = []
    for solution in result:
        row = {}
        for name, node in zip(result.variables, solution, strict=True):
            value = plain(node)
            if value is not None and value != "":
                row[name] = value
        rows.append(row)
    return rows


def answer_triples(result: Any) -> set[tuple[Any, Any, Any]]:
    return {tuple(plain(term) for term in triple) for triple in result}


def canonical(row: dict[str, Any]) -> str:
    def normal(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else str(value.normalize())
        return value

    return json.dumps(
        {k: normal(v) for k, v in row.items() if v is not None}, sort_keys=True, ensure_ascii=False
    )


def expected_triples(spec: dict[str, Any]) -> set[tuple[Any, Any, Any]]:
    return {
        tuple(int(x) if isinstance(x, Decimal) and x == int(x) else x for x in t)
        for t in spec["triples"]
    }


def assert_answers(store: Engine, path: Path, spec: dict[str, Any], bindings: dict) -> None:
    """Run ``path`` and compare with ``spec`` (an expected file's content)."""
    result = run(store, path, bindings)
    if "triples" in spec:
        assert answer_triples(result) == expected_triples(spec)
        return
    got = [canonical(row) for row in answer_rows(result)]
    want = [canonical(row) for row in spec["rows"]]
    if spec.get("match", "exact") == "contains":
        missing = [row for row in want if row not in got]
        assert not missing, f"rows not in the answer: {missing}"
    elif is_ordered(path):
        assert got == want
    else:
        assert sorted(got) == sorted(want)
    datatypes = spec.get("datatypes", {})
    languages = spec.get("languages", {})
    if datatypes or languages:
        result = run(store, path, bindings)
        for solution in result:
            for name, datatype in datatypes.items():
                value = solution[result.variables.index(name)]
                if value is not None:
                    assert str(value.datatype) == datatype.replace("xsd:", XSD), name
            for name, language in languages.items():
                value = solution[result.variables.index(name)]
                if value is not None:
                    assert value.language == language, name


# --- checking expected answers against the release -----------------------------------------


def release_text() -> str:
    return source_text()


def bullets(text: str) -> list[str]:
    return [line[2:] for line in text.splitlines() if line.startswith("- ")]


def stated_numbers(text: str) -> set[Decimal]:
    """Every number the release states: digits (with "million" applied) and number words."""
    numbers = set()
    for match in re.finditer(r"(\d+(?:\.\d+)?)(\s+million)?", text):
        number = Decimal(match[1])
        numbers.add(number * 1_000_000 if match[2] else number)
    for word, number in NUMBER_WORDS.items():
        if re.search(rf"\b{word}\b", text, re.IGNORECASE):
            numbers.add(Decimal(number))
    return numbers


def release_date(value: str) -> str:
    """``2023-10-30`` as the release writes dates: ``October 30, 2023``."""
    day = datetime.date.fromisoformat(value)
    return f"{day:%B} {day.day}, {day.year}"


def triples(dataset: Dataset, predicate: URIRef | None = None) -> Iterator[tuple]:
    """The triples of every graph of ``dataset`` (a triple in two graphs comes twice)."""
    for graph in dataset.graphs():
        yield from graph.triples((None, predicate, None))


def rdflib_counts(dataset: Dataset) -> dict[tuple[str, str], int]:
    """Class and property counts computed without SPARQL, as 13-dataset-statistics defines them."""
    instances: dict[URIRef, set] = {}
    properties: Counter[URIRef] = Counter()
    for s, p, o in triples(dataset):
        properties[p] += 1
        if p == RDF.type:
            instances.setdefault(o, set()).add(s)
    counts = {("class", f"<{c}>"): len(members) for c, members in instances.items()}
    counts.update({("property", f"<{p}>"): n for p, n in properties.items()})
    return counts


class ReleaseFacts:
    """What an expected answer may contain: the release's words and numbers, our terms."""

    def __init__(self, dataset: Dataset) -> None:
        self.text = release_text()
        self.numbers = stated_numbers(self.text)
        self.bullets = bullets(self.text)
        self.labels = {
            str(o)
            for p in LABEL_PREDICATES
            for _, _, o in triples(dataset, p)
            if isinstance(o, Literal)
        }
        self.terms = {
            f"<{node}>"
            for triple in triples(dataset)
            for node in triple
            if isinstance(node, URIRef)
        }
        self.counts = rdflib_counts(dataset)
        self.derived: dict[str, Callable[[Any, dict[str, Any]], bool]] = {
            "bullets": lambda n, row: n == len(self.bullets),
            "bullet-position": lambda n, row: (
                1 <= n <= len(self.bullets) and row["description"] in self.bullets[n - 1]
            ),
            "dataset-count": lambda n, row: self.counts.get((row["kind"], row["term"])) == n,
        }


class LiteralCheck:
    """Checks the values of one expected file against the release, collecting ``problems``."""

    def __init__(self, spec: dict[str, Any], facts: ReleaseFacts) -> None:
        self.facts = facts
        self.labels = set(spec.get("labels", []))
        self.derived: dict[str, str] = spec.get("derived", {})
        self.fixed: dict[str, list[Any]] = spec.get("fixed", {})
        self.datatypes: dict[str, str] = spec.get("datatypes", {})
        unknown = set(self.derived.values()) - set(facts.derived)
        self.problems = [f"unknown derived check {name!r}" for name in sorted(unknown)]

    def check(self, column: str, value: Any, row: dict[str, Any]) -> None:
        """Record why ``value`` (of ``column`` in ``row``) is not what the release says."""
        if value is None:
            return
        if column in self.fixed:
            if value not in self.fixed[column]:
                self.problems.append(f"{column}: {value!r} not one of {self.fixed[column]}")
        elif isinstance(value, bool):
            self.problems.append(f"{column}: booleans are not checked against the release: {value}")
        elif isinstance(value, int | Decimal):
            self._number(column, value, row)
        else:
            self._text(column, value)

    def _number(self, column: str, value: int | Decimal, row: dict[str, Any]) -> None:
        if column in self.derived:
            if not self.facts.derived[self.derived[column]](value, row):
                self.problems.append(f"{column}: {value} fails the {self.derived[column]!r} check")
        elif Decimal(value) not in self.facts.numbers:
            self.problems.append(f"{column}: the release states no number {value}")

    def _text(self, column: str, value: str) -> None:
        facts = self.facts
        if value.startswith("<") and value.endswith(">"):
            if value not in facts.terms:
                self.problems.append(f"{column}: {value} is not a term of the dataset")
        elif self.datatypes.get(column) == "xsd:date":
            if release_date(value) not in facts.text:
                self.problems.append(f"{column}: {release_date(value)!r} is not in the release")
        elif value not in facts.text and not (column in self.labels and value in facts.labels):
            kind = "nor one of our labels" if column in self.labels else "(not a label column)"
            self.problems.append(f"{column}: {value!r} is not in the release {kind}")


def literal_problems(spec: dict[str, Any], facts: ReleaseFacts) -> list[str]:
    """Why the values of an expected file are not what the release says (empty: they are)."""
    checker = LiteralCheck(spec, facts)
    for row in spec.get("rows", []):
        for column, value in row.items():
            checker.check(column, value, row)
    label_iris = {str(p) for p in LABEL_PREDICATES} | {str(SKOS.definition), str(SKOS.scopeNote)}
    for s, p, o in spec.get("triples", []):
        checker.check("subject", s, {})
        checker.check("predicate", p, {})
        if isinstance(o, str) and p[1:-1] in label_iris and o in facts.labels | {""}:
            continue
        checker.check(str(p), o, {})
    return checker.problems


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset()


@pytest.fixture(scope="module")
def store(dataset: Dataset) -> Engine:
    return Engine.from_dataset(dataset)


@pytest.fixture(scope="module")
def all_releases() -> Engine:
    """The real release and the synthetic ones, loaded as the CLI's ``--data`` does."""
    return Engine.from_dataset(load_dataset([other.graphs for other in OTHER_RELEASES]))


@pytest.fixture(scope="module")
def facts(dataset: Dataset) -> ReleaseFacts:
    return ReleaseFacts(dataset)


def release_queries() -> list[Path]:
    return [path for path in QUERY_FILES if "release" in header(path)[1]]


def required(path: Path) -> set[str]:
    return {name for name, (_, is_required) in header(path)[1].items() if is_required}


# --- tests ----------------------------------------------------------------------------------


def test_there_are_queries_and_each_has_an_expected_answer():
    assert len(QUERY_FILES) >= 14
    assert [p.stem for p in QUERY_FILES] == [p.stem for p in EXPECTED_FILES]


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_query_answers_as_the_release_says(path: Path, store: Engine):
    spec = expected(path.stem)
    assert_answers(store, path, spec, spec.get("bindings", {}))


@pytest.mark.parametrize("path", EXPECTED_FILES, ids=lambda p: p.name)
def test_expected_answers_are_in_the_release(path: Path, facts: ReleaseFacts):
    spec = expected(path.stem)
    assert spec.get("rows") or spec.get("triples")
    assert literal_problems(spec, facts) == []


def test_the_release_check_rejects_what_the_release_does_not_say(facts: ReleaseFacts):
    spec = {
        "labels": ["label"],
        "derived": {"described": "bullets"},
        "datatypes": {"issued": "xsd:date"},
        "rows": [
            {"quote": "fundamentally flawed", "count": 9, "people": 46000000, "label": "lead"},
            {"quote": "deeply flawed", "count": 10, "described": 5, "issued": "2023-12-06"},
            {"label": "not a label of ours", "iri": f"<{KG}org/nobody>"},
        ],
    }
    assert len(literal_problems(spec, facts)) == 6


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_query_header_declares_question_and_params(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    question, params = header(path)
    assert question.endswith("?"), "the first line is the question, as '# …?'"
    assert lines[1] == "#", "a bare '#' line separates the question from the params"
    text = body(path)
    for name in params:
        assert re.search(rf"\?{name}\b", text), f"?{name} is declared but not used"
    if path.stem != "13-dataset-statistics":
        assert params.get("release") == ("iri", False), "?release iri optional is declared"
    required = {name for name, (_, is_required) in params.items() if is_required}
    assert required == set(expected(path.stem).get("bindings", {})), "expected binds required"
    assert "{{" not in text and "%s" not in text, "parameters are bindings, not templates"
    for name in params:
        assert len(re.findall(rf"^\s*VALUES \?{name} \{{ UNDEF \}}$", text, re.M)) == 1, (
            f"?{name} has one 'VALUES ?{name} {{ UNDEF }}' line (bound there for other stores)"
        )
    graphs = re.findall(r"^FROM (?:NAMED )?<https://w3id.org/dhs-ai-kg/graph/(\w+)>$", text, re.M)
    assert graphs, "the query names the graphs it reads (FROM / FROM NAMED)"


@pytest.mark.parametrize(
    "path", sorted(QUERIES_DIR.glob("**/*.rq")), ids=lambda p: str(p.relative_to(QUERIES_DIR))
)
def test_no_named_query_joins_values(path: Path):
    """Multi-valued answers are rows: SPARQL 1.1 leaves GROUP_CONCAT's part order (and, with
    STR, whether a language tag survives) to each engine, so a joined string is not portable."""
    assert not re.search(r"\bGROUP_CONCAT\b", body(path), re.IGNORECASE), (
        "return one row per value (ordered by ORDER BY) instead of GROUP_CONCAT"
    )


@pytest.mark.parametrize("path", release_queries(), ids=lambda p: p.name)
@pytest.mark.parametrize("not_release", NOT_RELEASES)
def test_release_bound_to_a_non_release_gives_no_answer(path: Path, not_release, store):
    bindings = {**expected(path.stem).get("bindings", {}), "release": not_release}
    assert list(run(store, path, bindings)) == []


@pytest.mark.parametrize("path", release_queries(), ids=lambda p: p.name)
def test_release_bound_gives_the_unbound_answer(path: Path, store: Engine):
    spec = expected(path.stem)
    assert_answers(store, path, spec, {**spec.get("bindings", {}), "release": RELEASE})


@pytest.mark.parametrize("path", release_queries(), ids=lambda p: p.name)
def test_other_releases_do_not_leak_into_the_real_one(path: Path, all_releases: Engine):
    spec = expected(path.stem)
    assert_answers(all_releases, path, spec, {**spec.get("bindings", {}), "release": RELEASE})


@pytest.mark.parametrize("other", OTHER_RELEASES, ids=lambda o: o.iri.rsplit("/", 1)[-1][:-1])
@pytest.mark.parametrize("path", release_queries(), ids=lambda p: p.name)
def test_other_release_gets_its_own_answers(path: Path, other: OtherRelease, all_releases):
    bindings = {**other.bindings.get(path.stem, {}), "release": other.iri}
    result = run(all_releases, path, bindings)
    if result.kind == "select":
        rows = answer_rows(result)
        assert {row.get("release", other.iri) for row in rows} <= {other.iri}
        answered = bool(rows)
    else:
        triples = answer_triples(result)
        organization = bindings["org"]
        assert (organization, f"<{PROV}wasDerivedFrom>", other.iri) in triples
        answered = bool(triples)
    assert answered == (path.stem not in other.unanswered), other.unanswered.get(path.stem)


@pytest.mark.parametrize(
    "path",
    [p for p in release_queries() if not required(p)],
    ids=lambda p: p.name,
)
def test_unbound_release_answers_for_every_release(path: Path, all_releases: Engine):
    def rows(bindings: dict[str, str]) -> Counter[str]:
        return Counter(canonical(r) for r in answer_rows(run(all_releases, path, bindings)))

    each: Counter[str] = Counter()
    for release in (RELEASE, *(other.iri for other in OTHER_RELEASES)):
        each += rows({"release": release})
    assert rows({}) == each


def test_dataset_statistics_agree_with_rdflib(store: Engine, dataset: Dataset):
    path = QUERIES_DIR / "13-dataset-statistics.rq"
    rows = answer_rows(run(store, path, {}))
    assert {(row["kind"], row["term"]): row["count"] for row in rows} == rdflib_counts(dataset)
