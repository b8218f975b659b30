"""Run by tests/test_formats.py in a fresh interpreter: add one format (N3) to the registry
before anything else imports it, then print, as JSON, where the new format shows up."""

from __future__ import annotations

import json
import sys

from dhs_ai_kg import formats

N3 = formats.Format(
    "n3",
    "graph",
    ("text/n3",),
    ".n3",
    "N3",
    iri="http://www.w3.org/ns/formats/N3",
    aliases=("notation3",),
    rdflib_serializer="n3",
    rdflib_parser="n3",
    oxigraph_name="N3",
)
formats.REGISTRY = (*formats.REGISTRY, N3)  # the one place a new format is added

from dhs_ai_kg_cli import EXPORT_FORMATS, QUERY_FORMATS  # noqa: E402
from dhs_ai_kg_server import negotiation  # noqa: E402
from dhs_ai_kg_server.app import create_app  # noqa: E402
from rdflib import Dataset, Graph, Literal, URIRef  # noqa: E402
from rdflib.namespace import RDFS  # noqa: E402

from dhs_ai_kg import engine, export  # noqa: E402
from dhs_ai_kg.namespaces import GRAPH, KG  # noqa: E402

SD_RESULT_FORMAT = URIRef("http://www.w3.org/ns/sparql-service-description#resultFormat")


def main() -> None:
    """Print where the added format appears."""
    dataset = Dataset()
    dataset.graph(URIRef(GRAPH["g"])).add((KG.thing, RDFS.label, Literal("thing")))
    app = create_app({"QUERY_ISOLATION": "inline"}, engine.Engine.from_dataset(dataset))
    client = app.test_client()
    description = Graph().parse(
        data=client.get("/sparql", headers={"Accept": "text/turtle"}).data, format="turtle"
    )
    answer = client.get(
        "/sparql",
        query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "text/n3"},
    )
    by_alias = client.get(
        "/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "notation3"}
    )
    exported = Graph().parse(data=export.export(dataset, "n3", "g"), format="n3")
    json.dump(
        {
            "export": list(export.FORMATS),
            "construct": list(engine.CONSTRUCT_FORMATS),
            "graph": list(engine.GRAPH_FORMATS),
            "cli_query": list(QUERY_FORMATS),
            "cli_export": list(EXPORT_FORMATS),
            "aliases": negotiation.FORMAT_ALIASES,
            "dumps": [d["filename"] for d in client.get("/dumps/").get_json()],
            "result_formats": sorted(str(o) for o in description.objects(None, SD_RESULT_FORMAT)),
            "answer": [
                answer.status_code,
                answer.mimetype,
                len(Graph().parse(data=answer.data, format="n3")),
            ],
            "by_alias": [by_alias.status_code, by_alias.mimetype],
            "exported": len(exported),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
