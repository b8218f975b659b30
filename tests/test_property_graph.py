"""Property-graph exports (GraphML, GEXF, Neo4j CSV, node-link and Cytoscape.js JSON).

Expected counts, labels and properties come from the RDF itself, by the SPARQL queries of
``tests/expected/property-graph/`` run on pyoxigraph over a store holding only the exported
named graphs (never from the exporter's own output). Each format is read back with a reader
that is not ours: networkx (GraphML, GEXF, node-link, Cytoscape), igraph (GraphML), ``csv``
and ``zipfile`` (Neo4j).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import defaultdict
from pathlib import Path

import igraph
import networkx as nx
import pyoxigraph as ox
import pytest
from dhs_ai_kg_cli import PROPERTY_GRAPH_FORMATS, main
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS

from dhs_ai_kg import property_graph as pg
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.namespaces import GRAPH
from dhs_ai_kg.resources import graphs_dir

ROOT = Path(__file__).resolve().parents[1]
QUERIES = Path(__file__).parent / "expected" / "property-graph"
NEO4J_DIR = ROOT / "src" / "dhs_ai_kg" / "neo4j"
SHARED_BNODE = Path(__file__).parent / "fixtures" / "property-graph" / "shared-bnode.trig"
ABANDON = "https://w3id.org/dhs-ai-kg/id/recommendation/abandon-risk-assessment-framework"
EVALUATE = "https://w3id.org/dhs-ai-kg/id/recommendation/evaluate-ai-and-improve-inventory"
ALL = ("links", "metadata", "provenance", "release")
#: Selections of named graphs: (graphs asked for, provenance), and the graphs that go in.
SELECTIONS = {
    "all": ((None, True), ALL),
    "no-provenance": ((None, False), ("links", "metadata", "release")),
    "release": ((("release",), True), ("release",)),
    "release+provenance": ((("release", "provenance"), True), ("provenance", "release")),
}


# --- what the RDF says ------------------------------------------------------------------------


def store_of(names) -> ox.Store:
    """A pyoxigraph store holding only the named graphs ``names``, read from the data files."""
    store = ox.Store()
    for name in names:
        path = graphs_dir() / f"{name}.ttl"
        store.load(path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(GRAPH[name]))
    return store


def ask(store: ox.Store, name: str):
    return list(store.query((QUERIES / f"{name}.rq").read_text(encoding="utf-8")))


def expected_counts(names) -> tuple[int, int]:
    store = store_of(names)
    nodes = int(ask(store, "nodes")[0]["nodes"].value)
    edges = int(ask(store, "edges")[0]["edges"].value)
    return nodes, edges


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset()


@pytest.fixture(scope="module")
def graph(dataset) -> nx.MultiDiGraph:
    return pg.property_graph(dataset)


@pytest.fixture(scope="module")
def written(graph) -> dict[str, bytes]:
    return {name: pg.serialize(graph, name) for name in pg.FORMATS}


@pytest.fixture(scope="module")
def counts() -> tuple[int, int]:
    return expected_counts(ALL)


# --- the data folders ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.rq")), ids=lambda p: p.name)
def test_expected_count_query_says_what_it_asks_and_parses(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and first.rstrip().endswith("?")
    ox.Store().query(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", sorted(NEO4J_DIR.iterdir()), ids=lambda p: p.name)
def test_every_neo4j_data_file_ships_in_the_export(path: Path, written):
    archive = zipfile.ZipFile(io.BytesIO(written["neo4j"]))
    assert archive.read(path.name) == path.read_bytes()
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".cypher":
        assert text.startswith("// "), "a comment header says what the script does"
        headers = {
            name: next(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))
            for name in pg.NEO4J_FILES
        }
        for name in re.findall(r"'file:///([^']+)'", text):
            assert name in headers, f"the script reads {name}, which the export does not write"
        columns = set(re.findall(r"row\.`([^`]+)`", text))
        assert columns, "the script names the columns it reads"
        assert columns <= {c for h in headers.values() for c in h}


# --- counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("selection", SELECTIONS, ids=str)
def test_node_and_edge_counts_are_the_rdfs(dataset, selection):
    (graphs, provenance), names = SELECTIONS[selection]
    built = pg.property_graph(dataset, graphs, provenance=provenance)
    assert built.graph["graphs"] == list(names)
    assert (built.number_of_nodes(), built.number_of_edges()) == expected_counts(names)


def test_leaving_out_provenance_removes_what_the_provenance_graph_alone_holds(dataset):
    with_it = pg.property_graph(dataset)
    without = pg.property_graph(dataset, provenance=False)
    expected_with, expected_without = expected_counts(ALL), expected_counts(ALL[:2] + ALL[3:])
    assert expected_with[0] > expected_without[0] and expected_with[1] > expected_without[1]
    assert (with_it.number_of_nodes(), with_it.number_of_edges()) == expected_with
    assert (without.number_of_nodes(), without.number_of_edges()) == expected_without
    assert all("provenance" not in d["graphs"] for _, d in without.nodes(data=True))


def test_graphml_reads_back_in_networkx_and_igraph_with_the_rdfs_counts(
    written, counts, graph, tmp_path
):
    path = tmp_path / "dataset.graphml"
    path.write_bytes(written["graphml"])
    back = nx.read_graphml(path, force_multigraph=True)
    assert (back.number_of_nodes(), back.number_of_edges()) == counts
    assert set(back.nodes) == set(graph.nodes)
    assert {k for _, _, k in back.edges(keys=True)} == {k for _, _, k in graph.edges(keys=True)}
    for node, data in back.nodes(data=True):  # APOC's ":A:B" labels
        assert data["labels"].split(":")[1:] == graph.nodes[node]["labels"]
    loaded = igraph.Graph.Read_GraphML(str(path))
    assert (loaded.vcount(), loaded.ecount()) == counts
    assert loaded.is_directed()
    assert set(loaded.vs["id"]) == set(graph.nodes)


def test_gexf_reads_back_in_networkx_with_the_rdfs_counts(written, counts, graph):
    back = nx.read_gexf(io.BytesIO(written["gexf"]))
    assert (back.number_of_nodes(), back.number_of_edges()) == counts
    assert set(back.nodes) == set(graph.nodes)
    assert {d["id"] for _, _, d in back.edges(data=True)} == {
        k for _, _, k in graph.edges(keys=True)
    }
    labels = {n: d["label"] for n, d in back.nodes(data=True)}
    assert labels["https://w3id.org/dhs-ai-kg/id/org/mijente"] == "Mijente"


def test_literals_are_properties_not_nodes(graph):
    store = store_of(ALL)
    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in ask(store, "literals"):
        expected[(row["node"].value, pg.compact(row["predicate"].value))].add(row["value"].value)
    assert expected, "the data has literals"
    for (node, key), values in expected.items():
        value = graph.nodes[node][key]
        got = {str(v) for v in value} if isinstance(value, list) else {str(value)}
        assert got == values, (node, key)
    literal_texts = {v for values in expected.values() for v in values}
    assert not literal_texts & set(graph.nodes), "no literal became a node"
    store_nodes = {r["node"].value for r in ask(store, "literals")}
    assert store_nodes <= set(graph.nodes)


def test_multi_valued_literals_are_lists_and_language_tags_are_dropped_unless_asked(dataset):
    graph = pg.property_graph(dataset, ["release"])
    recommendation = graph.nodes[EVALUATE]
    assert recommendation["dak_recommendedAction"] == ["evaluate and assess", "improve"]
    single = graph.nodes[ABANDON]
    assert single["dak_recommendedAction"] == ["abandon"], "one type per key: a list everywhere"
    tagged = pg.property_graph(dataset, ["release"], language_tags=True)
    assert tagged.nodes[ABANDON]["dak_recommendedAction"] == ["abandon@en"]
    assert recommendation["schema_position"] == 3  # xsd:integer: a number


def test_types_are_labels_not_edges(graph):
    expected: dict[str, set[str]] = defaultdict(set)
    for row in ask(store_of(ALL), "types"):
        expected[row["node"].value].add(pg.compact(row["type"].value))
    for node, data in graph.nodes(data=True):
        if not node.startswith("_:"):
            assert set(data["labels"]) == expected.get(node, set()), node
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    assert all(d["predicate"] != rdf_type for _, _, d in graph.edges(data=True))
    mijente = graph.nodes["https://w3id.org/dhs-ai-kg/id/org/mijente"]  # release.ttl: three types
    assert mijente["labels"] == ["foaf_Organization", "org_Organization", "schema_Organization"]


def test_edges_keep_the_full_predicate_and_a_compact_type(graph):
    for _, _, data in graph.edges(data=True):
        assert data["label"] == pg.compact(data["predicate"])
        assert URIRef(data["predicate"]).startswith("http")


# --- Neo4j ------------------------------------------------------------------------------------


def rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))


def test_neo4j_csv_has_the_import_headers_and_every_relationship_joins(written, counts, graph):
    archive = zipfile.ZipFile(io.BytesIO(written["neo4j"]))
    nodes, relationships = rows(archive, "nodes.csv"), rows(archive, "relationships.csv")
    header = nodes[0]
    assert header[:4] == ["iri:ID", ":LABEL", "label:string", "graphs:string[]"]
    types = {"string", "long", "double", "boolean", "string[]", "long[]", "double[]"}
    assert all(re.fullmatch(r"[A-Za-z0-9_]+:(.+)", c)[1] in types for c in header[2:])
    assert relationships[0] == [
        ":START_ID",
        ":END_ID",
        ":TYPE",
        "id:string",
        "predicate:string",
        "graphs:string[]",
    ]
    assert (len(nodes) - 1, len(relationships) - 1) == counts
    ids = [row[0] for row in nodes[1:]]
    assert len(set(ids)) == len(ids)
    for start, end, *_ in relationships[1:]:
        assert start in ids and end in ids
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in nodes[1:]}
    mijente = by_id["https://w3id.org/dhs-ai-kg/id/org/mijente"]
    assert mijente[":LABEL"].split(";")[0] == "Resource"
    assert set(mijente[":LABEL"].split(";")[1:]) == set(graph.nodes[mijente["iri:ID"]]["labels"])
    evaluate = by_id[EVALUATE]
    assert evaluate["dak_recommendedAction:string[]"].split(";") == [
        "evaluate and assess",
        "improve",
    ]
    for column in (c for c in header if c.endswith(":long")):
        assert all(re.fullmatch(r"-?\d+", row[column]) for row in by_id.values() if row[column])


def test_neo4j_folder_holds_the_same_files_as_the_zip(tmp_path, written, graph):
    pg.write_neo4j_folder(graph, tmp_path / "neo4j")
    archive = zipfile.ZipFile(io.BytesIO(written["neo4j"]))
    assert {p.name: p.read_bytes() for p in (tmp_path / "neo4j").iterdir()} == {
        n: archive.read(n) for n in archive.namelist()
    }


# --- JSON -------------------------------------------------------------------------------------


def test_node_link_json_has_nodes_and_edges_that_join(written, counts, graph):
    data = json.loads(written["node-link"])
    assert data["directed"] is True and data["multigraph"] is True
    ids = {n["id"] for n in data["nodes"]}
    assert (len(data["nodes"]), len(data["edges"])) == counts
    assert all(e["source"] in ids and e["target"] in ids for e in data["edges"])
    back = nx.node_link_graph(data, edges="edges")
    assert (back.number_of_nodes(), back.number_of_edges()) == counts
    assert nx.utils.graphs_equal(back, graph)


def test_cytoscape_json_has_elements_with_ids_sources_and_targets(written, counts):
    data = json.loads(written["cytoscape"])
    nodes, edges = data["elements"]["nodes"], data["elements"]["edges"]
    assert (len(nodes), len(edges)) == counts
    ids = [n["data"]["id"] for n in nodes]
    edge_ids = [e["data"]["id"] for e in edges]
    assert len(set(ids)) == len(ids) and len(set(edge_ids)) == len(edge_ids)
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in edges)
    assert all(isinstance(n["data"]["label"], str) for n in nodes)
    back = nx.cytoscape_graph(data)
    assert (back.number_of_nodes(), back.number_of_edges()) == counts


# --- stability ----------------------------------------------------------------------------------


def test_ids_and_bytes_are_the_same_from_two_separate_loads(written):
    again = pg.property_graph(load_dataset())  # a new parse (blank nodes: see the next test)
    for name in pg.FORMATS:
        assert pg.serialize(again, name) == written[name], name


def test_a_blank_node_two_graphs_share_stays_one_node_with_a_stable_id():
    def build() -> nx.MultiDiGraph:
        dataset = Dataset()
        dataset.parse(SHARED_BNODE, format="trig")
        return pg.property_graph(dataset)

    first, second = build(), build()
    blanks = [n for n in first.nodes if n.startswith("_:")]
    assert len(blanks) == 1  # shared by the two graphs: one node
    assert set(first.nodes) == set(second.nodes)
    assert set(first.edges(keys=True)) == set(second.edges(keys=True))
    assert first.nodes[blanks[0]]["graphs"] == ["one", "two"]


# --- errors, CLI, server ----------------------------------------------------------------------


def test_unknown_graph_or_format_is_an_error(dataset, graph):
    with pytest.raises(pg.PropertyGraphError, match="the graphs are: links, metadata"):
        pg.property_graph(dataset, ["nope"])
    with pytest.raises(pg.PropertyGraphError, match="no graph left"):
        pg.property_graph(dataset, ["provenance"], provenance=False)
    with pytest.raises(pg.PropertyGraphError, match="choose one of: graphml"):
        pg.serialize(graph, "dot")


def test_the_cli_offers_exactly_the_property_graph_formats():
    assert tuple(pg.FORMATS) == PROPERTY_GRAPH_FORMATS


def test_cli_exports_each_format(capsys, tmp_path, counts, written):
    assert main(["export", "--format", "graphml"]) == 0
    out = capsys.readouterr().out
    assert out.encode("utf-8") == written["graphml"]
    assert main(["export", "--output", str(tmp_path / "g.gexf")]) == 0
    assert (tmp_path / "g.gexf").read_bytes() == written["gexf"]
    assert main(["export", "--format", "neo4j", "--output", str(tmp_path / "n.zip")]) == 0
    assert (tmp_path / "n.zip").read_bytes() == written["neo4j"]
    assert main(["export", "--format", "neo4j", "--output", str(tmp_path / "dir")]) == 0
    assert {p.name for p in (tmp_path / "dir").iterdir()} >= set(pg.NEO4J_FILES)
    capsys.readouterr()
    assert main(["export", "--format", "neo4j"]) == 2
    assert "--output" in capsys.readouterr().err


def test_cli_selects_graphs_and_provenance(capsys, dataset):
    args = ["export", "--format", "node-link", "--graph", "release", "--graph", "provenance"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert (len(data["nodes"]), len(data["edges"])) == expected_counts(("provenance", "release"))
    assert main(["export", "--format", "cytoscape", "--no-provenance"]) == 0
    elements = json.loads(capsys.readouterr().out)["elements"]
    expected = expected_counts(("links", "metadata", "release"))
    assert (len(elements["nodes"]), len(elements["edges"])) == expected
    assert main(["export", "--format", "gexf", "--graph", "nope"]) == 2
    assert "the graphs are" in capsys.readouterr().err
    assert main(["export", "--format", "ttl", "--graph", "release", "--graph", "links"]) == 2
    assert "one --graph" in capsys.readouterr().err
    assert main(["export", "--format", "ttl", "--graph", "release"]) == 0  # RDF as before
    assert len(Graph().parse(data=capsys.readouterr().out, format="turtle")) > 0


@pytest.mark.parametrize("name", list(pg.FORMATS))
def test_server_serves_each_download_with_its_type_and_the_description_lists_it(
    client, written, name
):
    fmt = pg.FORMATS[name]
    path = f"/dumps/dataset{fmt.extension}"
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == fmt.content_type
    assert response.data == written[name]
    void = Graph().parse(
        data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data,
        format="turtle",
    )
    url = URIRef("http://localhost" + path)
    dist = void.value(None, DCAT.downloadURL, url)
    assert dist is not None, f"{path} is not a distribution"
    media = void.value(dist, DCAT.mediaType) if fmt.registered else void.value(dist, DCTERMS.format)
    assert str(media).endswith(fmt.media_type)
