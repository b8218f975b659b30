"""Named queries: header parsing, load-time checks, typed binding and lookup."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import graph_files, parse_turtle
from dhs_ai_kg.named_queries import NamedQueryError, find, load_named_queries
from dhs_ai_kg.namespaces import KG, PREFIXES, graph_iri

FIXTURES = Path(__file__).parent / "fixtures" / "engine"


@pytest.fixture(scope="module")
def queries():
    return load_named_queries(FIXTURES / "queries")


def test_header_gives_name_question_and_ordered_parameters(queries):
    assert list(queries) == ["01-labels", "02-big", "10-describe"]
    big = queries["02-big"]
    assert (
        big.question == "Which organizations have at least a given number of members, founded when?"
    )
    assert [(p.name, p.type, p.required) for p in big.parameters] == [
        ("min", "integer", True),
        ("name", "string", False),
        ("since", "date", False),
        ("share", "decimal", False),
        ("lead", "boolean", False),
    ]
    assert big.parameters[0].description == "the smallest membership counted"
    assert big.path == FIXTURES / "queries" / "02-big.rq"
    assert big.text.startswith("# Which organizations")


def test_bind_converts_each_type(queries):
    bound = queries["02-big"].bind(
        {"min": "3", "?name": "Alpha", "since": "2001-02-03", "share": "0.5", "lead": "true"}
    )
    assert bound == {
        "min": Literal(3),
        "name": Literal("Alpha"),
        "since": Literal("2001-02-03", datatype=XSD.date),
        "share": Literal("0.5", datatype=XSD.decimal),
        "lead": Literal(True),
    }


@pytest.mark.parametrize(
    "raw", ["kg:org/alpha", "<https://w3id.org/dhs-ai-kg/id/org/alpha>", str(KG["org/alpha"])]
)
def test_iri_parameters_take_prefixed_names_or_full_iris(queries, raw):
    assert queries["01-labels"].bind({"org": raw}) == {"org": URIRef(KG["org/alpha"])}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, r"missing required parameter \?min \(the smallest membership counted\)"),
        ({"min": "1", "nope": "x"}, r"unknown parameter \?nope; it takes: \?min"),
        ({"min": "many"}, r"\?min: not an integer"),
        ({"min": "1", "since": "3 Feb"}, r"\?since: not a date"),
        ({"min": "1", "share": "x"}, r"\?share: not a decimal"),
        ({"min": "1", "lead": "maybe"}, r"\?lead: not a boolean"),
    ],
)
def test_bind_errors_are_clear(queries, raw, message):
    with pytest.raises(NamedQueryError, match=message):
        queries["02-big"].bind(raw)


def test_iri_errors_name_the_prefixes(queries):
    with pytest.raises(NamedQueryError, match=r"not an IRI.*kg"):
        queries["01-labels"].bind({"org": "alpha"})


def test_bound_named_queries_run():
    dataset_engine = Engine.from_dataset(
        _dataset(), prefixes={**PREFIXES, "ex": "http://example.org/"}
    )
    queries = load_named_queries(FIXTURES / "queries")
    labels = find(queries, "1")
    rows = list(dataset_engine.query(labels.text, labels.bind({"org": "kg:org/beta"})))
    assert rows == [(URIRef(KG["org/beta"]), Literal("Beta", lang="en"))]
    big = find(queries, "02")
    rows = list(dataset_engine.query(big.text, big.bind({"min": "10"})))
    assert [r[0] for r in rows] == [URIRef(KG["org/alpha"])]
    describe = find(queries, "10-describe")
    graph = dataset_engine.query(describe.text, describe.bind({"org": "kg:org/alpha"}))
    assert graph.kind == "graph" and len(list(graph)) == 5


def _dataset():
    from rdflib import Dataset

    dataset = Dataset()
    for path in graph_files(FIXTURES / "graphs"):
        parse_turtle(path, dataset.graph(graph_iri(path.stem)))
    return dataset


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("01-labels", "01-labels"),
        ("1", "01-labels"),
        ("01", "01-labels"),
        ("10", "10-describe"),
        ("02-b", "02-big"),
    ],
)
def test_find_by_name_number_or_prefix(queries, name, expected):
    assert find(queries, name).name == expected


@pytest.mark.parametrize("name", ["3", "zz", "0"])
def test_find_lists_the_known_names(queries, name):
    with pytest.raises(LookupError, match="01-labels, 02-big, 10-describe"):
        find(queries, name)


def test_a_broken_query_stops_loading_with_file_and_parser_message():
    with pytest.raises(NamedQueryError, match=r"01-bad\.rq: error at 3:1"):
        load_named_queries(FIXTURES / "broken-syntax")


def test_a_parameter_the_select_does_not_project_stops_loading():
    with pytest.raises(NamedQueryError, match=r"01-unprojected\.rq: .*\?org"):
        load_named_queries(FIXTURES / "broken-param")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("SELECT * {}", "first line must be a comment"),
        ("# Q?\n# param ?x iri: no need given\nSELECT ?x {}", "bad parameter line"),
        ("# Q?\n# param ?x url required: d\nSELECT ?x {}", "unknown type 'url'"),
        ("# Q?\n# param ?x iri required: a\n# param ?x iri optional: b\nSELECT ?x {}", "twice"),
        ("# Q?\nSELECT * { SERVICE <http://127.0.0.1:9/> {} }", "SERVICE"),
    ],
)
def test_header_and_safety_errors(tmp_path, header, message):
    (tmp_path / "01-x.rq").write_text(header, encoding="utf-8")
    with pytest.raises(NamedQueryError, match=message):
        load_named_queries(tmp_path)


def test_default_folder_is_the_packaged_queries(use_resources, tmp_path):
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "05-q.rq").write_text("# Q?\nASK {}\n", encoding="utf-8")
    use_resources(tmp_path)
    assert list(load_named_queries()) == ["05-q"]


def test_bound_text_writes_each_value_into_its_values_line(tmp_path):
    path = tmp_path / "01-echo.rq"
    path.write_text(
        "# Which values come back?\n#\n"
        "# param ?name string optional: a name\n"
        "# param ?org iri optional: an organization\n"
        "SELECT ?name ?org WHERE {\n  VALUES ?name { UNDEF }\n  VALUES ?org { UNDEF }\n}\n"
    )
    query = load_named_queries(tmp_path)["01-echo"]
    tricky = 'a "quoted" } name\nUNDEF \\1 \\g<1>'
    text = query.bound_text({"name": tricky})
    assert "VALUES ?org { UNDEF }" in text
    rows = list(Engine(ox.Store()).query(text))
    assert rows == [(Literal(tricky), None)]
    both = query.bound_text({"name": "x", "org": "kg:org/alpha"})
    assert list(Engine(ox.Store()).query(both)) == [(Literal("x"), URIRef(KG["org/alpha"]))]


def test_bound_text_needs_a_values_line_for_each_parameter(queries):
    with pytest.raises(NamedQueryError, match=r"10-describe: \?org cannot be bound in the text"):
        queries["10-describe"].bound_text({"org": "kg:org/alpha"})
