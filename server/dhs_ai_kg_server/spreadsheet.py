"""``/spreadsheet.csv?query=``: a SELECT's results as a CSV file for spreadsheet software
(the core's :func:`dhs_ai_kg.spreadsheet.results_csv`), the query page's "Spreadsheet" link."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from werkzeug.exceptions import BadRequest

from dhs_ai_kg.spreadsheet import results_csv

from . import execution

bp = Blueprint("spreadsheet", __name__)


@bp.get("/spreadsheet.csv")
def spreadsheet() -> Response:
    """Run ``query`` (a SELECT) and send its results as a spreadsheet CSV download."""
    text = request.args.get("query", "")
    if not text.strip():
        raise BadRequest("give the SELECT query to download as ?query=")
    answer = execution.execute(text, format_name="json")
    results = json.loads(answer.body)
    if "results" not in results:
        raise BadRequest("a spreadsheet holds the rows of a SELECT; this query has none")
    response = Response(results_csv(results), 200, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="results.csv"'
    return response
