"""The ``dhs-ai-kg`` command, run in-process on the small fixture tree in fixtures/cli/."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from dhs_ai_kg_cli import main
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH

from dhs_ai_kg.export import FORMATS
from dhs_ai_kg.namespaces import graph_iri

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "cli"
INVALID = FIXTURES / "invalid" / "graphs"
MALFORMED = FIXTURES / "malformed" / "graphs"


@pytest.fixture(autouse=True)
def fixture_tree(use_resources):
    """Every test here reads the fixture ontology, shapes, graphs and queries."""
    return use_resources(FIXTURES)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- general ------------------------------------------------------------------------------


def test_version(capsys):
    from dhs_ai_kg import __version__

    code, out, _ = run(capsys, "--version")
    assert (code, out.strip()) == (0, f"dhs-ai-kg {__version__}")


def test_help_documents_exit_codes(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for line in ("0  success", "1  validate only", "2  error"):
        assert line in out


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["validate", "--format", "yaml"]])
def test_usage_errors_exit_2(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "usage:" in err


# --- validate -----------------------------------------------------------------------------


def test_validate_conforming_data_exits_0(capsys):
    code, out, err = run(capsys, "validate")
    assert code == 0 and out.startswith("Conforms")
    # The fixture tree has no ontology-shapes.ttl: validate says what it did not check.
    assert err.startswith("note: no ontology shapes at ") and err.count("\n") == 1
    assert str(FIXTURES / "ontology" / "ontology-shapes.ttl") in err


def test_validate_nonconforming_data_exits_1_and_names_each_violation(capsys):
    code, out, _ = run(capsys, "validate", "--data", str(INVALID))
    assert code == 1
    assert out.startswith("Does not conform: 2 result(s).")
    # the nameless organization is caught by a shape on its superclass dak:Agent
    assert "kg:org/nameless schema:name" in out
    assert "An agent needs a name (schema:name)." in out
    # the SPARQL constraint
    assert "kg:doc/letter" in out and "is not typed as an agent" in out


def test_validate_checks_every_quote_against_the_release(capsys, use_resources):
    use_resources(REPO_ROOT)
    code, out, err = run(capsys, "validate")
    assert (code, err) == (0, "")
    bad = REPO_ROOT / "tests" / "fixtures" / "bad-quote" / "graphs"
    code, out, err = run(capsys, "validate", "--data", str(bad))
    assert code == 1
    assert out.startswith("Conforms")  # the shapes are satisfied; the quote is not
    assert "grounding: quote 'Mijente was founded in 1999' is not in the text" in err


def test_validate_turtle_report_is_the_shacl_report_graph(capsys):
    code, out, _ = run(capsys, "validate", "--format", "turtle", "--data", str(INVALID))
    assert code == 1
    report = Graph().parse(data=out, format="turtle")
    focus = set(report.objects(None, SH.focusNode))
    assert focus == {
        URIRef("https://w3id.org/dhs-ai-kg/id/org/nameless"),
        URIRef("https://w3id.org/dhs-ai-kg/id/doc/letter"),
    }


def test_validate_malformed_turtle_names_file_line_column(capsys):
    code, out, err = run(capsys, "validate", "--data", str(MALFORMED))
    assert code == 2 and out == ""
    assert f"{MALFORMED / 'broken.ttl'}:4:" in err


def test_validate_missing_shapes_file_is_an_error(capsys, tmp_path):
    code, _, err = run(capsys, "validate", "--shapes", str(tmp_path / "nope.ttl"))
    assert code == 2 and "nope.ttl" in err


def test_validate_missing_data_folder_is_an_error(capsys, tmp_path):
    code, _, err = run(capsys, "validate", "--data", str(tmp_path / "nope"))
    assert code == 2 and "not a folder" in err


def test_validate_check_shapes_rejects_invalid_shacl(capsys, tmp_path):
    bad = tmp_path / "shapes.ttl"
    bad.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        '<urn:x:s> a sh:NodeShape ; sh:property [ sh:path <urn:x:p> ; sh:minCount "one" ] .\n'
    )
    code, out, err = run(capsys, "validate", "--check-shapes", "--shapes", str(bad))
    assert code == 2 and out == ""
    assert "not valid SHACL" in err and "sh:minCount" in err


def test_validate_check_shapes_accepts_the_fixture_shapes(capsys):
    assert run(capsys, "validate", "--check-shapes")[0] == 0


def test_validate_says_which_graph_each_data_result_is_about(capsys):
    code, out, _ = run(capsys, "validate", "--data", str(INVALID))
    assert code == 1
    assert out.count("   in graph <https://w3id.org/dhs-ai-kg/graph/release>") == 2


def test_validate_checks_the_ontology_style_and_names_its_file(capsys, use_resources, tmp_path):
    use_resources(REPO_ROOT)
    code, _, err = run(capsys, "validate", "--check-shapes")
    assert (code, err) == (0, "")
    text = (REPO_ROOT / "ontology" / "dhs-ai-kg.ttl").read_text()
    unlabelled = text.replace('rdfs:label "press release"@en ;', "", 1)
    assert unlabelled != text
    bad = tmp_path / "ontology.ttl"
    bad.write_text(unlabelled)
    code, out, _ = run(capsys, "validate", "--ontology", str(bad))
    assert code == 1
    assert out.startswith("Does not conform: 1 result(s).")
    assert "dak:PressRelease rdfs:label" in out and f"in file {bad}" in out


def test_validate_check_shapes_rejects_invalid_ontology_shapes(capsys, tmp_path):
    bad = tmp_path / "ontology-shapes.ttl"
    bad.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        '<urn:x:s> a sh:NodeShape ; sh:property [ sh:path <urn:x:p> ; sh:maxCount "1" ] .\n'
    )
    code, out, err = run(capsys, "validate", "--check-shapes", "--ontology-shapes", str(bad))
    assert code == 2 and out == ""
    assert "not valid SHACL" in err and "sh:maxCount" in err


# --- export -------------------------------------------------------------------------------


def fixture_dataset() -> Dataset:
    dataset = Dataset()
    for path in sorted((FIXTURES / "data" / "graphs").glob("*.ttl")):
        dataset.graph(graph_iri(path.stem)).parse(path, format="turtle")
    return dataset


def same_dataset(a: Dataset, b: Dataset) -> bool:
    names = {g.identifier for g in a.graphs() if len(g)} | {
        g.identifier for g in b.graphs() if len(g)
    }
    return all(isomorphic(a.graph(n), b.graph(n)) for n in names)


@pytest.mark.parametrize("fmt", ["trig", "nquads", "jsonld"])
def test_export_dataset_round_trips(capsys, fmt):
    code, out, _ = run(capsys, "export", "--format", fmt)
    assert code == 0
    parsed = Dataset().parse(data=out, format={"jsonld": "json-ld"}.get(fmt, fmt))
    assert same_dataset(parsed, fixture_dataset())


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "jsonld", "xml"])
def test_export_one_graph_round_trips(capsys, fmt):
    code, out, _ = run(capsys, "export", "--format", fmt, "--graph", "release")
    assert code == 0
    parser = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "xml": "xml"}[fmt]
    expected = fixture_dataset().graph(graph_iri("release"))
    assert isomorphic(Graph().parse(data=out, format=parser), expected)


def test_export_turtle_is_stable(capsys):
    first = run(capsys, "export", "--format", "turtle", "--graph", "release")[1]
    second = run(capsys, "export", "--format", "turtle", "--graph", "release")[1]
    assert first == second and first.startswith("PREFIX ")


def test_export_triples_format_without_graph_lists_graphs(capsys):
    code, out, err = run(capsys, "export", "--format", "turtle")
    assert code == 2 and out == ""
    assert "links, release" in err and "--union" in err


def test_export_union(capsys):
    code, out, _ = run(capsys, "export", "--format", "ntriples", "--union")
    assert code == 0 and len(out.splitlines()) == 9


def test_export_unknown_graph_lists_graphs(capsys):
    code, _, err = run(capsys, "export", "--graph", "nope")
    assert code == 2 and "'nope'" in err and "links, release" in err


def test_export_to_file_picks_format_from_extension(capsys, tmp_path):
    target = tmp_path / "out.nq"
    code, out, err = run(capsys, "export", "--output", str(target))
    assert code == 0 and out == "" and "N-Quads" in err
    assert same_dataset(Dataset().parse(target, format="nquads"), fixture_dataset())


def test_formats_table_is_complete():
    assert set(FORMATS) == {"trig", "nquads", "jsonld", "turtle", "ntriples", "xml"}
    for fmt in FORMATS.values():
        assert fmt.extension.startswith(".") and "/" in fmt.media_type


# --- stats --------------------------------------------------------------------------------


def test_stats_json(capsys):
    code, out, _ = run(capsys, "stats", "--format", "json")
    assert code == 0
    stats = json.loads(out)
    assert stats["graphs"] == {"links": 1, "release": 8}
    assert stats["triples"] == 9 and stats["distinct_subjects"] == 3 and stats["entities"] == 3
    assert stats["classes"] == {
        "https://w3id.org/dhs-ai-kg/ontology#Organization": 2,
        "https://w3id.org/dhs-ai-kg/ontology#Document": 1,
    }
    assert stats["properties"]["https://schema.org/name"] == 3


def test_stats_table(capsys):
    code, out, _ = run(capsys, "stats")
    assert code == 0
    assert "dak:Organization      2" in out and "release      8" in out


# --- serve --------------------------------------------------------------------------------


def test_serve_passes_options_to_the_server(capsys, monkeypatch):
    import dhs_ai_kg_server

    calls = []
    monkeypatch.setattr(
        dhs_ai_kg_server, "run", lambda *a, **kw: calls.append((a, kw)), raising=False
    )
    assert main(["serve", "--host", "127.0.0.1", "--port", "8123"]) == 0
    (listen, front), kwargs = calls[0]
    config = kwargs["app_config"]
    assert (listen.host, listen.port, listen.header_timeout) == ("127.0.0.1", 8123, 5.0)
    assert (front.threads, front.queue, front.max_body) == (4, 32, 1024 * 1024)
    assert front.public_base == "http://127.0.0.1:8123/" and not front.trust_proxy
    assert config["QUERY_TIMEOUT"] == 10 and config["MAX_ROWS"] == 10000
    assert config["SERVICE_ALLOWLIST"] == [] and "UPDATE_TOKEN" not in config
    assert config["QUERY_MEMORY"] == 512 * 1024 * 1024
    calls.clear()
    argv = ["serve", "--timeout", "2.5", "--max-rows", "7", "--max-body", "99"]
    argv += ["--service-allow", "a.example", "--service-allow", "b.example"]
    argv += ["--threads", "3", "--queue", "0", "--query-processes", "1", "--query-memory", "64"]
    argv += ["--public-base", "https://kg.example/x/", "--body-timeout", "3"]
    assert main(argv) == 0
    (listen, front), kwargs = calls[0]
    config = kwargs["app_config"]
    limits = (config["QUERY_TIMEOUT"], config["MAX_ROWS"], config["MAX_CONTENT_LENGTH"])
    assert limits == (2.5, 7, 99)
    assert config["SERVICE_ALLOWLIST"] == ["a.example", "b.example"]
    assert (config["QUERY_PROCESSES"], config["QUERY_MEMORY"]) == (1, 64 * 1024 * 1024)
    assert (front.threads, front.queue, front.max_body, front.body_timeout) == (3, 0, 99, 3.0)
    assert front.public_base == "https://kg.example/x/"


@pytest.mark.parametrize(
    "flags",
    [
        ["--update-token-env", "X"],  # updates are gone (decision 5)
        ["--workers", "2"],  # one process: granian's front and the query pool
        ["--threads", "0"],
        ["--queue", "-1"],
        ["--query-memory", "0"],
        ["--timeout", "0"],
        ["--public-base", "ftp://x/"],
    ],
)
def test_serve_refuses_bad_or_removed_flags(flags, monkeypatch):
    import dhs_ai_kg_server

    monkeypatch.setattr(dhs_ai_kg_server, "run", lambda *a, **kw: None, raising=False)
    assert main(["serve", *flags]) == 2


# --- query --------------------------------------------------------------------------------

MIJENTE = "https://w3id.org/dhs-ai-kg/id/org/mijente"


def test_query_by_number_prints_a_table(capsys):
    code, out, err = run(capsys, "query", "1")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["organization", "name"]
    assert lines[2].split() == ["kg:org/just-futures-law", "Just", "Futures", "Law"]
    assert lines[3].split() == ["kg:org/mijente", "Mijente"]
    assert lines[-1] == "(2 rows)"


@pytest.mark.parametrize("ref", ["01-organizations", "01-org", "01", "1"])
def test_query_name_forms(capsys, ref):
    code, out, _ = run(capsys, "query", ref, "--format", "json")
    assert code == 0
    assert json.loads(out)["head"]["vars"] == ["organization", "name"]


@pytest.mark.parametrize("ref", ["nope", "0", "99"])
def test_query_unknown_or_ambiguous_name_lists_the_known_ones(capsys, ref):
    code, out, err = run(capsys, "query", ref)
    assert code == 2 and out == ""
    assert "01-organizations" in err and "10-has-organizations" in err


def test_query_param_is_a_binding(capsys):
    code, out, _ = run(
        capsys, "query", "1", "--param", f"organization=<{MIJENTE}>", "--format", "json"
    )
    assert code == 0
    rows = json.loads(out)["results"]["bindings"]
    assert [r["organization"]["value"] for r in rows] == [MIJENTE]


def test_query_param_prefixed_name_and_literal(capsys):
    code, out, _ = run(capsys, "query", "1", "--param", "organization=kg:org/mijente")
    assert code == 0 and "(1 row)" in out
    code, out, _ = run(capsys, "query", "1", "--param", "name=Mijente", "--format", "csv")
    assert code == 0 and out.splitlines()[1:] == [f"{MIJENTE},Mijente"]


def test_query_param_cannot_inject_sparql(capsys):
    evil = 'name=x" } UNION { ?organization ?p ?name } #'
    code, out, _ = run(capsys, "query", "1", "--param", evil, "--format", "json")
    assert code == 0 and json.loads(out)["results"]["bindings"] == []


@pytest.mark.parametrize("bad", ["organization", "=x", "a b=c"])
def test_query_malformed_param(capsys, bad):
    code, _, err = run(capsys, "query", "1", "--param", bad)
    assert code == 2 and "NAME=VALUE" in err


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv", "xml", "table"])
def test_query_select_formats(capsys, fmt):
    code, out, _ = run(capsys, "query", "02-documents", "--format", fmt)
    assert code == 0 and "doc/comments" in out


def test_query_select_csv_has_header_and_rows(capsys):
    code, out, _ = run(capsys, "query", "2", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0].strip() == "document,author,date,url"
    assert len(out.strip().splitlines()) == 2


def test_query_ask(capsys):
    assert run(capsys, "query", "10") == (0, "true\n", "")
    code, out, _ = run(capsys, "query", "10", "--format", "json")
    assert code == 0 and json.loads(out)["boolean"] is True


@pytest.mark.parametrize(
    ("fmt", "parser"), [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("xml", "xml")]
)
def test_query_construct_formats(capsys, fmt, parser):
    code, out, _ = run(capsys, "query", "03", "--format", fmt)
    assert code == 0
    graph = Graph().parse(data=out, format=parser)
    assert len(graph) == 2


def test_query_construct_defaults_to_turtle(capsys):
    code, out, _ = run(capsys, "query", "3")
    assert code == 0 and len(Graph().parse(data=out, format="turtle")) == 2


def test_query_construct_rejects_results_formats(capsys):
    code, out, err = run(capsys, "query", "3", "--format", "csv")
    assert code == 2 and out == "" and "CONSTRUCT" in err


def test_query_select_rejects_graph_formats(capsys):
    code, out, err = run(capsys, "query", "1", "--format", "turtle")
    assert code == 2 and out == "" and "SELECT" in err


def test_query_from_file(capsys, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    code, out, _ = run(capsys, "query", str(path), "--format", "csv")
    assert code == 0 and out.splitlines()[1].strip() == "9"


def test_query_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "query", str(tmp_path / "nope.rq"))
    assert code == 2 and "nope.rq" in err


def test_query_from_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("ASK { ?s a ?class }"))
    assert run(capsys, "query", "-") == (0, "true\n", "")


def test_query_malformed_reports_the_parser_message(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("SELECT ?s WHERE { ?s ?p "))
    code, out, err = run(capsys, "query", "-")
    assert code == 2 and out == ""
    assert err.startswith("dhs-ai-kg query: error:") and len(err.strip()) > 30


def test_query_with_extra_data(capsys):
    code, out, _ = run(capsys, "query", "1", "--data", str(INVALID), "--format", "json")
    assert code == 0
    names = [r["organization"]["value"] for r in json.loads(out)["results"]["bindings"]]
    assert "https://w3id.org/dhs-ai-kg/id/org/nameless" not in names  # no schema:name
    code, out, _ = run(capsys, "query", "10", "--data", str(INVALID))
    assert out == "true\n"
