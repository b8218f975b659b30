"""The SPARQL-based constraints run on Oxigraph (dhs_ai_kg.validation): every shape case gets
the same results, message text included, as pySHACL running every constraint itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import Graph
from rdflib.namespace import SH

from dhs_ai_kg.loading import parse_turtle
from dhs_ai_kg.validation import load_ontology, load_shapes, validate

CASES = sorted((Path(__file__).parent / "shapes").glob("*.ttl"))
CASES = [c for c in CASES if not c.name.endswith(".expected.ttl")]


def _results(report: Graph) -> set[tuple[str, ...]]:
    fields = (SH.focusNode, SH.resultPath, SH.sourceConstraintComponent, SH.sourceShape)
    return {
        (
            *(str(report.value(result, p)) for p in fields),
            str(sorted(report.objects(result, SH.resultMessage))),
        )
        for result in report.objects(None, SH.result)
    }


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_same_results_as_pyshacl_alone(case: Path):
    data, shapes, ontology = parse_turtle(case), load_shapes(), load_ontology()
    conforms, report, _ = pyshacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True
    )
    ours = validate(data, shapes, ontology)
    assert ours.conforms == conforms
    assert _results(ours.report_graph) == _results(report)
